import { SUB_SIGNAL_FORMULAS } from '@confluence/contracts';
import { priceAt, type Context } from '../context';
import { imbalance, tanhScore } from '../math';
import { TIMEFRAME_MS } from '../series';
import { combine, missing, scored, type ComponentResult, type Phrases, type Signal } from '../signal';
import type { FlowWindow } from '../trades';
import type { MarketSnapshot, OpenInterestPoint } from '../types';

export const MIN_TRADES_LONG = 10;
export const MIN_TRADES_MEDIUM = 10;
export const MIN_TRADES_RECENT = 5;
export const MIN_TRADES_LARGE = 20;
export const OI_LOOKBACK_MS = 15 * 60_000;
export const OI_MIN_SPAN_MS = 5 * 60_000;

/** CVD trend: x = (buy − sell)/(buy + sell) taker size over the last 15 min; score = 50 + 50·tanh(2x). */
export function mapCvdTrend(x: number): number {
  return tanhScore(x, 0.5);
}

/**
 * CVD vs price over the last 5 min, c = normalised CVD (−1..1), p = tanh(price move / (ATR₁ₘ·√5)).
 * Agreement (c·p > 0): g = sign(c)·√(|c|·|p|), a confirmed move. Divergence: g = (c − p)/4, a move the takers do
 * not back leans, weakly, the way the flow points. score = 50 + 50·g.
 */
export function cvdPriceRaw(c: number, p: number): number {
  return c * p > 0 ? Math.sign(c) * Math.sqrt(Math.abs(c) * Math.abs(p)) : (c - p) / 4;
}

/** Aggressor imbalance, size-weighted: r = imbalance over 60 s, l = over 5 min; raw = 0.7·r + 0.3·(r − l); score = 50 + 50·tanh(1.5·raw). */
export function mapAggressor(r: number, l: number): number {
  return tanhScore(0.7 * r + 0.3 * (r - l), 1 / 1.5);
}

/**
 * Open interest vs price over ~15 min: o = tanh(ΔOI% / 0.5 %), p = tanh(price move / (ATR₁ₘ·√minutes)).
 * OI up + price up = new longs (bullish), OI up + price down = new shorts (bearish) → g = o·p;
 * OI down + price up = short covering (mildly bullish), OI down + price down = long liquidation (mildly bearish)
 * → g = 0.5·|o|·p. score = 50 + 50·g.
 */
export function oiPriceRaw(o: number, p: number): number {
  return o > 0 ? o * p : 0.5 * Math.abs(o) * p;
}

/** Large-trade pressure: (large buy − large sell) / all taker size over 15 min, large = ≥ 4× mean size; score = 50 + 50·tanh(raw / 0.15). */
export function mapLargeTrades(raw: number): number {
  return tanhScore(raw, 0.15);
}

/** A price move in "ATR units" for a span of `minutes`: ATR(14) of 1m candles × √minutes, else the window's price range. */
export function moveScale(ctx: Context, minutes: number, w: FlowWindow): number {
  const d = ctx.tfOrNull('1m');
  const atr = d?.values.atr ?? null;
  if (atr !== null && atr > 0) return atr * Math.sqrt(Math.max(minutes, 1));
  const range = w.maxPrice - w.minPrice;
  return Number.isFinite(range) && range > 0 ? range / 2 : 0;
}

/** Current and earlier open interest, for a look-back (the live ticker value counts as the newest point). */
export function oiChange(s: MarketSnapshot, now: number, lookbackMs: number, minSpanMs: number): { from: OpenInterestPoint; to: OpenInterestPoint } | string {
  const pts = s.openInterest;
  const live = s.ticker?.openInterest;
  const to: OpenInterestPoint | undefined = live !== undefined && Number.isFinite(live) ? { ts: s.ticker?.ts ?? now, openInterest: live } : pts[pts.length - 1];
  if (to === undefined) return 'no open interest data';
  const target = now - lookbackMs;
  let from: OpenInterestPoint | undefined;
  for (let i = pts.length - 1; i >= 0; i--) {
    if (pts[i].ts <= target) {
      from = pts[i];
      break;
    }
  }
  if (from === undefined && pts.length > 0 && to.ts - pts[0].ts >= minSpanMs) from = pts[0];
  if (from === undefined) return `needs open interest from ${Math.round(minSpanMs / 60_000)} min back`;
  if (!(from.openInterest > 0)) return 'open interest is zero';
  return { from, to };
}

const CVD_P: Phrases = { up: 'CVD rising', down: 'CVD falling', flat: 'CVD flat' };
const CVD_AGREE_P: Phrases = { up: 'CVD rising with price', down: 'CVD falling with price', flat: 'CVD and price flat' };
const CVD_DIVERGE_P: Phrases = { up: 'net buying against the price', down: 'net selling against the price', flat: 'CVD and price flat' };
const AGGR_P: Phrases = { up: 'buyers aggressive', down: 'sellers aggressive', flat: 'aggressors balanced' };
const OI_UP_P: Phrases = { up: 'new longs (OI up, price up)', down: 'new shorts (OI up, price down)', flat: 'OI and price steady' };
const OI_DOWN_P: Phrases = { up: 'short covering (OI down, price up)', down: 'long liquidation (OI down, price down)', flat: 'OI and price steady' };
const LARGE_P: Phrases = { up: 'large buys dominate', down: 'large sells dominate', flat: 'no large-trade pressure' };

/** Order-flow component: taker flow from trades, plus open interest against price. */
export function orderflow(ctx: Context): ComponentResult {
  const sw = ctx.config.subWeights.orderflow;
  const s = ctx.snapshot;
  const signals: Signal[] = [];
  const t = ctx.trades();

  if (t.total === 0) {
    signals.push(
      missing('cvdTrend', null, sw.cvdTrend, 'no trades'),
      missing('cvdPrice', null, sw.cvdPrice, 'no trades'),
      missing('aggressorImbalance', null, sw.aggressorImbalance, 'no trades'),
    );
  } else {
    if (t.long.count < MIN_TRADES_LONG)
      signals.push(missing('cvdTrend', null, sw.cvdTrend, `needs ${MIN_TRADES_LONG} trades in the last 15 min, has ${t.long.count}`));
    else {
      const x = imbalance(t.long.buy, t.long.sell);
      signals.push(scored('cvdTrend', null, sw.cvdTrend, x, mapCvdTrend(x), SUB_SIGNAL_FORMULAS.cvdTrend, CVD_P));
    }

    if (t.medium.count < MIN_TRADES_MEDIUM)
      signals.push(missing('cvdPrice', null, sw.cvdPrice, `needs ${MIN_TRADES_MEDIUM} trades in the last 5 min, has ${t.medium.count}`));
    else {
      const c = imbalance(t.medium.buy, t.medium.sell);
      const scale = moveScale(ctx, 5, t.medium);
      const p = scale > 0 ? Math.tanh((t.medium.lastPrice - t.medium.firstPrice) / scale) : 0;
      const g = cvdPriceRaw(c, p);
      const agree = c * p > 0;
      signals.push(
        scored(
          'cvdPrice',
          null,
          sw.cvdPrice,
          g,
          50 + 50 * g,
          agree ? 'CVD and price agree: raw = sign·√(|cvd|·|move|); score = 50 + 50·raw' : 'CVD and price diverge: raw = (cvd − move)/4; score = 50 + 50·raw',
          agree ? CVD_AGREE_P : CVD_DIVERGE_P,
        ),
      );
    }

    if (t.recent.count < MIN_TRADES_RECENT) {
      signals.push(missing('aggressorImbalance', null, sw.aggressorImbalance, `needs ${MIN_TRADES_RECENT} trades in the last 60 s, has ${t.recent.count}`));
    } else {
      const r = imbalance(t.recent.buy, t.recent.sell);
      const l = imbalance(t.medium.buy, t.medium.sell);
      signals.push(scored('aggressorImbalance', null, sw.aggressorImbalance, r, mapAggressor(r, l), SUB_SIGNAL_FORMULAS.aggressorImbalance, AGGR_P));
    }
  }

  const oi = oiChange(s, ctx.now, OI_LOOKBACK_MS, OI_MIN_SPAN_MS);
  const d1 = ctx.tfOrNull('1m');
  if (typeof oi === 'string') signals.push(missing('oiPrice', null, sw.oiPrice, oi));
  else if (d1 === null || d1.last === null || d1.values.atr === null)
    signals.push(missing('oiPrice', '1m', sw.oiPrice, `needs 14 candles on 1m, has ${d1?.values.count ?? 0}`));
  else {
    const dOi = (oi.to.openInterest - oi.from.openInterest) / oi.from.openInterest;
    const minutes = Math.max(1, (oi.to.ts - oi.from.ts) / 60_000);
    const then = priceAt(d1.candles, TIMEFRAME_MS['1m'], oi.from.ts) ?? d1.last.close;
    const atr = d1.values.atr;
    const p = atr > 0 ? Math.tanh((d1.last.close - then) / (atr * Math.sqrt(minutes))) : 0;
    const o = Math.tanh(dOi / 0.005);
    const g = oiPriceRaw(o, p);
    signals.push(
      scored(
        'oiPrice',
        null,
        sw.oiPrice,
        dOi,
        50 + 50 * g,
        o > 0 ? 'raw = ΔOI share over ~15 min; OI up: score = 50 + 50·o·p' : 'raw = ΔOI share over ~15 min; OI down: score = 50 + 25·|o|·p',
        o > 0 ? OI_UP_P : OI_DOWN_P,
      ),
    );
  }

  if (t.long.count < MIN_TRADES_LARGE)
    signals.push(missing('largeTrades', null, sw.largeTrades, `needs ${MIN_TRADES_LARGE} trades in the last 15 min, has ${t.long.count}`));
  else {
    const total = t.long.buy + t.long.sell;
    const raw = total > 0 ? (t.largeBuy - t.largeSell) / total : 0;
    signals.push(scored('largeTrades', null, sw.largeTrades, raw, mapLargeTrades(raw), SUB_SIGNAL_FORMULAS.largeTrades, LARGE_P));
  }

  return combine(signals, 'no order-flow signal available');
}
