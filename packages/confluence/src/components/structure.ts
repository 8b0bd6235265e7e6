import { TIMEFRAMES, SUB_SIGNAL_FORMULAS } from '@confluence/contracts';
import type { Context } from '../context';
import { tanhScore } from '../math';
import { REQUIRED, type TfData } from '../series';
import { combine, missing, scored, type ComponentResult, type Phrases, type Signal } from '../signal';

const EMA_POS_P: Phrases = { up: 'price above EMAs', down: 'price below EMAs', flat: 'price at EMAs' };
const EMA_ALIGN_P: Phrases = { up: 'EMA20 over EMA50', down: 'EMA20 under EMA50', flat: 'EMAs converged' };
const MS_TREND_P: Phrases = { up: 'higher highs/lows', down: 'lower highs/lows', flat: 'mixed structure' };
const MS_BREAK_UP_P: Phrases = { up: 'bullish break of structure', down: 'lower highs/lows', flat: 'mixed structure' };
const MS_BREAK_DOWN_P: Phrases = { up: 'higher highs/lows', down: 'bearish break of structure', flat: 'mixed structure' };
const SR_P: Phrases = { up: 'near support', down: 'near resistance', flat: 'between levels' };
const FLAT_P: Phrases = { up: 'flat', down: 'flat', flat: 'flat' };
const RANGE_P: Phrases = { up: 'top of range', down: 'bottom of range', flat: 'mid-range' };
import { nearestLevels } from '../swings';

/** Distances to support/resistance are capped here (in ATRs); a side with no level counts as this far. */
export const SR_MAX_ATR = 6;
/** Swing prices closer than this many ATRs merge into one level. */
export const SR_CLUSTER_ATR = 0.5;
export const RANGE_LOOKBACK = 50;

function needs(n: number, d: TfData, what = 'candles'): string {
  return `needs ${n} ${what} on ${d.tf}, has ${d.values.count}`;
}

/** Price vs EMA20/EMA50 (library `EMA`): x = (close − (EMA20 + EMA50)/2) / ATR; score = 50 + 50·tanh(x / 2). */
export function mapEmaPosition(close: number, ema20: number, ema50: number, atr: number): number {
  return atr > 0 ? tanhScore((close - (ema20 + ema50) / 2) / atr, 2) : 50;
}

/** EMA alignment: x = (EMA20 − EMA50) / ATR; score = 50 + 50·tanh(x / 1.5) (fast above slow = uptrend). */
export function mapEmaAlignment(ema20: number, ema50: number, atr: number): number {
  return atr > 0 ? tanhScore((ema20 - ema50) / atr, 1.5) : 50;
}

/**
 * Swing market structure: trend = (sign(H₂ − H₁) + sign(L₂ − L₁)) / 2 over the last two swing highs and lows
 * (HH+HL = +1, LH+LL = −1, mixed = 0); break of structure bos = +1 when the close is above the last swing high,
 * −1 below the last swing low (0 when both); raw = 0.6·trend + 0.4·bos; score = 50 + 50·raw.
 */
export function mapMarketStructure(trend: number, bos: number): number {
  return 50 + 50 * (0.6 * trend + 0.4 * bos);
}

/**
 * Support/resistance from swing clusters: dS, dR = distance in ATRs to the nearest level below/above the close
 * (capped at 6; no level = 6); raw = (dR − dS)/(dR + dS) (+1 sitting on support, −1 under resistance); score = 50 + 40·raw.
 */
export function mapSupportResistance(dS: number, dR: number): number {
  const s = dS + dR;
  return s > 0 ? 50 + (40 * (dR - dS)) / s : 50;
}

/** Range position over the last 50 candles: r = (close − low)/(high − low); score = 50 + 40·(2r − 1). Zero range → 50. */
export function mapRangePosition(r: number): number {
  return 50 + 40 * (2 * r - 1);
}

function tfSignals(d: TfData, t: number, sw: Context['config']['subWeights']['structure']): Signal[] {
  const v = d.values;
  const close = d.last?.close ?? Number.NaN;
  const out: Signal[] = [];
  const tf = d.tf;

  if (v.ema20 === null || v.ema50 === null || v.atr === null) {
    out.push(
      missing('emaPosition', tf, sw.emaPosition * t, needs(REQUIRED.ema50, d)),
      missing('emaAlignment', tf, sw.emaAlignment * t, needs(REQUIRED.ema50, d)),
    );
  } else {
    const atr = v.atr;
    const x = atr > 0 ? (close - (v.ema20 + v.ema50) / 2) / atr : 0;
    out.push(scored('emaPosition', tf, sw.emaPosition * t, x, mapEmaPosition(close, v.ema20, v.ema50, atr), SUB_SIGNAL_FORMULAS.emaPosition, EMA_POS_P));
    const y = atr > 0 ? (v.ema20 - v.ema50) / atr : 0;
    out.push(scored('emaAlignment', tf, sw.emaAlignment * t, y, mapEmaAlignment(v.ema20, v.ema50, atr), SUB_SIGNAL_FORMULAS.emaAlignment, EMA_ALIGN_P));
  }

  const { highs, lows } = d.swings;
  if (highs.length < 2 || lows.length < 2) {
    out.push(missing('marketStructure', tf, sw.marketStructure * t, `needs 2 swing highs and 2 swing lows on ${tf}, has ${highs.length}/${lows.length}`));
  } else {
    const h1 = highs[highs.length - 2].price;
    const h2 = highs[highs.length - 1].price;
    const l1 = lows[lows.length - 2].price;
    const l2 = lows[lows.length - 1].price;
    const trend = (Math.sign(h2 - h1) + Math.sign(l2 - l1)) / 2;
    // A close can be above the last swing high and below the last swing low at once (lows above older highs): no break then.
    const bos = (close > h2 ? 1 : 0) - (close < l2 ? 1 : 0);
    const phrases = bos > 0 ? MS_BREAK_UP_P : bos < 0 ? MS_BREAK_DOWN_P : MS_TREND_P;
    out.push(
      scored(
        'marketStructure',
        tf,
        sw.marketStructure * t,
        0.6 * trend + 0.4 * bos,
        mapMarketStructure(trend, bos),
        SUB_SIGNAL_FORMULAS.marketStructure,
        phrases,
      ),
    );
  }

  if (v.atr === null) {
    out.push(missing('supportResistance', tf, sw.supportResistance * t, needs(REQUIRED.atr, d)));
  } else if (highs.length + lows.length === 0) {
    out.push(missing('supportResistance', tf, sw.supportResistance * t, `no swing levels on ${tf}`));
  } else if (v.atr <= 0) {
    out.push(scored('supportResistance', tf, sw.supportResistance * t, 0, 50, 'zero ATR: no distance → 50', FLAT_P));
  } else {
    const atr = v.atr;
    const { below, above } = nearestLevels(d.swings, SR_CLUSTER_ATR * atr, close);
    const dS = Number.isNaN(below) ? SR_MAX_ATR : Math.min(SR_MAX_ATR, (close - below) / atr);
    const dR = Number.isNaN(above) ? SR_MAX_ATR : Math.min(SR_MAX_ATR, (above - close) / atr);
    const raw = dS + dR > 0 ? (dR - dS) / (dS + dR) : 0;
    out.push(scored('supportResistance', tf, sw.supportResistance * t, raw, mapSupportResistance(dS, dR), SUB_SIGNAL_FORMULAS.supportResistance, SR_P));
  }

  const c = d.candles;
  if (c.length < 20) {
    out.push(missing('rangePosition', tf, sw.rangePosition * t, `needs 20 candles on ${tf}, has ${c.length}`));
  } else {
    let hi = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    for (let i = Math.max(0, c.length - RANGE_LOOKBACK); i < c.length; i++) {
      if (c[i].high > hi) hi = c[i].high;
      if (c[i].low < lo) lo = c[i].low;
    }
    const r = hi > lo ? (close - lo) / (hi - lo) : 0.5;
    out.push(scored('rangePosition', tf, sw.rangePosition * t, r, mapRangePosition(r), SUB_SIGNAL_FORMULAS.rangePosition, RANGE_P));
  }
  return out;
}

/** Price structure component: EMAs, swings, levels and range per timeframe, weighted by sub-weight × structure timeframe weight. */
export function structure(ctx: Context): ComponentResult {
  const sw = ctx.config.subWeights.structure;
  const signals: Signal[] = [];
  for (const tf of TIMEFRAMES) signals.push(...tfSignals(ctx.tf(tf), ctx.config.structureTimeframeWeights[tf], sw));
  return combine(signals, 'no structure signal available');
}
