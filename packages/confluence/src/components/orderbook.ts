import { SUB_SIGNAL_FORMULAS } from '@confluence/contracts';
import type { Context } from '../context';
import { clamp, fmt, imbalance, tanhScore } from '../math';
import { combine, missing, scored, type ComponentResult, type Phrases, type Signal } from '../signal';
import type { BookLevel } from '../types';

export const DEPTH_LEVELS = 10;
export const WALL_BAND = 0.005;
export const WALL_FACTOR = 4;
export const ABSORPTION_WINDOW_MS = 60_000;

/** Depth-weighted imbalance over the top 10 levels, level i weighted 1/(i + 1): raw = (Σw·bid − Σw·ask)/(Σw·bid + Σw·ask); score = 50 + 50·raw. */
export function weightedDepth(levels: readonly BookLevel[], n: number): number {
  let s = 0;
  const m = Math.min(n, levels.length);
  for (let i = 0; i < m; i++) s += levels[i][1] / (i + 1);
  return s;
}

/**
 * Book-derived sub-signals are averaged over this much time by default (config `bookSmoothingMs`): the current book
 * plus the one-second samples of the last 60 s (`bookHistory`). Resting size at the touch and in the top levels is refreshed many times a second and
 * one level can flicker in and out; a trader reads "bid-heavy" over tens of seconds, not one frame. 60 s cuts the
 * one-second noise of these measures by roughly √60 ≈ 8× while a book that really turns shows within a minute.
 */
export const BOOK_SMOOTHING_MS = 60_000;
/** Upper bound on the samples the intake keeps for the smoothing (one a second, a little slack). */
export const BOOK_SMOOTHING_SAMPLES = 64;
/** The "deep book" measure looks at levels beyond this many (the top levels are the depth imbalance's). */
export const DEEP_FROM_LEVEL = DEPTH_LEVELS;

/** The depth-weighted imbalance of a book's top levels, −1..1; undefined when the top levels hold no size. */
export function depthImbalanceOf(bids: readonly BookLevel[], asks: readonly BookLevel[]): number | undefined {
  const wb = weightedDepth(bids, DEPTH_LEVELS);
  const wa = weightedDepth(asks, DEPTH_LEVELS);
  return wb + wa > 0 ? imbalance(wb, wa) : undefined;
}

/**
 * One reading of the book's measures, each −1..1 (undefined when the book cannot give it). The engine scores the
 * current book's reading averaged with the recent one-second readings the intake sampled (`bookHistory`).
 */
export interface BookFeatures {
  /** Exchange time of the book the reading was taken from (ms). */
  readonly ts: number;
  /** Top-10 depth imbalance, level i weighted 1/(i + 1). */
  readonly depth: number | undefined;
  /** Size imbalance at the touch. */
  readonly touch: number | undefined;
  /** Size imbalance within ±0.1 % of mid. */
  readonly band10: number | undefined;
  /** Size imbalance of the levels beyond the top 10 (11th level on), where resting liquidity is less spoofable. */
  readonly deep: number | undefined;
  /** Wall pressure within ±0.5 % of mid (see `walls`); 0 when there are levels but no walls. */
  readonly walls: number | undefined;
}

function sumFrom(levels: readonly BookLevel[], from: number): number {
  let s = 0;
  for (let i = from; i < levels.length; i++) s += levels[i][1];
  return s;
}

/**
 * Walls near the touch: within ±0.5 % of mid a level is a wall when its size ≥ 4× the mean level size there (both
 * sides pooled, at least 3 levels). Pressure = Σ bid walls size·proximity − Σ ask walls size·proximity, proximity =
 * 1 − distance/band; raw = pressure / Σ walls size·proximity (support below is bullish, a ceiling above bearish).
 * Undefined without levels in the band; 0 when there are levels but no walls ("no event", not "no data").
 */
function wallPressure(bids: readonly BookLevel[], asks: readonly BookLevel[], mid: number): { x: number; any: boolean } | undefined {
  const lo = mid - mid * WALL_BAND;
  const hi = mid + mid * WALL_BAND;
  let total = 0;
  let nb = 0;
  while (nb < bids.length && bids[nb][0] >= lo) total += bids[nb++][1];
  let na = 0;
  while (na < asks.length && asks[na][0] <= hi) total += asks[na++][1];
  const count = nb + na;
  if (count === 0) return undefined;
  const mean = total / count;
  let bidWall = 0;
  let askWall = 0;
  if (count >= 3 && mean > 0) {
    const threshold = WALL_FACTOR * mean;
    for (let i = 0; i < nb; i++) {
      const q = bids[i][1];
      if (q >= threshold) bidWall += q * (1 - (mid - bids[i][0]) / (mid * WALL_BAND));
    }
    for (let i = 0; i < na; i++) {
      const q = asks[i][1];
      if (q >= threshold) askWall += q * (1 - (asks[i][0] - mid) / (mid * WALL_BAND));
    }
  }
  return { x: imbalance(bidWall, askWall), any: bidWall + askWall > 0 };
}

/** The book's measures (see `BookFeatures`); undefined for an empty-sided or crossed book. */
export function bookFeaturesOf(bids: readonly BookLevel[], asks: readonly BookLevel[], ts: number): BookFeatures | undefined {
  if (bids.length === 0 || asks.length === 0) return undefined;
  const bestBid = bids[0][0];
  const bestAsk = asks[0][0];
  if (!(bestBid < bestAsk)) return undefined;
  const mid = (bestBid + bestAsk) / 2;
  const b10 = depthWithin(bids, mid, 0.001, 'bid');
  const a10 = depthWithin(asks, mid, 0.001, 'ask');
  let deep: number | undefined;
  if (bids.length > DEEP_FROM_LEVEL && asks.length > DEEP_FROM_LEVEL) {
    const db = sumFrom(bids, DEEP_FROM_LEVEL);
    const da = sumFrom(asks, DEEP_FROM_LEVEL);
    deep = db + da > 0 ? imbalance(db, da) : undefined;
  }
  return {
    ts,
    depth: depthImbalanceOf(bids, asks),
    touch: bids[0][1] + asks[0][1] > 0 ? imbalance(bids[0][1], asks[0][1]) : undefined,
    band10: b10 + a10 > 0 ? imbalance(b10, a10) : undefined,
    deep,
    walls: wallPressure(bids, asks, mid)?.x,
  };
}

type FeatureKey = Exclude<keyof BookFeatures, 'ts'>;

/** Per measure: the current reading plus the history's finite readings in the window, and how many of those there were. */
type WindowSums = Record<FeatureKey, { sum: number; n: number }>;

/**
 * One pass over the history's readings of the last `windowMs`, summing every measure at once (each was a pass of its
 * own, and reading a field by a variable key is slow in a hot loop). Each sum starts at the current reading and adds
 * the history newest first, so the means are exactly what one pass per measure gave.
 */
function windowSums(current: BookFeatures, history: readonly BookFeatures[], now: number, windowMs: number): WindowSums {
  let depth = current.depth ?? 0;
  let nDepth = 0;
  let touch = current.touch ?? 0;
  let nTouch = 0;
  let band10 = current.band10 ?? 0;
  let nBand10 = 0;
  let deep = current.deep ?? 0;
  let nDeep = 0;
  let walls = current.walls ?? 0;
  let nWalls = 0;
  if (windowMs > 0) {
    const since = now - windowMs;
    for (let i = history.length - 1; i >= 0; i--) {
      const h = history[i];
      if (h.ts < since) break;
      if (h.ts > now) continue;
      if (h.depth !== undefined && Number.isFinite(h.depth)) {
        depth += h.depth;
        nDepth++;
      }
      if (h.touch !== undefined && Number.isFinite(h.touch)) {
        touch += h.touch;
        nTouch++;
      }
      if (h.band10 !== undefined && Number.isFinite(h.band10)) {
        band10 += h.band10;
        nBand10++;
      }
      if (h.deep !== undefined && Number.isFinite(h.deep)) {
        deep += h.deep;
        nDeep++;
      }
      if (h.walls !== undefined && Number.isFinite(h.walls)) {
        walls += h.walls;
        nWalls++;
      }
    }
  }
  return {
    depth: { sum: depth, n: nDepth },
    touch: { sum: touch, n: nTouch },
    band10: { sum: band10, n: nBand10 },
    deep: { sum: deep, n: nDeep },
    walls: { sum: walls, n: nWalls },
  };
}

/** Mean of the current reading and the history's readings of the window; n counts the history samples used. */
function smoothed(key: FeatureKey, sums: WindowSums): { x: number; n: number } {
  const { sum, n } = sums[key];
  return { x: sum / (n + 1), n };
}

/** Size resting within `band` (fraction of mid) of the mid, on one side. */
export function depthWithin(levels: readonly BookLevel[], mid: number, band: number, side: 'bid' | 'ask'): number {
  let s = 0;
  // Indexed loops: this runs for every symbol every cycle, and destructuring iteration allocated per level.
  if (side === 'bid') {
    const limit = mid - mid * band;
    for (let i = 0; i < levels.length && levels[i][0] >= limit; i++) s += levels[i][1];
  } else {
    const limit = mid + mid * band;
    for (let i = 0; i < levels.length && levels[i][0] <= limit; i++) s += levels[i][1];
  }
  return s;
}

/**
 * Spread is direction-neutral, so it scores nothing itself: it pulls the book's deviation from 50 in.
 * level factor: 1 at ≤ 5 bps, falling linearly to 0.5 at ≥ 50 bps; stability factor from the coefficient of variation
 * of recent spread samples (≥ 5 samples): 1 at CV ≤ 0.5, falling to 0.7 at CV ≥ 2. Book score = 50 + (raw − 50)·level·stability.
 */
export function spreadFactor(spreadBps: number, history: readonly number[]): { factor: number; cv: number | null } {
  const level = 1 - 0.5 * clamp((spreadBps - 5) / 45, 0, 1);
  let cv: number | null = null;
  let stability = 1;
  if (history.length >= 5) {
    let sum = 0;
    let sq = 0;
    let n = 0;
    for (const x of history) {
      if (!Number.isFinite(x)) continue;
      sum += x;
      sq += x * x;
      n++;
    }
    if (n >= 5) {
      const mean = sum / n;
      const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
      cv = mean > 0 ? sd / mean : 0;
      stability = 1 - 0.3 * clamp((cv - 0.5) / 1.5, 0, 1);
    }
  }
  return { factor: level * stability, cv };
}

const DEPTH_P: Phrases = { up: 'book bid-heavy', down: 'book ask-heavy', flat: 'book balanced' };
const TOP_P: Phrases = { up: 'bid-heavy touch', down: 'ask-heavy touch', flat: 'balanced touch' };
const BAND10_P: Phrases = { up: 'bids dominate ±0.1 %', down: 'asks dominate ±0.1 %', flat: 'depth balanced ±0.1 %' };
const DEEP_P: Phrases = { up: 'deep book bid-heavy', down: 'deep book ask-heavy', flat: 'deep book balanced' };
const WALL_P: Phrases = { up: 'bid wall near the touch', down: 'ask wall near the touch', flat: 'no dominant wall' };
const ABSORB_P: Phrases = { up: 'sells absorbed at the bid', down: 'buys absorbed at the ask', flat: 'no absorption' };

function window(n: number, ms: number): string {
  return n > 0 ? `mean of the current book and ${n} one-second samples of the last ${Math.round(ms / 1000)} s` : 'current book only (no recent samples yet)';
}

/** Order-book component. A resyncing book makes the whole component null. */
export function orderbook(ctx: Context): ComponentResult {
  const sw = ctx.config.subWeights.orderbook;
  const book = ctx.snapshot.book;
  if (book === undefined) return { score: null, reason: 'no order book', signals: [], completeness: 0 };
  if (!book.synced) return { score: null, reason: 'order book resyncing', signals: [], completeness: 0 };
  const { bids, asks } = book;
  if (bids.length === 0 || asks.length === 0) return { score: null, reason: 'order book has an empty side', signals: [], completeness: 0 };
  const bestBid = bids[0][0];
  const bestAsk = asks[0][0];
  if (!(bestBid < bestAsk)) return { score: null, reason: `order book crossed (bid ${bestBid} ≥ ask ${bestAsk})`, signals: [], completeness: 0 };
  const mid = (bestBid + bestAsk) / 2;
  const spread = bestAsk - bestBid;
  const spreadBps = (spread / mid) * 10_000;
  const signals: Signal[] = [];
  const f = bookFeaturesOf(bids, asks, book.ts) as BookFeatures;
  const history = ctx.snapshot.bookHistory ?? [];
  const win = ctx.config.bookSmoothingMs;
  const sums = windowSums(f, history, ctx.now, win);

  // Every book measure is the mean of the current book and the one-second samples of the last bookSmoothingMs (60 s).
  if (f.depth === undefined) signals.push(missing('depthImbalance', null, sw.depthImbalance, 'no size in the top levels'));
  else {
    const { x, n } = smoothed('depth', sums);
    signals.push(
      scored(
        'depthImbalance',
        null,
        sw.depthImbalance,
        x,
        50 + 50 * x,
        `raw = imbalance of the top 10 levels, level i weighted 1/(i+1), ${window(n, win)}; score = 50 + 50·raw`,
        DEPTH_P,
      ),
    );
  }

  if (f.touch === undefined) signals.push(missing('topImbalance', null, sw.topImbalance, 'no size at the touch'));
  else {
    const { x, n } = smoothed('touch', sums);
    signals.push(
      scored('topImbalance', null, sw.topImbalance, x, 50 + 40 * x, `raw = (bid₁ − ask₁)/(bid₁ + ask₁), ${window(n, win)}; score = 50 + 40·raw`, TOP_P),
    );
  }

  if (f.band10 === undefined) signals.push(missing('depthBand10bps', null, sw.depthBand10bps, 'no resting size within ±0.1 % of mid'));
  else {
    const { x, n } = smoothed('band10', sums);
    signals.push(
      scored(
        'depthBand10bps',
        null,
        sw.depthBand10bps,
        x,
        50 + 50 * x,
        `raw = (bid − ask)/(bid + ask) size within ±0.1 % of mid, ${window(n, win)}; score = 50 + 50·raw`,
        BAND10_P,
      ),
    );
  }

  if (f.deep === undefined)
    signals.push(missing('deepBook', null, sw.deepBook, `needs more than ${DEEP_FROM_LEVEL} levels a side, has ${bids.length}/${asks.length}`));
  else {
    const { x, n } = smoothed('deep', sums);
    signals.push(
      scored(
        'deepBook',
        null,
        sw.deepBook,
        x,
        50 + 50 * x,
        `raw = (bid − ask)/(bid + ask) size of the levels beyond the top ${DEEP_FROM_LEVEL}, ${window(n, win)}; score = 50 + 50·raw`,
        DEEP_P,
      ),
    );
  }

  if (f.walls === undefined) signals.push(missing('walls', null, sw.walls, 'no levels within ±0.5 % of mid'));
  else {
    const { x, n } = smoothed('walls', sums);
    const note =
      x !== 0
        ? `raw = (bid − ask) wall size·proximity / both, walls ≥ 4× mean level within ±0.5 %, ${window(n, win)}; score = 50 + 40·raw`
        : 'no walls within ±0.5 % (no event: the book is there and shows none)';
    signals.push(scored('walls', null, sw.walls, x, 50 + 40 * x, note, WALL_P));
  }

  /**
   * Absorption over the last 60 s: sell-aggressor size filled at the best bid (±max(half spread, 0.1 bp)) means bids are
   * soaking up selling; buy size filled at the best ask means asks are absorbing buying.
   * raw = (absorbed sells − absorbed buys) / all taker size in the window; score = 50 + 50·tanh(2·raw).
   */
  {
    const tape = ctx.tape();
    const since = ctx.now - ABSORPTION_WINDOW_MS;
    const eps = Math.max(spread / 2, mid * 1e-5);
    let absorbedSells = 0;
    let absorbedBuys = 0;
    let vol = 0;
    let i = tape.tail;
    while (i > tape.head && tape.ts[i - 1] >= since) i--;
    for (; i < tape.tail; i++) {
      const q = tape.size[i];
      const p = tape.price[i];
      vol += q;
      if (tape.buy[i] === 0) {
        if (Math.abs(p - bestBid) <= eps) absorbedSells += q;
      } else if (Math.abs(p - bestAsk) <= eps) absorbedBuys += q;
    }
    if (vol <= 0) signals.push(missing('absorption', null, sw.absorption, 'no trades in the last 60 s'));
    else {
      const x = (absorbedSells - absorbedBuys) / vol;
      signals.push(scored('absorption', null, sw.absorption, x, tanhScore(x, 0.5), SUB_SIGNAL_FORMULAS.absorption, ABSORB_P));
    }
  }

  const base = combine(signals, 'no order-book signal available');
  const sf = spreadFactor(spreadBps, ctx.snapshot.spreadHistoryBps);
  const spreadSignal: Signal = {
    name: 'spread',
    timeframe: null,
    raw: spreadBps,
    score: null,
    weight: 0,
    note: `direction-neutral (raw = spread in bps): scales the book's distance from 50 by ${fmt(sf.factor, 3)}${sf.cv !== null ? ` (spread CV ${fmt(sf.cv)})` : ''}`,
    phrases: null,
  };
  if (base.score === null) return { ...base, signals: [...signals, spreadSignal] };
  return { score: 50 + (base.score - 50) * sf.factor, reason: null, signals: [...signals, spreadSignal], completeness: base.completeness, damping: sf.factor };
}
