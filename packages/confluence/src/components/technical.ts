import { TIMEFRAMES, SUB_SIGNAL_FORMULAS } from '@confluence/contracts';
import type { Context } from '../context';
import { clamp, tanhScore } from '../math';
import { REQUIRED, type TfData } from '../series';
import { combine, missing, scored, type ComponentResult, type Phrases, type Signal } from '../signal';

const FLAT: Phrases = { up: 'flat prices', down: 'flat prices', flat: 'flat prices' };
const RSI_P: Phrases = { up: 'RSI', down: 'RSI', flat: 'RSI neutral', showRaw: 0 };
const MACD_P: Phrases = { up: 'MACD positive', down: 'MACD negative', flat: 'MACD flat' };
const AO_P: Phrases = { up: 'AO positive', down: 'AO negative', flat: 'AO flat' };
const WR_P: Phrases = { up: 'Williams %R near highs', down: 'Williams %R near lows', flat: 'Williams %R mid-range' };
const CCI_P: Phrases = { up: 'CCI', down: 'CCI', flat: 'CCI neutral', showRaw: 0 };
const ADX_UP: Phrases = { up: '+DI leads, ADX', down: '−DI leads, ADX', flat: 'no trend', showRaw: 0 };

function needs(n: number, d: TfData): string {
  return `needs ${n} candles on ${d.tf}, has ${d.values.count}`;
}

/** True when no close changed inside the indicator window (RSI is then undefined rather than 100). */
function flatCloses(d: TfData): boolean {
  const c = d.candles;
  const first = c[d.windowStart].close;
  for (let i = d.windowStart + 1; i < c.length; i++) if (c[i].close !== first) return false;
  return true;
}

/**
 * RSI(14), Wilder smoothing (library `RSI`). Momentum reading with exhaustion damping:
 * score = RSI on 20..80; beyond that it turns back at half slope (RSI 90 → 75, RSI 10 → 25).
 * Flat closes (no gains, no losses) → 50.
 */
export function mapRsi(rsi: number): number {
  if (rsi > 80) return 80 - 0.5 * (rsi - 80);
  if (rsi < 20) return 20 + 0.5 * (20 - rsi);
  return rsi;
}

function rsiSignal(d: TfData, w: number): Signal {
  const v = d.values.rsi;
  if (v === null) return missing('rsi', d.tf, w, needs(REQUIRED.rsi, d));
  if (v === 100 && flatCloses(d)) return scored('rsi', d.tf, w, 50, 50, 'flat closes: RSI undefined → 50', FLAT);
  return scored('rsi', d.tf, w, v, mapRsi(v), SUB_SIGNAL_FORMULAS.rsi, RSI_P);
}

/**
 * MACD(12, 26, 9) (library `MACD` with EMAs), normalised by ATR(14) of the same timeframe:
 * score = 50 + 30·tanh(macd / ATR) + 20·tanh(3·histogram / ATR). Line position carries the trend, the histogram its acceleration.
 */
export function mapMacd(macd: number, histogram: number, atr: number): number {
  if (atr <= 0) return 50;
  return 50 + 30 * Math.tanh(macd / atr) + 20 * Math.tanh((3 * histogram) / atr);
}

function macdSignal(d: TfData, w: number): Signal {
  const { macd, macdHistogram, atr } = d.values;
  if (macd === null || macdHistogram === null || atr === null) return missing('macd', d.tf, w, needs(REQUIRED.macd, d));
  return scored('macd', d.tf, w, macdHistogram, mapMacd(macd, macdHistogram, atr), SUB_SIGNAL_FORMULAS.macd, MACD_P);
}

/** Awesome Oscillator (SMA5 − SMA34 of median price, library `AO`): score = 50 + 50·tanh(AO / (3·ATR)). */
export function mapAo(ao: number, atr: number): number {
  return atr > 0 ? tanhScore(ao / atr, 3) : 50;
}

function aoSignal(d: TfData, w: number): Signal {
  const { ao, atr } = d.values;
  if (ao === null || atr === null) return missing('ao', d.tf, w, needs(REQUIRED.ao, d));
  return scored('ao', d.tf, w, ao, mapAo(ao, atr), SUB_SIGNAL_FORMULAS.ao, AO_P);
}

/** Williams %R(14) (library `WilliamsR`, −100..0): score = 50 + 0.8·(%R + 50), i.e. 10..90. A 14-candle range of zero → 50. */
export function mapWilliamsR(wr: number): number {
  return 50 + 0.8 * (wr + 50);
}

function williamsSignal(d: TfData, w: number): Signal {
  const v = d.values.williamsR;
  if (v === null) return missing('williamsR', d.tf, w, needs(REQUIRED.williamsR, d));
  if (v === -100) {
    const c = d.candles;
    let hi = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    for (let i = Math.max(0, c.length - 14); i < c.length; i++) {
      if (c[i].high > hi) hi = c[i].high;
      if (c[i].low < lo) lo = c[i].low;
    }
    if (hi === lo) return scored('williamsR', d.tf, w, -50, 50, 'zero 14-candle range: %R undefined → 50', FLAT);
  }
  return scored('williamsR', d.tf, w, v, mapWilliamsR(v), SUB_SIGNAL_FORMULAS.williamsR, WR_P);
}

/** CCI(20) (library `CCI`): score = 50 + 50·tanh(CCI / 200) (CCI 100 → 73, 200 → 88). Flat typical prices (0/0) → 50. */
export function mapCci(cci: number): number {
  return Number.isFinite(cci) ? tanhScore(cci, 200) : 50;
}

function cciSignal(d: TfData, w: number): Signal {
  const v = d.values.cci;
  if (v === null) return missing('cci', d.tf, w, needs(REQUIRED.cci, d));
  const raw = Number.isFinite(v) ? v : 0;
  return scored('cci', d.tf, w, raw, mapCci(v), Number.isFinite(v) ? SUB_SIGNAL_FORMULAS.cci : 'flat typical prices: CCI undefined → 50', CCI_P);
}

/**
 * ADX/DMI(14) (library `ADX`, +DI/−DI from its DX): direction d = (+DI − −DI)/(+DI + −DI), trend strength
 * s = clamp((ADX − 10)/30, 0, 1); score = 50 + 50·d·s (no trend below ADX 10, full weight from ADX 40). Flat → 50.
 */
export function mapAdx(adx: number, pdi: number, mdi: number): number {
  if (!Number.isFinite(adx) || !Number.isFinite(pdi) || !Number.isFinite(mdi) || pdi + mdi <= 0) return 50;
  const dir = (pdi - mdi) / (pdi + mdi);
  return 50 + 50 * dir * clamp((adx - 10) / 30, 0, 1);
}

function adxSignal(d: TfData, w: number): Signal {
  const { adx, pdi, mdi } = d.values;
  if (adx === null || pdi === null || mdi === null) return missing('adx', d.tf, w, needs(REQUIRED.adx, d));
  const raw = Number.isFinite(adx) ? adx : 0;
  return scored('adx', d.tf, w, raw, mapAdx(adx, pdi, mdi), SUB_SIGNAL_FORMULAS.adx, ADX_UP);
}

/** Technical component: six oscillators per timeframe, weighted by sub-weight × timeframe weight, renormalised over what is available. */
export function technical(ctx: Context): ComponentResult {
  const sw = ctx.config.subWeights.technical;
  const signals: Signal[] = [];
  for (const tf of TIMEFRAMES) {
    const t = ctx.config.timeframeWeights[tf];
    const d = ctx.tf(tf);
    signals.push(
      rsiSignal(d, sw.rsi * t),
      macdSignal(d, sw.macd * t),
      aoSignal(d, sw.ao * t),
      williamsSignal(d, sw.williamsR * t),
      cciSignal(d, sw.cci * t),
      adxSignal(d, sw.adx * t),
    );
  }
  return combine(signals, 'no technical indicator available');
}
