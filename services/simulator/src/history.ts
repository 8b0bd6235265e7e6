// Deterministic backfill so REST can serve 1000+ candles per interval the moment the simulator
// starts, ending exactly at the start price, with the regime already visible.
//
// The log-price path is built coarse to fine: a 4 h path walked backwards from the start price
// (trend drift or mean reversion), then Brownian bridges pinned to it at 30 m, 5 m and 1 m
// resolution over shorter recent windows. Coarse candles that have finer data are aggregated from
// it, so intervals agree with each other; older candles get high/low/volume from hashed noise.
// Only boundary prices are stored (a few KB per symbol); candles are computed on request.
import { HOUR_MS, INTERVAL_MS, type KlineInterval } from '@confluence/bybit-wire';
import { hashNormal, Rng, valueNoise } from './rng';
import { RANGE_HALF_LIFE_H, regimeEffects, type RegimeEffects, type RegimeSetting } from './regimes';

// Math is read through module bindings: under jest's vm sandbox each global lookup is ~25x slower.
const { LN2, abs, ceil, exp, floor, log, max, min, round, sqrt } = Math;

/** One candle; prices in ticks, volume in quantity steps, turnover in quote currency. */
export interface CandleValues {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  turnover: number;
}

// Coarse to fine; closed candles kept per level (1 m keeps 25 h so a rolling 24 h fits).
const LEVELS: readonly { interval: KlineInterval; count: number }[] = [
  { interval: '240', count: 1050 },
  { interval: '30', count: 1050 },
  { interval: '5', count: 1050 },
  { interval: '1', count: 1500 },
];

/** Trends run at full strength over the last 3 days of history and fade out by day 7. */
const TREND_FULL_H = 72;
const TREND_FADE_END_H = 168;

/**
 * Price drift in history: the live drift (TREND_SIGMA_PER_HOUR, strong enough to show on 5-minute candles within
 * an hour) over the last RECENT_DRIFT_H hours, then HISTORY_DRIFT_SHARE of it, fading with the regime. A regime is
 * visible on every timeframe, and the 24 h change stays plausible: about 9 σ of hourly volatility at strength 1
 * (≈5 % for BTC, ≈15 % for a volatile alt), where a full-strength 72-hour trend made +100 % days.
 */
const RECENT_DRIFT_H = 4;
const HISTORY_DRIFT_SHARE = 0.15;

/** Weak pull (20-day half-life) that keeps old history within a plausible band. */
const LONG_PULL_PER_H = LN2 / (20 * 24);

export function trendWeight(ageH: number): number {
  if (ageH <= TREND_FULL_H) return 1;
  if (ageH >= TREND_FADE_END_H) return 0;
  return (TREND_FADE_END_H - ageH) / (TREND_FADE_END_H - TREND_FULL_H);
}

export interface HistoryParams {
  /** Hash of seed and symbol: all noise is keyed by it. */
  readonly key: number;
  readonly startTime: number;
  /** Start price in ticks; the last close of every interval. */
  readonly startTicks: number;
  readonly tick: number;
  readonly qty: number;
  readonly hourlyVol: number;
  readonly turnover24h: number;
  readonly regime: RegimeSetting;
  /** Open interest (base units) at startTime. */
  readonly openInterest: number;
  readonly fundingRate: number;
  readonly buyRatio: number;
}

export class PriceHistory {
  readonly startTime: number;
  private readonly p: HistoryParams;
  private readonly effects: RegimeEffects;
  private readonly x0: number;
  /** Per level: log price at the boundary `currentStart - k * interval`, k = 0..count. */
  private readonly xs: Float64Array[];
  private readonly currentStarts: number[];
  /** Volatility multiplier of each 4 h segment (clustering in history too). */
  private readonly segVol: Float64Array;
  private readonly turnoverPerMs: number;

  constructor(params: HistoryParams) {
    this.p = params;
    this.startTime = params.startTime;
    this.effects = regimeEffects(params.regime);
    this.x0 = log(params.startTicks * params.tick);
    this.turnoverPerMs = params.turnover24h / (24 * HOUR_MS);
    this.currentStarts = LEVELS.map((l) => floor(params.startTime / INTERVAL_MS[l.interval]) * INTERVAL_MS[l.interval]);
    const rng = new Rng(params.key ^ 0x41c64e6d);
    this.segVol = this.makeSegmentVolatility(rng);
    this.xs = [this.walkCoarse(rng)];
    for (let level = 1; level < LEVELS.length; level++) this.xs.push(this.bridge(level, rng));
  }

  /** Start of the candle in progress at startTime. */
  currentStart(interval: KlineInterval): number {
    return this.currentStarts[levelOf(interval)];
  }

  /** Number of closed candles available before the current one. */
  closedCount(interval: KlineInterval): number {
    return LEVELS[levelOf(interval)].count;
  }

  /** Candle k: 0 is the partial candle in progress at startTime, k ≥ 1 the closed ones before it. */
  candle(interval: KlineInterval, k: number): CandleValues {
    return this.candleAt(levelOf(interval), k);
  }

  /** Open interest at t ≤ startTime: grows into trends, wanders slowly, equals the live value at start. */
  openInterestAt(t: number): number {
    const ageH = max(0, (this.startTime - t) / HOUR_MS);
    const trendPart = this.effects.oiGrowthPerHour * integratedTrendWeight(ageH);
    const noise = 0.06 * this.noise(1, t, 8 * HOUR_MS) + 0.02 * this.noise(2, t, HOUR_MS);
    return this.p.openInterest * exp(-trendPart + noise);
  }

  fundingRateAt(t: number): number {
    const w = trendWeight((this.startTime - t) / HOUR_MS);
    const base = 0.0001 * (1 - w) + this.effects.fundingTarget * w;
    const startBase = this.effects.fundingTarget;
    return this.p.fundingRate + (base - startBase) + 0.00006 * this.noise(3, t, 24 * HOUR_MS);
  }

  buyRatioAt(t: number): number {
    const w = trendWeight((this.startTime - t) / HOUR_MS);
    const tilt = (this.effects.buyRatioTarget - 0.5) * (w - 1);
    const r = this.p.buyRatio + tilt + 0.04 * this.noise(4, t, 6 * HOUR_MS);
    return min(0.95, max(0.05, r));
  }

  /** Smooth noise anchored to 0 at startTime so history joins the live values. */
  private noise(series: number, t: number, periodMs: number): number {
    const key = (this.p.key + series * 0x9e3779b9) >>> 0;
    return valueNoise(key, t / periodMs) - valueNoise(key, this.startTime / periodMs);
  }

  private makeSegmentVolatility(rng: Rng): Float64Array {
    const n = LEVELS[0].count + 1;
    const out = new Float64Array(n);
    const sd = 0.3;
    let lv = sd * rng.normal();
    for (let k = 0; k < n; k++) {
      out[k] = exp(lv - sd * sd);
      lv = 0.9 * lv + sd * sqrt(1 - 0.81) * rng.normal();
    }
    return out;
  }

  private volAt(t: number): number {
    const c0 = this.currentStarts[0];
    const k = t >= c0 ? 0 : ceil((c0 - t) / INTERVAL_MS['240']);
    return this.segVol[min(k, this.segVol.length - 1)];
  }

  /** 4 h boundaries, walked backwards in time from the start price. */
  private walkCoarse(rng: Rng): Float64Array {
    const { count } = LEVELS[0];
    const d = INTERVAL_MS['240'];
    const c0 = this.currentStarts[0];
    const sigma = this.p.hourlyVol;
    const theta = LN2 / RANGE_HALF_LIFE_H;
    const xs = new Float64Array(count + 1);
    let tb = this.startTime;
    let xb = this.x0;
    let preTrendLevel = this.x0;
    for (let k = 0; k <= count; k++) {
      const ta = c0 - k * d;
      const dh = (tb - ta) / HOUR_MS;
      const v = this.segVol[k];
      let xa = xb;
      if (dh > 0) {
        if (this.effects.direction === 0) {
          const decay = exp(-theta * dh);
          xa = this.x0 + (xb - this.x0) * decay + sigma * v * sqrt((1 - decay * decay) / (2 * theta)) * rng.normal();
        } else {
          const ageH = (this.startTime - (ta + tb) / 2) / HOUR_MS;
          if (ageH < TREND_FADE_END_H) {
            const span = integratedPriceDrift((this.startTime - ta) / HOUR_MS) - integratedPriceDrift((this.startTime - tb) / HOUR_MS);
            const drift = this.effects.driftSigmaPerHour * sigma * span;
            xa = xb - drift + sigma * v * sqrt(dh) * rng.normal();
            preTrendLevel = xa;
          } else {
            // Before the trend the market wandered around the level the trend started from.
            const decay = exp(-LONG_PULL_PER_H * dh);
            xa = preTrendLevel + (xb - preTrendLevel) * decay + sigma * v * sqrt((1 - decay * decay) / (2 * LONG_PULL_PER_H)) * rng.normal();
          }
        }
      }
      xs[k] = xa;
      tb = ta;
      xb = xa;
    }
    return xs;
  }

  /** Boundaries of a finer level from Brownian bridges pinned to the coarser level's points. */
  private bridge(level: number, rng: Rng): Float64Array {
    const { count } = LEVELS[level];
    const d = INTERVAL_MS[LEVELS[level].interval];
    const c = this.currentStarts[level];
    const parent = level - 1;
    const pd = INTERVAL_MS[LEVELS[parent].interval];
    const pc = this.currentStarts[parent];
    const pxs = this.xs[parent];
    const sigma2 = this.p.hourlyVol * this.p.hourlyVol;
    const xs = new Float64Array(count + 1);
    let prevT = Number.NaN;
    let prevX = 0;
    let prevSeg = -1;
    // Oldest first, so each point is conditioned on the previous one and the segment's right end.
    for (let k = count; k >= 0; k--) {
      const t = c - k * d;
      const kp = t > pc ? 0 : ceil((pc - t) / pd);
      const leftT = pc - kp * pd;
      if (leftT === t) {
        xs[k] = pxs[kp];
        prevT = t;
        prevX = xs[k];
        prevSeg = kp;
        continue;
      }
      const rightT = kp === 0 ? this.startTime : leftT + pd;
      const rightX = kp === 0 ? this.x0 : pxs[kp - 1];
      if (prevSeg !== kp || Number.isNaN(prevT)) {
        prevT = leftT;
        prevX = pxs[kp];
      }
      const span = (rightT - prevT) / HOUR_MS;
      const a = (t - prevT) / HOUR_MS;
      const mean = prevX + (rightX - prevX) * (a / span);
      const v = this.volAt(t);
      const variance = (sigma2 * v * v * a * (span - a)) / span;
      const x = mean + sqrt(max(0, variance)) * rng.normal();
      xs[k] = x;
      prevT = t;
      prevX = x;
      prevSeg = kp;
    }
    return xs;
  }

  private candleAt(level: number, k: number): CandleValues {
    const d = INTERVAL_MS[LEVELS[level].interval];
    const start = this.currentStarts[level] - k * d;
    const end = k === 0 ? this.startTime : start + d;
    const child = level + 1;
    if (child < LEVELS.length) {
      const cd = INTERVAL_MS[LEVELS[child].interval];
      const cc = this.currentStarts[child];
      const oldestChildStart = cc - LEVELS[child].count * cd;
      if (oldestChildStart <= start) return this.aggregate(child, (cc - start) / cd, end, start);
    }
    return this.synthesize(level, k, start, end);
  }

  private aggregate(child: number, firstK: number, end: number, start: number): CandleValues {
    const cd = INTERVAL_MS[LEVELS[child].interval];
    const first = this.candleAt(child, firstK);
    const out: CandleValues = { ...first, start };
    for (let k = firstK - 1; k >= 0; k--) {
      const childStart = this.currentStarts[child] - k * cd;
      if (childStart >= end) break;
      const c = this.candleAt(child, k);
      out.high = max(out.high, c.high);
      out.low = min(out.low, c.low);
      out.close = c.close;
      out.volume += c.volume;
      out.turnover += c.turnover;
    }
    return out;
  }

  private synthesize(level: number, k: number, start: number, end: number): CandleValues {
    const xo = this.xs[level][k];
    const xc = k === 0 ? this.x0 : this.xs[level][k - 1];
    const spanH = max((end - start) / HOUR_MS, 1 / 3600);
    const sig = this.p.hourlyVol * this.volAt(start) * sqrt(spanH);
    const key = this.p.key;
    const hiX = max(xo, xc) + abs(hashNormal(key, level, k, 1)) * 0.5 * sig;
    const loX = min(xo, xc) - abs(hashNormal(key, level, k, 2)) * 0.5 * sig;
    const open = this.ticks(xo);
    const close = this.ticks(xc);
    // Activity clusters with the size of the move, averaging to the target turnover.
    const activity = exp(0.35 * hashNormal(key, level, k, 3) - 0.061) * (0.75 + (0.25 * abs(xc - xo)) / sig);
    const mid = ((open + close) / 2) * this.p.tick;
    const volume = max(0, round((this.turnoverPerMs * (end - start) * activity) / (mid * this.p.qty)));
    return {
      start,
      open,
      high: max(open, close, this.ticks(hiX)),
      low: max(1, min(open, close, this.ticks(loX))),
      close,
      volume,
      turnover: volume * this.p.qty * mid,
    };
  }

  private ticks(x: number): number {
    return max(1, round(exp(x) / this.p.tick));
  }
}

function levelOf(interval: KlineInterval): number {
  return LEVELS.findIndex((l) => l.interval === interval);
}

/** ∫₀^age of the price drift's weight (1 for RECENT_DRIFT_H hours, then HISTORY_DRIFT_SHARE × trendWeight): hours of full drift. */
export function integratedPriceDrift(ageH: number): number {
  if (ageH <= RECENT_DRIFT_H) return max(0, ageH);
  return RECENT_DRIFT_H + HISTORY_DRIFT_SHARE * (integratedTrendWeight(ageH) - integratedTrendWeight(RECENT_DRIFT_H));
}

/** ∫₀^age trendWeight(a) da — the hours of full-strength trend between a time and the start. */
function integratedTrendWeight(ageH: number): number {
  if (ageH <= TREND_FULL_H) return ageH;
  const fade = min(ageH, TREND_FADE_END_H) - TREND_FULL_H;
  const span = TREND_FADE_END_H - TREND_FULL_H;
  return TREND_FULL_H + fade - (fade * fade) / (2 * span);
}
