import { SUB_SIGNAL_FORMULAS } from '@confluence/contracts';
import type { Context } from '../context';
import { clamp, tanhScore } from '../math';
import { REQUIRED, type TfData } from '../series';
import { combine, missing, scored, type ComponentResult, type Phrases, type Signal } from '../signal';

const RVOL_P: Phrases = { up: 'volume confirms the rise, rvol', down: 'volume confirms the drop, rvol', flat: 'volume unremarkable', showRaw: 1 };
const OBV_P: Phrases = { up: 'OBV rising', down: 'OBV falling', flat: 'OBV flat' };
const CMF_P: Phrases = { up: 'money flow positive', down: 'money flow negative', flat: 'money flow flat' };
const AD_P: Phrases = { up: 'accumulation', down: 'distribution', flat: 'no accumulation' };
const DELTA_P: Phrases = { up: 'net taker buying', down: 'net taker selling', flat: 'taker flow balanced' };
const VWAP_P: Phrases = { up: 'above VWAP', down: 'below VWAP', flat: 'at VWAP' };

export const RVOL_RECENT = 3;
export const RVOL_BASE = 20;
export const OBV_LOOKBACK = 20;
export const VWAP_LOOKBACK = 96;
export const VOLUME_DELTA_BASE = 20;

/**
 * Relative volume, signed by the move it accompanies: rvol = mean volume of the last 3 confirmed candles /
 * mean of the 20 before; move p = tanh((close − open₃) / (2·ATR)) from the open of those 3 candles to the newest close;
 * confirmation c = clamp((rvol − 0.5)/1.5, 0, 1); score = 50 + 50·p·c. Volume alone has no direction: quiet volume → 50.
 */
export function mapRelativeVolume(rvol: number, move: number): number {
  return 50 + 50 * Math.tanh(move) * clamp((rvol - 0.5) / 1.5, 0, 1);
}

/** OBV trend: x = ΔOBV over the last 20 candles / their volume = Σ sign(Δclose)·volume / Σ volume (−1..1); score = 50 + 50·x. */
export function mapObvTrend(x: number): number {
  return 50 + 50 * x;
}

/** Chaikin money flow (20) (library `CMF`, −1..1): score = 50 + 50·tanh(CMF / 0.25). */
export function mapCmf(cmf: number): number {
  return tanhScore(cmf, 0.25);
}

/** Accumulation/distribution: Chaikin oscillator of the A/D line (library `ADOSC` 3/10) / mean volume of the last 10 candles; score = 50 + 50·tanh(x / 2). */
export function mapAccumulation(x: number): number {
  return tanhScore(x, 2);
}

/** Volume delta: net taker volume (buy − sell) of the last 5 min as a multiple of a typical 5-min volume (mean of 20 candles); score = 50 + 50·tanh(x / 0.5). */
export function mapVolumeDelta(x: number): number {
  return tanhScore(x, 0.5);
}

/** VWAP position: z = (close − rolling VWAP of the last 96 candles) / ATR; score = 50 + 50·tanh(z / 2). */
export function mapVwapPosition(z: number): number {
  return tanhScore(z, 2);
}

function sumVolume(d: TfData, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += d.candles[i].volume;
  return s;
}

/** Volume component (candles of `volumeTimeframe`, plus the trades for volume delta). */
export function volume(ctx: Context): ComponentResult {
  const sw = ctx.config.subWeights.volume;
  const d = ctx.tf(ctx.config.volumeTimeframe);
  const tf = d.tf;
  const c = d.candles;
  const n = c.length;
  const nc = d.confirmedCount;
  const close = d.last?.close ?? Number.NaN;
  const atr = d.values.atr;
  const signals: Signal[] = [];

  // relative volume
  if (nc < RVOL_RECENT + RVOL_BASE || atr === null) {
    signals.push(missing('relativeVolume', tf, sw.relativeVolume, `needs ${RVOL_RECENT + RVOL_BASE} confirmed candles on ${tf}, has ${nc}`));
  } else {
    const recent = sumVolume(d, nc - RVOL_RECENT, nc) / RVOL_RECENT;
    const base = sumVolume(d, nc - RVOL_RECENT - RVOL_BASE, nc - RVOL_RECENT) / RVOL_BASE;
    if (recent === 0 && base === 0) {
      signals.push(missing('relativeVolume', tf, sw.relativeVolume, `no volume in the last ${RVOL_RECENT + RVOL_BASE} candles on ${tf}`));
    } else {
      const rvol = base > 0 ? Math.min(recent / base, 10) : 10;
      const move = atr > 0 ? (close - c[nc - RVOL_RECENT].open) / (2 * atr) : 0;
      signals.push(scored('relativeVolume', tf, sw.relativeVolume, rvol, mapRelativeVolume(rvol, move), SUB_SIGNAL_FORMULAS.relativeVolume, RVOL_P));
    }
  }

  // OBV trend
  if (n < OBV_LOOKBACK + 1) {
    signals.push(missing('obvTrend', tf, sw.obvTrend, `needs ${OBV_LOOKBACK + 1} candles on ${tf}, has ${n}`));
  } else {
    let flow = 0;
    let vol = 0;
    for (let i = n - OBV_LOOKBACK; i < n; i++) {
      const dc = c[i].close - c[i - 1].close;
      if (dc > 0) flow += c[i].volume;
      else if (dc < 0) flow -= c[i].volume;
      vol += c[i].volume;
    }
    if (vol <= 0) signals.push(missing('obvTrend', tf, sw.obvTrend, `no volume in the last ${OBV_LOOKBACK} candles on ${tf}`));
    else {
      const x = flow / vol;
      signals.push(scored('obvTrend', tf, sw.obvTrend, x, mapObvTrend(x), SUB_SIGNAL_FORMULAS.obvTrend, OBV_P));
    }
  }

  // CMF
  const vol20 = n >= 20 ? sumVolume(d, n - 20, n) : 0;
  if (d.values.cmf === null) signals.push(missing('cmf', tf, sw.cmf, `needs ${REQUIRED.cmf} candles on ${tf}, has ${d.values.count}`));
  else if (vol20 <= 0) signals.push(missing('cmf', tf, sw.cmf, `no volume in the last 20 candles on ${tf}`));
  else {
    signals.push(scored('cmf', tf, sw.cmf, d.values.cmf, mapCmf(d.values.cmf), SUB_SIGNAL_FORMULAS.cmf, CMF_P));
  }

  // A/D (Chaikin oscillator)
  const vol10 = n >= 10 ? sumVolume(d, n - 10, n) / 10 : 0;
  if (d.values.adosc === null)
    signals.push(missing('accumulationDistribution', tf, sw.accumulationDistribution, `needs ${REQUIRED.adosc} candles on ${tf}, has ${d.values.count}`));
  else if (vol10 <= 0) signals.push(missing('accumulationDistribution', tf, sw.accumulationDistribution, `no volume in the last 10 candles on ${tf}`));
  else {
    const x = d.values.adosc / vol10;
    signals.push(
      scored('accumulationDistribution', tf, sw.accumulationDistribution, x, mapAccumulation(x), SUB_SIGNAL_FORMULAS.accumulationDistribution, AD_P),
    );
  }

  // volume delta (trades)
  const trades = ctx.trades();
  if (trades.total === 0) signals.push(missing('volumeDelta', null, sw.volumeDelta, 'no trades'));
  else if (nc < VOLUME_DELTA_BASE) signals.push(missing('volumeDelta', tf, sw.volumeDelta, `needs ${VOLUME_DELTA_BASE} confirmed candles on ${tf}, has ${nc}`));
  else {
    const typical = (sumVolume(d, nc - VOLUME_DELTA_BASE, nc) / VOLUME_DELTA_BASE) * (300_000 / d.tfMs);
    if (typical <= 0) signals.push(missing('volumeDelta', tf, sw.volumeDelta, `no candle volume to compare with on ${tf}`));
    else {
      const x = (trades.medium.buy - trades.medium.sell) / typical;
      signals.push(scored('volumeDelta', tf, sw.volumeDelta, x, mapVolumeDelta(x), SUB_SIGNAL_FORMULAS.volumeDelta, DELTA_P));
    }
  }

  // VWAP position
  if (n < 20 || atr === null) signals.push(missing('vwapPosition', tf, sw.vwapPosition, `needs 20 candles on ${tf}, has ${n}`));
  else {
    let pv = 0;
    let v = 0;
    for (let i = Math.max(0, n - VWAP_LOOKBACK); i < n; i++) {
      const k = c[i];
      pv += ((k.high + k.low + k.close) / 3) * k.volume;
      v += k.volume;
    }
    if (v <= 0) signals.push(missing('vwapPosition', tf, sw.vwapPosition, `no volume in the VWAP window on ${tf}`));
    else {
      const z = atr > 0 ? (close - pv / v) / atr : 0;
      signals.push(scored('vwapPosition', tf, sw.vwapPosition, z, mapVwapPosition(z), SUB_SIGNAL_FORMULAS.vwapPosition, VWAP_P));
    }
  }

  return combine(signals, 'no volume signal available');
}
