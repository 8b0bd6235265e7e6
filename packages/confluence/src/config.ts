import { COMPONENT_NAMES, SUB_SIGNAL_LABELS, TIMEFRAMES, type ComponentName, type Timeframe } from '@confluence/contracts';
import { deepFreeze } from './math';
import type { ComponentWeights, TimeframeWeights } from './types';
import { BOOK_SMOOTHING_MS } from './components/orderbook';

/** Sub-signal names per component; sub-weight tables are keyed by these names. */
export const SUB_SIGNALS = {
  technical: ['rsi', 'macd', 'ao', 'williamsR', 'cci', 'adx'],
  volume: ['relativeVolume', 'obvTrend', 'cmf', 'accumulationDistribution', 'volumeDelta', 'vwapPosition'],
  orderflow: ['cvdTrend', 'cvdPrice', 'aggressorImbalance', 'oiPrice', 'largeTrades'],
  orderbook: ['depthImbalance', 'topImbalance', 'depthBand10bps', 'deepBook', 'walls', 'absorption'],
  structure: ['emaPosition', 'emaAlignment', 'marketStructure', 'supportResistance', 'rangePosition'],
  sentiment: ['funding', 'longShort', 'liquidations', 'oiActivity'],
} as const satisfies { readonly [C in ComponentName]: readonly string[] };

export type SubSignalName<C extends ComponentName = ComponentName> = (typeof SUB_SIGNALS)[C][number];

/** Each sub-signal in a trader's words: the contract's catalogue, which readers use too. */
export { SUB_SIGNAL_LABELS };
// Every sub-signal the engine computes has its words there: a missing one is a compile error here.
const LABELS_COVER_EVERY_SUB_SIGNAL: Readonly<Record<SubSignalName | 'spread', string>> = SUB_SIGNAL_LABELS;
void LABELS_COVER_EVERY_SUB_SIGNAL;
export type SubWeights = { readonly [C in ComponentName]: Readonly<Record<SubSignalName<C>, number>> };

/**
 * Direction and strength cut-offs on the 0–100 overall score. The label has hysteresis: it turns Bullish at
 * score ≥ bullish and stays Bullish until the score falls below bullishExit (Bearish mirrored), so a score
 * wandering around 60 does not flip the label every second.
 */
export interface DirectionThresholds {
  /** score ≥ bullish → 'Bullish'. */
  readonly bullish: number;
  /** score ≤ bearish → 'Bearish'. */
  readonly bearish: number;
  /** A Bullish label stays while score ≥ bullishExit (≤ bullish). */
  readonly bullishExit: number;
  /** A Bearish label stays while score ≤ bearishExit (≥ bearish). */
  readonly bearishExit: number;
  /** Bullish and score ≥ strongBullish → strength 'strong'. */
  readonly strongBullish: number;
  /** Bearish and score ≤ strongBearish → strength 'strong'. */
  readonly strongBearish: number;
}

/** An input is fully fresh at age ≤ freshMs, worthless at age ≥ staleMs, linear in between. */
export interface FreshnessRamp {
  readonly freshMs: number;
  readonly staleMs: number;
}

export interface FreshnessConfig {
  readonly book: FreshnessRamp;
  readonly trades: FreshnessRamp;
  readonly ticker: FreshnessRamp;
  /** Newest open-interest point (REST 5-min history or a live ticker sample). */
  readonly openInterest: FreshnessRamp;
  /** Newest long/short account-ratio point (REST, 5-min period); older than staleMs it is not scored at all. */
  readonly longShort: FreshnessRamp;
  /**
   * Funding history is judged by the instrument's own funding interval: fresh up to one interval after the newest
   * settlement, worthless after three (only used when the live ticker carries no rate).
   */
  readonly fundingStaleIntervals: number;
  /** Candle ramps in bars of the candle's own timeframe, measured from the end of the newest candle. */
  readonly candleFreshBars: number;
  readonly candleStaleBars: number;
}

/**
 * A direction label other than Neutral needs at least this much data and confidence. Like the score thresholds the
 * confidence bar has hysteresis: a new label needs minConfidence, a label already shown stays down to holdConfidence.
 */
export interface LabelGate {
  /** Minimum confidence.completeness (0–1). */
  readonly minCompleteness: number;
  /** Minimum confidence.value (0–1) to turn Bullish or Bearish. */
  readonly minConfidence: number;
  /** Minimum confidence.value (0–1) to keep a Bullish or Bearish label shown the cycle before (≤ minConfidence). */
  readonly holdConfidence: number;
}

export interface EngineConfig {
  /** Weight of each component in the overall score; must sum to 1. */
  readonly componentWeights: ComponentWeights;
  /** Timeframe weights of the technical component; must sum to 1. */
  readonly timeframeWeights: TimeframeWeights;
  /** Timeframe weights of the structure component; must sum to 1. */
  readonly structureTimeframeWeights: TimeframeWeights;
  /** Per component, the weight of each sub-signal; each table must list every sub-signal and sum to 1. */
  readonly subWeights: SubWeights;
  readonly thresholds: DirectionThresholds;
  readonly labelGate: LabelGate;
  /** Book measures are averaged over the current book and the one-second samples of this many ms (0: current book only). */
  readonly bookSmoothingMs: number;
  /** Candles of this timeframe feed the volume component. */
  readonly volumeTimeframe: Timeframe;
  /** Indicators run over at least this many confirmed candles when the snapshot has them (see README, "Caching"). */
  readonly indicatorWindow: number;
  /** The indicator window's start moves in blocks of this many candles, so warm updates stay incremental. */
  readonly anchorBlock: number;
  readonly freshness: FreshnessConfig;
}

/**
 * What `createEngine` and `validateEngineConfig` accept: any top-level key replaces the default; `subWeights` and
 * `freshness` merge per key; `thresholds` without `bullishExit`/`bearishExit` get exits 3 points inside the entries
 * (a quarter of the Neutral band when that is narrower).
 */
export type EngineConfigInput = Partial<Omit<EngineConfig, 'subWeights' | 'freshness' | 'thresholds'>> & {
  readonly thresholds?: Omit<DirectionThresholds, 'bullishExit' | 'bearishExit'> & Partial<Pick<DirectionThresholds, 'bullishExit' | 'bearishExit'>>;
  readonly subWeights?: Partial<SubWeights>;
  readonly freshness?: Partial<FreshnessConfig>;
};

export const DEFAULT_ENGINE_CONFIG: EngineConfig = deepFreeze({
  componentWeights: { orderflow: 0.3, orderbook: 0.2, volume: 0.18, structure: 0.15, technical: 0.1, sentiment: 0.07 },
  timeframeWeights: { '1m': 0.4, '5m': 0.3, '30m': 0.2, '4h': 0.1 },
  structureTimeframeWeights: { '1m': 0.2, '5m': 0.35, '30m': 0.3, '4h': 0.15 },
  subWeights: {
    technical: { rsi: 0.2, macd: 0.2, ao: 0.15, williamsR: 0.1, cci: 0.15, adx: 0.2 },
    volume: { relativeVolume: 0.15, obvTrend: 0.2, cmf: 0.2, accumulationDistribution: 0.15, volumeDelta: 0.15, vwapPosition: 0.15 },
    orderflow: { cvdTrend: 0.2, cvdPrice: 0.2, aggressorImbalance: 0.25, oiPrice: 0.2, largeTrades: 0.15 },
    orderbook: { depthImbalance: 0.3, topImbalance: 0.1, depthBand10bps: 0.15, deepBook: 0.2, walls: 0.15, absorption: 0.1 },
    structure: { emaPosition: 0.25, emaAlignment: 0.2, marketStructure: 0.25, supportResistance: 0.15, rangePosition: 0.15 },
    sentiment: { funding: 0.35, longShort: 0.25, liquidations: 0.2, oiActivity: 0.2 },
  },
  thresholds: { bullish: 60, bearish: 40, bullishExit: 57, bearishExit: 43, strongBullish: 70, strongBearish: 30 },
  labelGate: { minCompleteness: 0.6, minConfidence: 0.2, holdConfidence: 0.1 },
  bookSmoothingMs: BOOK_SMOOTHING_MS,
  volumeTimeframe: '5m',
  indicatorWindow: 120,
  anchorBlock: 60,
  freshness: {
    book: { freshMs: 2_000, staleMs: 30_000 },
    trades: { freshMs: 15_000, staleMs: 300_000 },
    ticker: { freshMs: 5_000, staleMs: 60_000 },
    openInterest: { freshMs: 10 * 60_000, staleMs: 60 * 60_000 },
    longShort: { freshMs: 15 * 60_000, staleMs: 2 * 3_600_000 },
    fundingStaleIntervals: 3,
    candleFreshBars: 0.5,
    candleStaleBars: 3,
  },
} satisfies EngineConfig);

export class EngineConfigError extends Error {
  readonly code = 'engine_config_invalid';
  constructor(readonly problems: readonly string[]) {
    super(`invalid confluence engine config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EngineConfigError';
  }
}

const WEIGHT_SUM_TOLERANCE = 1e-6;
const TOP_LEVEL_KEYS: readonly (keyof EngineConfig)[] = [
  'componentWeights',
  'timeframeWeights',
  'structureTimeframeWeights',
  'subWeights',
  'thresholds',
  'labelGate',
  'bookSmoothingMs',
  'volumeTimeframe',
  'indicatorWindow',
  'anchorBlock',
  'freshness',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkWeightTable(path: string, table: unknown, names: readonly string[], problems: string[]): void {
  if (!isRecord(table)) {
    problems.push(`${path}: must be an object of weights keyed by ${names.join(', ')}`);
    return;
  }
  const unknown = Object.keys(table).filter((k) => !names.includes(k));
  if (unknown.length > 0) problems.push(`${path}: unknown name(s) ${unknown.map((k) => `"${k}"`).join(', ')} (expected ${names.join(', ')})`);
  const missing = names.filter((n) => !(n in table));
  if (missing.length > 0) problems.push(`${path}: missing weight(s) for ${missing.join(', ')}`);
  let sum = 0;
  let numeric = true;
  for (const n of names) {
    if (!(n in table)) continue;
    const w = table[n];
    if (typeof w !== 'number' || !Number.isFinite(w)) {
      problems.push(`${path}.${n}: must be a finite number, got ${JSON.stringify(w)}`);
      numeric = false;
    } else if (w < 0) {
      problems.push(`${path}.${n}: must not be negative, got ${w}`);
      numeric = false;
    } else sum += w;
  }
  if (numeric && missing.length === 0 && Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) {
    problems.push(`${path}: weights must sum to 1 (±${WEIGHT_SUM_TOLERANCE}), they sum to ${Number(sum.toPrecision(12))}`);
  }
}

function checkNumber(path: string, v: unknown, min: number, max: number, integer: boolean, problems: string[]): v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    problems.push(`${path}: must be a finite number, got ${JSON.stringify(v)}`);
    return false;
  }
  if (integer && !Number.isInteger(v)) {
    problems.push(`${path}: must be an integer, got ${v}`);
    return false;
  }
  if (v < min || v > max) {
    problems.push(`${path}: must be between ${min} and ${max}, got ${v}`);
    return false;
  }
  return true;
}

function checkThresholds(t: unknown, problems: string[]): void {
  if (!isRecord(t)) {
    problems.push('thresholds: must be an object { bullish, bearish, bullishExit, bearishExit, strongBullish, strongBearish }');
    return;
  }
  const keys = ['bullish', 'bearish', 'bullishExit', 'bearishExit', 'strongBullish', 'strongBearish'];
  const unknown = Object.keys(t).filter((k) => !keys.includes(k));
  if (unknown.length > 0) problems.push(`thresholds: unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  const ok = keys.map((k) => checkNumber(`thresholds.${k}`, t[k], 0, 100, false, problems)).every(Boolean);
  if (!ok) return;
  const { bullish, bearish, bullishExit, bearishExit, strongBullish, strongBearish } = t as unknown as DirectionThresholds;
  if (!(strongBearish <= bearish && bearish < bullish && bullish <= strongBullish)) {
    problems.push(`thresholds: need strongBearish ≤ bearish < bullish ≤ strongBullish, got ${strongBearish} / ${bearish} / ${bullish} / ${strongBullish}`);
  } else if (!(bearish <= bearishExit && bearishExit < bullishExit && bullishExit <= bullish)) {
    problems.push(`thresholds: need bearish ≤ bearishExit < bullishExit ≤ bullish, got ${bearish} / ${bearishExit} / ${bullishExit} / ${bullish}`);
  }
}

function checkLabelGate(g: unknown, problems: string[]): void {
  if (!isRecord(g)) {
    problems.push('labelGate: must be an object { minCompleteness, minConfidence, holdConfidence }');
    return;
  }
  const unknown = Object.keys(g).filter((k) => k !== 'minCompleteness' && k !== 'minConfidence' && k !== 'holdConfidence');
  if (unknown.length > 0) problems.push(`labelGate: unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  checkNumber('labelGate.minCompleteness', g.minCompleteness, 0, 1, false, problems);
  const a = checkNumber('labelGate.minConfidence', g.minConfidence, 0, 1, false, problems);
  const b = checkNumber('labelGate.holdConfidence', g.holdConfidence, 0, 1, false, problems);
  if (a && b && (g.holdConfidence as number) > (g.minConfidence as number)) problems.push('labelGate: holdConfidence must not exceed minConfidence');
}

function checkRamp(path: string, r: unknown, problems: string[]): void {
  if (!isRecord(r)) {
    problems.push(`${path}: must be an object { freshMs, staleMs }`);
    return;
  }
  const a = checkNumber(`${path}.freshMs`, r.freshMs, 0, 86_400_000, false, problems);
  const b = checkNumber(`${path}.staleMs`, r.staleMs, 0, 86_400_000, false, problems);
  if (a && b && (r.staleMs as number) <= (r.freshMs as number)) problems.push(`${path}: staleMs must be greater than freshMs`);
}

function checkFreshness(f: unknown, problems: string[]): void {
  if (!isRecord(f)) {
    problems.push('freshness: must be an object');
    return;
  }
  const keys = ['book', 'trades', 'ticker', 'openInterest', 'longShort', 'fundingStaleIntervals', 'candleFreshBars', 'candleStaleBars'];
  const unknown = Object.keys(f).filter((k) => !keys.includes(k));
  if (unknown.length > 0) problems.push(`freshness: unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  checkRamp('freshness.book', f.book, problems);
  checkRamp('freshness.trades', f.trades, problems);
  checkRamp('freshness.ticker', f.ticker, problems);
  checkRamp('freshness.openInterest', f.openInterest, problems);
  checkRamp('freshness.longShort', f.longShort, problems);
  checkNumber('freshness.fundingStaleIntervals', f.fundingStaleIntervals, 1.01, 1000, false, problems);
  const a = checkNumber('freshness.candleFreshBars', f.candleFreshBars, 0, 1000, false, problems);
  const b = checkNumber('freshness.candleStaleBars', f.candleStaleBars, 0, 1000, false, problems);
  if (a && b && (f.candleStaleBars as number) <= (f.candleFreshBars as number)) {
    problems.push('freshness: candleStaleBars must be greater than candleFreshBars');
  }
}

/**
 * Merges `input` over the defaults and validates the result. Every problem is collected and thrown together
 * as one `EngineConfigError`; nothing is silently ignored or repaired.
 */
export function validateEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  const problems: string[] = [];
  if (!isRecord(input)) throw new EngineConfigError(['config: must be an object']);
  const unknownTop = Object.keys(input).filter((k) => !(TOP_LEVEL_KEYS as readonly string[]).includes(k));
  if (unknownTop.length > 0) problems.push(`config: unknown key(s) ${unknownTop.map((k) => `"${k}"`).join(', ')} (expected ${TOP_LEVEL_KEYS.join(', ')})`);

  const subIn: unknown = input.subWeights ?? {};
  if (!isRecord(subIn)) problems.push('subWeights: must be an object keyed by component name');
  const subRecord = isRecord(subIn) ? subIn : {};
  const unknownComps = Object.keys(subRecord).filter((k) => !(COMPONENT_NAMES as readonly string[]).includes(k));
  if (unknownComps.length > 0) problems.push(`subWeights: unknown component(s) ${unknownComps.map((k) => `"${k}"`).join(', ')}`);
  const freshIn: unknown = input.freshness ?? {};
  if (!isRecord(freshIn)) problems.push('freshness: must be an object');

  // Thresholds given without exits (older configs) get the default 3-point hysteresis, narrowed for tight thresholds.
  let thresholds: unknown = input.thresholds ?? DEFAULT_ENGINE_CONFIG.thresholds;
  if (isRecord(thresholds) && typeof thresholds.bullish === 'number' && typeof thresholds.bearish === 'number') {
    const gap = Math.min(3, Math.max(0, (thresholds.bullish - thresholds.bearish) / 4));
    thresholds = { bullishExit: thresholds.bullish - gap, bearishExit: thresholds.bearish + gap, ...thresholds };
  }

  const merged = {
    ...DEFAULT_ENGINE_CONFIG,
    ...input,
    thresholds,
    subWeights: { ...DEFAULT_ENGINE_CONFIG.subWeights, ...subRecord },
    freshness: { ...DEFAULT_ENGINE_CONFIG.freshness, ...(isRecord(freshIn) ? freshIn : {}) },
  } as EngineConfig;

  checkWeightTable('componentWeights', merged.componentWeights, COMPONENT_NAMES, problems);
  checkWeightTable('timeframeWeights', merged.timeframeWeights, TIMEFRAMES, problems);
  checkWeightTable('structureTimeframeWeights', merged.structureTimeframeWeights, TIMEFRAMES, problems);
  for (const c of COMPONENT_NAMES) checkWeightTable(`subWeights.${c}`, merged.subWeights[c], SUB_SIGNALS[c], problems);
  checkThresholds(merged.thresholds, problems);
  checkLabelGate(merged.labelGate, problems);
  // The intake keeps BOOK_SMOOTHING_SAMPLES (64) one-second samples: a longer window would silently be shorter.
  checkNumber('bookSmoothingMs', merged.bookSmoothingMs, 0, BOOK_SMOOTHING_MS, false, problems);
  if (!(TIMEFRAMES as readonly unknown[]).includes(merged.volumeTimeframe)) {
    problems.push(`volumeTimeframe: must be one of ${TIMEFRAMES.join(', ')}, got ${JSON.stringify(merged.volumeTimeframe)}`);
  }
  checkNumber('indicatorWindow', merged.indicatorWindow, 60, 5000, true, problems);
  checkNumber('anchorBlock', merged.anchorBlock, 1, 1000, true, problems);
  if (isRecord(freshIn)) checkFreshness(merged.freshness, problems);

  if (problems.length > 0) throw new EngineConfigError(problems);
  return merged;
}
