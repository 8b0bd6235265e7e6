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

/** Samples of the depth imbalance averaged with the current book (about 30 s at one sample a second). */
export const DEPTH_SMOOTHING_SAMPLES = 30;

/** The depth-weighted imbalance of a book's top levels, −1..1; undefined when the top levels hold no size. */
export function depthImbalanceOf(bids: readonly BookLevel[], asks: readonly BookLevel[]): number | undefined {
  const wb = weightedDepth(bids, DEPTH_LEVELS);
  const wa = weightedDepth(asks, DEPTH_LEVELS);
  return wb + wa > 0 ? imbalance(wb, wa) : undefined;
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
const BAND50_P: Phrases = { up: 'bids dominate ±0.5 %', down: 'asks dominate ±0.5 %', flat: 'depth balanced ±0.5 %' };
const WALL_P: Phrases = { up: 'bid wall near the touch', down: 'ask wall near the touch', flat: 'no dominant wall' };
const ABSORB_P: Phrases = { up: 'sells absorbed at the bid', down: 'buys absorbed at the ask', flat: 'no absorption' };

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

  const now = depthImbalanceOf(bids, asks);
  if (now === undefined) signals.push(missing('depthImbalance', null, sw.depthImbalance, 'no size in the top levels'));
  else {
    // Resting depth flickers level by level; the mean of the last ~30 one-second samples and the current book is
    // what a trader reads as "bid-heavy". Without history it is the current book alone.
    const history = ctx.snapshot.depthImbalanceHistory ?? [];
    let sum = now;
    let n = 1;
    for (let i = Math.max(0, history.length - DEPTH_SMOOTHING_SAMPLES); i < history.length; i++) {
      if (Number.isFinite(history[i])) {
        sum += history[i];
        n++;
      }
    }
    const x = sum / n;
    signals.push(scored('depthImbalance', null, sw.depthImbalance, x, 50 + 50 * x, `raw = imbalance of the top 10 levels, level i weighted 1/(i+1), averaged over the current book and ${n - 1} recent samples; score = 50 + 50·raw`, DEPTH_P));
  }

  /** Order-imbalance ratio at the touch: raw = (bid₁ − ask₁)/(bid₁ + ask₁); score = 50 + 40·raw (the touch flickers, so it is damped). */
  const top = imbalance(bids[0][1], asks[0][1]);
  if (bids[0][1] + asks[0][1] <= 0) signals.push(missing('topImbalance', null, sw.topImbalance, 'no size at the touch'));
  else signals.push(scored('topImbalance', null, sw.topImbalance, top, 50 + 40 * top, 'raw = (bid₁ − ask₁)/(bid₁ + ask₁); score = 50 + 40·raw', TOP_P));

  /** Depth within ±band of mid: raw = (bid size − ask size)/(sum) inside the band; score = 50 + 50·raw. */
  for (const [name, band, label, phrases, note] of [
    ['depthBand10bps', 0.001, '±0.1 %', BAND10_P, 'raw = (bid − ask)/(bid + ask) size within ±0.1 % of mid; score = 50 + 50·raw'],
    ['depthBand50bps', 0.005, '±0.5 %', BAND50_P, 'raw = (bid − ask)/(bid + ask) size within ±0.5 % of mid; score = 50 + 50·raw'],
  ] as const) {
    const b = depthWithin(bids, mid, band, 'bid');
    const a = depthWithin(asks, mid, band, 'ask');
    if (b + a <= 0) signals.push(missing(name, null, sw[name], `no resting size within ${label} of mid`));
    else {
      const x = imbalance(b, a);
      signals.push(scored(name, null, sw[name], x, 50 + 50 * x, note, phrases));
    }
  }

  /**
   * Walls near the touch: within ±0.5 % of mid a level is a wall when its size ≥ 4× the mean level size there (both
   * sides pooled). Pressure = Σ bid walls size·proximity − Σ ask walls size·proximity, proximity = 1 − distance/band;
   * raw = pressure / Σ walls size·proximity; score = 50 + 40·raw (support below is bullish, a ceiling above bearish). No walls → 50.
   */
  {
    const lo = mid - mid * WALL_BAND;
    const hi = mid + mid * WALL_BAND;
    let total = 0;
    let nb = 0;
    while (nb < bids.length && bids[nb][0] >= lo) total += bids[nb++][1];
    let na = 0;
    while (na < asks.length && asks[na][0] <= hi) total += asks[na++][1];
    const count = nb + na;
    const mean = count > 0 ? total / count : 0;
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
    if (count === 0) signals.push(missing('walls', null, sw.walls, 'no levels within ±0.5 % of mid'));
    else {
      const x = imbalance(bidWall, askWall);
      const note = bidWall + askWall > 0 ? 'raw = (bid − ask) wall size·proximity / both, walls ≥ 4× mean level within ±0.5 %; score = 50 + 40·raw' : 'no walls within ±0.5 %';
      signals.push(scored('walls', null, sw.walls, x, 50 + 40 * x, note, WALL_P));
    }
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
      signals.push(scored('absorption', null, sw.absorption, x, tanhScore(x, 0.5), 'raw = (sells filled at the bid − buys filled at the ask)/taker volume, 60 s; score = 50 + 50·tanh(2·raw)', ABSORB_P));
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
