import { TIMEFRAME_MS, type Timeframe } from '@confluence/contracts';
import { ADOSC, ADX, AO, ATR, CCI, CMF, EMA, MACD, RSI, WilliamsR, WSMA } from 'trading-signals';
import { hashString } from './math';
import { findSwings, NO_SWINGS, type Swings } from './swings';
import type { Candle } from './types';

export { TIMEFRAME_MS };

/** Inputs each library indicator needs before its value is trusted (MACD: 26 for the lines + 8 more for a settled 9-period signal). */
export const REQUIRED = {
  rsi: 15,
  macd: 34,
  ao: 34,
  williamsR: 14,
  cci: 20,
  adx: 27,
  atr: 14,
  ema20: 20,
  ema50: 50,
  cmf: 20,
  adosc: 10,
} as const;

/** Indicator values after the newest candle (the forming one when present); null until enough inputs. */
export interface TfValues {
  /** Candles fed to the indicators (window of confirmed candles plus the forming one). */
  readonly count: number;
  readonly rsi: number | null;
  readonly macd: number | null;
  readonly macdSignal: number | null;
  readonly macdHistogram: number | null;
  readonly ao: number | null;
  readonly williamsR: number | null;
  readonly cci: number | null;
  readonly adx: number | null;
  readonly pdi: number | null;
  readonly mdi: number | null;
  readonly atr: number | null;
  readonly ema20: number | null;
  readonly ema50: number | null;
  readonly cmf: number | null;
  readonly adosc: number | null;
}

/**
 * The library's Wilder smoothing (WSMA, what RSI, ATR and ADX/DMI smooth with), minus work whose result is never read.
 * WSMA seeds itself with the SMA of its first `interval` inputs and then smooths from its previous result alone, but it
 * keeps feeding that SMA on every later input (an array shift and a sum over the window). Seven of them run per
 * timeframe, on every forming-candle update. Once a previous result exists for both an update and a replace (the
 * second result on), the SMA can never be read again, so this stops feeding it and computes the library's own
 * expression, (price − previous) × (1 / interval) + previous: results are bit for bit the library's (tested).
 */
export class SeededWSMA extends WSMA {
  private readonly factor = 1 / this.interval;

  override update(price: number, replace: boolean): number | null {
    const before = this.previousResult;
    if (before === undefined) return super.update(price, replace);
    const previous = replace ? before : (this.result as number);
    return this.setResult((price - previous) * this.factor + previous, replace);
  }
}

/** Library indicators for one (symbol, timeframe), fed candle by candle; `replace` re-applies the forming candle. */
class IndicatorSet {
  private readonly rsi = new RSI(14, SeededWSMA);
  private readonly macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  private readonly ao = new AO(5, 34);
  private readonly wr = new WilliamsR(14);
  private readonly cci = new CCI(20);
  private readonly adx = new ADX(14, SeededWSMA);
  private readonly atr = new ATR(14, SeededWSMA);
  private readonly ema20 = new EMA(20);
  private readonly ema50 = new EMA(50);
  private readonly cmf: CMF | null;
  private readonly adosc: ADOSC | null;
  /** Inputs consumed, counting a replaced input once. */
  count = 0;
  values: TfValues = emptyValues(0);

  constructor(withVolume: boolean) {
    this.cmf = withVolume ? new CMF(20) : null;
    this.adosc = withVolume ? new ADOSC({ fastPeriod: 3, slowPeriod: 10 }) : null;
  }

  update(c: Candle, replace: boolean): void {
    if (!replace) this.count++;
    const n = this.count;
    const hlc = { high: c.high, low: c.low, close: c.close };
    const rsi = this.rsi.update(c.close, replace);
    const macd = this.macd.update(c.close, replace);
    const ao = this.ao.update(hlc, replace);
    const wr = this.wr.update(hlc, replace);
    const cci = this.cci.update(hlc, replace);
    const adx = this.adx.update(hlc, replace);
    const atr = this.atr.update(hlc, replace);
    const ema20 = this.ema20.update(c.close, replace);
    const ema50 = this.ema50.update(c.close, replace);
    const hlcv = { high: c.high, low: c.low, close: c.close, volume: c.volume };
    const cmf = this.cmf ? this.cmf.update(hlcv, replace) : null;
    const adosc = this.adosc ? this.adosc.update(hlcv, replace) : null;
    const adxOk = n >= REQUIRED.adx && adx !== null;
    const macdOk = n >= REQUIRED.macd && macd !== null;
    this.values = {
      count: n,
      rsi: n >= REQUIRED.rsi ? rsi : null,
      macd: macdOk ? macd.macd : null,
      macdSignal: macdOk ? macd.signal : null,
      macdHistogram: macdOk ? macd.histogram : null,
      ao: n >= REQUIRED.ao ? ao : null,
      williamsR: n >= REQUIRED.williamsR ? wr : null,
      cci: n >= REQUIRED.cci ? cci : null,
      adx: adxOk ? adx : null,
      pdi: adxOk ? (this.adx.pdi ?? null) : null,
      mdi: adxOk ? (this.adx.mdi ?? null) : null,
      atr: n >= REQUIRED.atr ? atr : null,
      ema20: n >= REQUIRED.ema20 ? ema20 : null,
      ema50: n >= REQUIRED.ema50 ? ema50 : null,
      cmf: n >= REQUIRED.cmf ? cmf : null,
      adosc: n >= REQUIRED.adosc ? adosc : null,
    };
  }
}

function emptyValues(count: number): TfValues {
  return {
    count,
    rsi: null,
    macd: null,
    macdSignal: null,
    macdHistogram: null,
    ao: null,
    williamsR: null,
    cci: null,
    adx: null,
    pdi: null,
    mdi: null,
    atr: null,
    ema20: null,
    ema50: null,
    cmf: null,
    adosc: null,
  };
}

function sameCandle(a: Candle, b: Candle): boolean {
  return (
    a === b ||
    (a.start === b.start &&
      a.open === b.open &&
      a.high === b.high &&
      a.low === b.low &&
      a.close === b.close &&
      a.volume === b.volume &&
      a.confirmed === b.confirmed)
  );
}

/** Everything the components read about one timeframe of one snapshot. */
export interface TfData {
  readonly tf: Timeframe;
  readonly tfMs: number;
  readonly candles: readonly Candle[];
  /** Number of confirmed candles (they are candles[0 .. confirmedCount − 1]). */
  readonly confirmedCount: number;
  readonly forming: Candle | null;
  /** Newest candle (the forming one when present). */
  readonly last: Candle | null;
  /** Index in `candles` where the indicator window starts. */
  readonly windowStart: number;
  readonly values: TfValues;
  /** Swing pivots over the last confirmed candles. */
  readonly swings: Swings;
}

/**
 * Cached indicator state of one (symbol, timeframe).
 *
 * Determinism: indicators always run over a window that is a pure function of the snapshot — the confirmed
 * candles from an anchor time on, plus the forming candle. The anchor is the newest candle time at least
 * `indicatorWindow` candles back that sits on a block grid of `anchorBlock` candles, phase-shifted per
 * symbol so that symbols re-anchor at different closes. Between re-anchors a warm cache only appends the
 * newly confirmed candles (replacing the forming input) and re-applies the forming candle with `replace`,
 * which yields the same numbers as feeding the window from scratch.
 */
export class TfSeries {
  private set: IndicatorSet | null = null;
  private anchorStart = Number.NaN;
  private confirmedFed = 0;
  private firstConfirmed: Candle | null = null;
  private lastConfirmed: Candle | null = null;
  private formingFed: Candle | null = null;
  private swingsFor: Candle | null = null;
  private swingsCount = 0;
  private swings: Swings = NO_SWINGS;

  constructor(
    readonly tf: Timeframe,
    private readonly phase: number,
    private readonly withVolume: boolean,
  ) {}

  evaluate(candles: readonly Candle[], window: number, block: number): TfData {
    try {
      return this.evaluateUnsafe(candles, window, block);
    } catch (err) {
      this.set = null;
      this.swingsFor = null;
      throw err;
    }
  }

  private evaluateUnsafe(candles: readonly Candle[], window: number, block: number): TfData {
    const tfMs = TIMEFRAME_MS[this.tf];
    const n = candles.length;
    const forming = n > 0 && !candles[n - 1].confirmed ? candles[n - 1] : null;
    const nc = forming ? n - 1 : n;
    const a = anchorIndex(candles, nc, tfMs, window, block, this.phase);

    if (nc === 0) {
      // Nothing confirmed: no state worth caching.
      this.set = null;
      const set = new IndicatorSet(this.withVolume);
      if (forming) set.update(forming, false);
      return this.data(candles, nc, forming, a, set.values);
    }

    let set = this.set;
    const valid =
      set !== null &&
      this.anchorStart === candles[a].start &&
      this.firstConfirmed !== null &&
      sameCandle(this.firstConfirmed, candles[a]) &&
      a + this.confirmedFed - 1 < nc &&
      this.lastConfirmed !== null &&
      sameCandle(this.lastConfirmed, candles[a + this.confirmedFed - 1]) &&
      !(this.formingFed !== null && a + this.confirmedFed === nc && forming === null);

    if (set === null || !valid) {
      set = new IndicatorSet(this.withVolume);
      for (let i = a; i < nc; i++) set.update(candles[i], false);
      if (forming) set.update(forming, false);
      this.set = set;
      this.anchorStart = candles[a].start;
      this.firstConfirmed = candles[a];
      this.confirmedFed = nc - a;
      this.lastConfirmed = candles[nc - 1];
      this.formingFed = forming;
    } else {
      let i = a + this.confirmedFed;
      if (i < nc && this.formingFed !== null) {
        set.update(candles[i++], true);
        this.formingFed = null;
      }
      for (; i < nc; i++) set.update(candles[i], false);
      this.confirmedFed = nc - a;
      this.lastConfirmed = candles[nc - 1];
      if (forming) {
        if (this.formingFed === null) set.update(forming, false);
        else if (!sameCandle(this.formingFed, forming)) set.update(forming, true);
        this.formingFed = forming;
      }
    }
    return this.data(candles, nc, forming, a, set.values);
  }

  private data(candles: readonly Candle[], nc: number, forming: Candle | null, a: number, values: TfValues): TfData {
    const lastConf = nc > 0 ? candles[nc - 1] : null;
    if (lastConf === null) {
      this.swings = NO_SWINGS;
      this.swingsFor = null;
    } else if (this.swingsFor === null || this.swingsCount !== nc || !sameCandle(this.swingsFor, lastConf)) {
      this.swings = findSwings(candles, nc);
      this.swingsFor = lastConf;
      this.swingsCount = nc;
    }
    return {
      tf: this.tf,
      tfMs: TIMEFRAME_MS[this.tf],
      candles,
      confirmedCount: nc,
      forming,
      last: forming ?? lastConf,
      windowStart: a,
      values,
      swings: this.swings,
    };
  }
}

/** Phase of the anchor grid for a symbol and timeframe, in candles. */
export function anchorPhase(symbol: string, tf: Timeframe, block: number): number {
  return hashString(`${symbol}|${tf}`) % block;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** Below this many candles a window is not worth starting on a grid point; the whole history is used instead. */
export const MIN_ANCHORED_WINDOW = 60;

/**
 * Index of the first confirmed candle of the indicator window (see TfSeries). Grid points are candle times t with
 * (t/tf + phase) mod block = 0. Preferred: the newest grid point at least `window` candles back, so the window holds
 * window … window + block − 1 candles. If the snapshot does not reach back that far: the oldest grid point inside
 * it, when that still leaves MIN_ANCHORED_WINDOW candles; otherwise the first candle. Each choice only moves when
 * its grid point changes, so a sliding snapshot re-anchors once per block, not at every close.
 */
export function anchorIndex(candles: readonly Candle[], nc: number, tfMs: number, window: number, block: number, phase: number): number {
  if (nc === 0) return 0;
  const firstStart = candles[0].start;
  const lastStart = candles[nc - 1].start;
  const m = Math.floor((lastStart - (window - 1) * tfMs) / tfMs);
  let anchor = (m - mod(m + phase, block)) * tfMs;
  if (anchor < firstStart) {
    const f = Math.ceil(firstStart / tfMs);
    const g = (f + mod(-(f + phase), block)) * tfMs;
    if ((lastStart - g) / tfMs + 1 < MIN_ANCHORED_WINDOW) return 0;
    anchor = g;
  }
  let lo = 0;
  let hi = nc - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (candles[mid].start >= anchor) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
