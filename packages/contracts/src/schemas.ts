import { z } from 'zod';
import { SYMBOL_PATTERN } from './keys';
import { COMPONENT_NAMES, DIRECTIONS } from './names';

/** The envelope schema version this code writes and understands. */
export const SCHEMA_VERSION = 1;

export { COMPONENT_NAMES, DIRECTIONS } from './names';
export type { ComponentName, Direction } from './names';
export const TIMEFRAMES = ['1m', '5m', '30m', '4h'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
/** Candle length of each timeframe, in ms (the analyzer's intake checks it against Bybit's kline intervals). */
export const TIMEFRAME_MS: Readonly<Record<Timeframe, number>> = { '1m': 60_000, '5m': 300_000, '30m': 1_800_000, '4h': 14_400_000 };
export const SOURCES = ['live', 'sim', 'replay'] as const;
export type MarketSource = (typeof SOURCES)[number];
export const KINDS = ['symbols', 'symbol', 'overview', 'history', 'heartbeat', 'shards', 'calibration', 'alerts', 'timeline', 'snapshot'] as const;
export type Kind = (typeof KINDS)[number];

/**
 * Bounds of every string and array in the contract. The analyzer stays far inside them; a value beyond them is not
 * one of ours and is rejected, so a poisoned value cannot inflate the responses and stream frames built from it.
 */
export const LIMITS = {
  /** Rows of one table or time-travel snapshot (TOP_SYMBOLS is at most 1,000; Bybit lists about 500 USDT perpetuals). */
  rows: 2_000,
  /** Entries of each overview list (the analyzer writes MOVERS_LIMIT). */
  movers: 50,
  subSignals: 64,
  /** Points of one history (24 h at one a minute is 1,440). */
  historyPoints: 2_000,
  /** Minutes of the time-travel index (24 h is 1,441). */
  timelineMinutes: 2_000,
  /** Alerts in the alert history (the analyzer keeps 200). */
  alerts: 1_000,
  bands: 16,
  horizons: 8,
  /** Short labels: band and horizon names. */
  label: 40,
} as const;

const num = z.number().finite();
const label = z.string().max(LIMITS.label);
const score = num.min(0).max(100);
const ts = z.number().int().nonnegative();
/** The instrument's price step (`priceFilter.tickSize`); optional so values from producers older than it still validate. */
const tickSize = z.number().finite().positive().optional();
export const symbolSchema = z.string().regex(SYMBOL_PATTERN);

/**
 * What a scoreboard cell may claim: 'skill' (hit rate above the base rate, the 95 % interval of skill above 0), 'anti'
 * (below it, the interval below 0), 'none' (the interval includes 0), 'too_few' (too few samples or time blocks to
 * say), 'no_direction' (no Bullish/Bearish label in the cell).
 */
export const CALIBRATION_VERDICTS = ['skill', 'anti', 'none', 'too_few', 'no_direction'] as const;
export type CalibrationVerdict = (typeof CALIBRATION_VERDICTS)[number];

export const componentScoresSchema = z.object({
  technical: score.nullable(),
  volume: score.nullable(),
  orderflow: score.nullable(),
  orderbook: score.nullable(),
  structure: score.nullable(),
  sentiment: score.nullable(),
});
export type ComponentScores = z.infer<typeof componentScoresSchema>;

/** A compact "why it moved" line for a table row: previous score, new score and the largest contribution changes. */
export const moveSchema = z.object({
  from: score.nullable(),
  to: score.nullable(),
  delta: num,
  at: ts,
  summary: z.string().max(400),
  parts: z.array(z.object({ component: z.enum(COMPONENT_NAMES), delta: num, cause: z.string().max(200) })).max(6),
});
export type ScoreMove = z.infer<typeof moveSchema>;

/**
 * Funding normalised per settlement interval. Bybit's `fundingRate` is per settlement, and contracts settle every
 * 8 h, 4 h or 1 h: the same printed rate costs 1×, 2× or 8× as much per day. `rate8h` = rate × 480 / interval
 * minutes is what the dashboard shows and ranks by, in one unit (% per 8 h).
 */
export const fundingInfoSchema = z.object({
  /** The live rate as an 8-hour equivalent (fraction: 0.0001 = 0.01 % per 8 h). */
  rate8h: num,
  /** Minutes between settlements; null when the instrument did not say (rate8h then takes the rate as per 8 h). */
  intervalMinutes: z.number().int().positive().nullable(),
  /** Next settlement (exchange time, ms), when the ticker gave it. */
  nextFundingTime: ts.nullable(),
});
export type FundingInfo = z.infer<typeof fundingInfoSchema>;

export const symbolRowSchema = z.object({
  symbol: symbolSchema,
  score: score.nullable(),
  direction: z.enum(DIRECTIONS).nullable(),
  strength: z.enum(['strong', 'moderate']).nullable(),
  confidence: num.min(0).max(1),
  price: num.nullable(),
  change24h: num.nullable(),
  turnover24h: num.nullable(),
  volume24h: num.nullable(),
  fundingRate: num.nullable(),
  /** Funding per 8 h with its interval and next settlement; absent from producers older than it. */
  funding: fundingInfoSchema.nullable().optional(),
  openInterest: num.nullable(),
  openInterestValue: num.nullable(),
  tickSize,
  components: componentScoresSchema,
  /** When the market data behind this row last changed (exchange time, ms). */
  updatedAt: ts,
  /** False while the row's book is resyncing or its feed is gapped: the score is withheld. */
  dataOk: z.boolean(),
  /** Candles being backfilled after an outage or a gap: the reason dataOk is false while the book is synced. */
  repairing: z.boolean().optional(),
  lastMove: moveSchema.nullable(),
  /** Score now minus the score 15 min / 1 h ago (from the history), null when not known that far back. Optional: older producers omit it. */
  scoreChange15m: num.nullable().optional(),
  scoreChange1h: num.nullable().optional(),
  /** When the published direction label last changed to the current one (market time, ms); null while unscored. */
  directionSince: ts.nullable().optional(),
});
export type SymbolRow = z.infer<typeof symbolRowSchema>;

export const symbolsDataSchema = z.object({
  rows: z.array(symbolRowSchema).max(LIMITS.rows),
  /** Symbols the analyzer tracks that are not yet scored (warming up). */
  pending: z.array(symbolSchema).max(LIMITS.rows),
  /** Rows dropped by the producer because they failed validation. */
  dropped: z.number().int().nonnegative(),
});
export type SymbolsData = z.infer<typeof symbolsDataSchema>;

export const subSignalSchema = z.object({
  name: z.string().max(80),
  /**
   * The name in words ("touch imbalance", "Williams %R"). Producers leave it out: readers take it from the catalogue
   * (`subSignalLabel`). Still accepted, as older producers wrote it.
   */
  label: z.string().max(80).optional(),
  timeframe: z.enum(TIMEFRAMES).nullable(),
  raw: num.nullable(),
  score: score.nullable(),
  weight: num.min(0),
  contribution: num.nullable(),
  /**
   * Why the signal is null, or a note on how raw maps to the score. Null for a signal that scored by its standard
   * formula, which readers take from the catalogue (`subSignalNote`, `SUB_SIGNAL_FORMULAS`).
   */
  reason: z.string().max(300).nullable(),
});
export type SubSignalDetail = z.infer<typeof subSignalSchema>;

export const componentDetailSchema = z.object({
  name: z.enum(COMPONENT_NAMES),
  score: score.nullable(),
  /** Configured weight in the overall score. */
  weight: num.min(0).max(1),
  /** Weight after renormalising over the components that could be computed. */
  effectiveWeight: num.min(0).max(1),
  /** Points this component adds to the overall score (effectiveWeight × score). */
  contribution: num.nullable(),
  reason: z.string().max(300).nullable(),
  subSignals: z.array(subSignalSchema).max(LIMITS.subSignals),
});
export type ComponentDetail = z.infer<typeof componentDetailSchema>;

export const orderBookStatsSchema = z.object({
  bestBid: num.nullable(),
  bestAsk: num.nullable(),
  mid: num.nullable(),
  spreadBps: num.nullable(),
  bidDepth: num.nullable(),
  askDepth: num.nullable(),
  levels: z.number().int().nonnegative(),
  synced: z.boolean(),
});

export const confidenceSchema = z.object({
  value: num.min(0).max(1),
  agreement: num.min(0).max(1),
  completeness: num.min(0).max(1),
  freshness: num.min(0).max(1),
});

export const symbolDetailSchema = z.object({
  symbol: symbolSchema,
  score: score.nullable(),
  direction: z.enum(DIRECTIONS).nullable(),
  strength: z.enum(['strong', 'moderate']).nullable(),
  confidence: confidenceSchema,
  rationale: z.string().max(600),
  components: z.array(componentDetailSchema).max(COMPONENT_NAMES.length),
  topContributors: z.array(z.object({ component: z.enum(COMPONENT_NAMES), contribution: num })).max(COMPONENT_NAMES.length),
  price: num.nullable(),
  tickSize,
  change24h: num.nullable(),
  fundingRate: num.nullable(),
  funding: fundingInfoSchema.nullable().optional(),
  openInterest: num.nullable(),
  orderbook: orderBookStatsSchema,
  updatedAt: ts,
  dataOk: z.boolean(),
  lastMove: moveSchema.nullable(),
  /** How this symbol's current score band has performed historically (from the calibration scoreboard), when known. */
  bandRecord: z
    .object({
      band: label,
      horizon: label,
      samples: z.number().int(),
      hitRate: num.nullable(),
      meanReturn: num.nullable(),
      /** See calibrationCellSchema; absent from producers older than them. */
      baseRate: num.nullable().optional(),
      skill: num.nullable().optional(),
      verdict: z.enum(CALIBRATION_VERDICTS).optional(),
    })
    .nullable(),
});
export type SymbolDetail = z.infer<typeof symbolDetailSchema>;

export const moverSchema = z.object({
  symbol: symbolSchema,
  price: num.nullable(),
  change24h: num.nullable(),
  score: score.nullable(),
  direction: z.enum(DIRECTIONS).nullable(),
  fundingRate: num.nullable(),
  /** The funding rate per 8 h (see fundingInfoSchema); absent from producers older than it. */
  funding8h: num.nullable().optional(),
  scoreDelta: num.nullable(),
});
export type Mover = z.infer<typeof moverSchema>;

export const overviewDataSchema = z.object({
  symbolCount: z.number().int().nonnegative(),
  scoredCount: z.number().int().nonnegative(),
  breadth: z.object({
    bullish: z.number().int().nonnegative(),
    bearish: z.number().int().nonnegative(),
    neutral: z.number().int().nonnegative(),
    meanScore: score.nullable(),
  }),
  gainers: z.array(moverSchema).max(LIMITS.movers),
  losers: z.array(moverSchema).max(LIMITS.movers),
  strongest: z.array(moverSchema).max(LIMITS.movers),
  weakest: z.array(moverSchema).max(LIMITS.movers),
  fundingHighest: z.array(moverSchema).max(LIMITS.movers),
  fundingLowest: z.array(moverSchema).max(LIMITS.movers),
  scoreMovers: z.array(moverSchema).max(LIMITS.movers),
  totalTurnover24h: num,
});
export type OverviewData = z.infer<typeof overviewDataSchema>;

export const historyPointSchema = z.tuple([ts, score.nullable(), num.nullable()]);
export type HistoryPoint = z.infer<typeof historyPointSchema>;
export const historyDataSchema = z.object({ symbol: symbolSchema, points: z.array(historyPointSchema).max(LIMITS.historyPoints) });
export type HistoryData = z.infer<typeof historyDataSchema>;

export const connectionStateSchema = z.enum(['connecting', 'connected', 'reconnecting', 'down', 'closed']);
export const heartbeatDataSchema = z.object({
  analyzerId: z.string().max(200),
  generation: z.number().int().nonnegative(),
  startedAt: ts,
  lastCycleAt: ts,
  /** Scoring and building this cycle's table, up to the publish that carries this heartbeat. */
  lastCycleMs: num.nonnegative(),
  /**
   * How long the previous cycle's publish took. With `lastCycleMs`, a whole cycle's work: when it exceeds the publish
   * interval, tables come that much less often (readers say the analyzer is behind). Absent from older producers.
   */
  lastPublishMs: num.nonnegative().optional(),
  publishIntervalMs: z.number().int().positive(),
  symbolCount: z.number().int().nonnegative(),
  scoredCount: z.number().int().nonnegative(),
  /** True once every tracked symbol has a row with a score or a stated reason: the table is complete. */
  tableComplete: z.boolean(),
  warmup: z.object({ done: z.number().int().nonnegative(), total: z.number().int().nonnegative(), complete: z.boolean() }),
  intake: z.object({
    state: connectionStateSchema,
    connected: z.boolean(),
    lastMessageAt: ts.nullable(),
    reconnects: z.number().int().nonnegative(),
    detail: z.string().max(300).nullable(),
    /** Bybit refuses this server's IP (an HTTP 403 access block, not a rate limit). Absent from older analyzers. */
    accessBlocked: z.boolean().optional(),
    /** Symbols whose candles are being backfilled after a gap (not fully fresh). */
    repairing: z.number().int().nonnegative().optional(),
    /** Bybit's clock minus the analyzer's, ms (null before the first measurement). */
    clockOffsetMs: num.nullable().optional(),
  }),
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).nullable(),
});
export type HeartbeatData = z.infer<typeof heartbeatDataSchema>;

export const shardsDataSchema = z.object({ count: z.number().int().positive().max(64) });
export type ShardsData = z.infer<typeof shardsDataSchema>;

export const calibrationCellSchema = z.object({
  /** Resolved non-overlapping samples (one per symbol per horizon-long window). */
  samples: z.number().int().nonnegative(),
  directional: z.number().int().nonnegative(),
  hits: z.number().int().nonnegative(),
  hitRate: num.nullable(),
  /** How often the same symbols moved in the labels' direction over the kept period: the hit rate of no skill. */
  baseRate: num.nullable(),
  /** hitRate − baseRate. */
  skill: num.nullable(),
  /** 95 % interval of skill from a block bootstrap over time; null when samples are too few. */
  skill95: z.object({ low: num, high: num }).nullable(),
  /** Time blocks holding the cell's directional samples. */
  blocks: z.number().int().nonnegative(),
  verdict: z.enum(CALIBRATION_VERDICTS),
  meanReturn: num.nullable(),
  medianReturn: num.nullable(),
});
export type CalibrationCell = z.infer<typeof calibrationCellSchema>;
const byHorizonSchema = z.record(label, calibrationCellSchema).refine((r) => Object.keys(r).length <= LIMITS.horizons, `at most ${LIMITS.horizons} horizons`);
const bandRecordsSchema = z.array(z.object({ band: label, byHorizon: byHorizonSchema })).max(LIMITS.bands);
export const calibrationDataSchema = z.object({
  horizons: z.array(label).max(LIMITS.horizons),
  bands: bandRecordsSchema,
  components: z.array(z.object({ component: z.enum(COMPONENT_NAMES), bands: bandRecordsSchema })).max(COMPONENT_NAMES.length),
  totalSamples: z.number().int().nonnegative(),
  resolvedSamples: z.number().int().nonnegative(),
  since: ts.nullable(),
  /** How the cells were computed, for the dashboard's explanation. */
  method: z.object({
    nonOverlapping: z.boolean(),
    resamples: z.number().int().positive(),
    minSamples: z.number().int().nonnegative(),
    minBlocks: z.number().int().nonnegative(),
    blockMinutes: z.record(label, z.number().positive()).refine((r) => Object.keys(r).length <= LIMITS.horizons, `at most ${LIMITS.horizons} horizons`),
  }),
});
export type CalibrationData = z.infer<typeof calibrationDataSchema>;

export const alertSchema = z.object({
  id: z.string().max(200),
  symbol: symbolSchema,
  rule: z.string().max(100),
  band: label,
  previousBand: label.nullable(),
  score: score,
  direction: z.enum(DIRECTIONS),
  confidence: num.min(0).max(1),
  agreeing: z.number().int().nonnegative(),
  price: num.nullable(),
  tickSize,
  at: ts,
  message: z.string().max(600),
  delivery: z.enum(['pending', 'delivered', 'failed', 'disabled']),
  attempts: z.number().int().nonnegative(),
});
export type Alert = z.infer<typeof alertSchema>;
export const alertsDataSchema = z.object({ alerts: z.array(alertSchema).max(LIMITS.alerts) });
export type AlertsData = z.infer<typeof alertsDataSchema>;

export const timelineDataSchema = z.object({ minutes: z.array(ts).max(LIMITS.timelineMinutes) });
export type TimelineData = z.infer<typeof timelineDataSchema>;
export const snapshotDataSchema = z.object({ minute: ts, rows: z.array(symbolRowSchema).max(LIMITS.rows) });
export type SnapshotData = z.infer<typeof snapshotDataSchema>;

export const dataSchemas = {
  symbols: symbolsDataSchema,
  symbol: symbolDetailSchema,
  overview: overviewDataSchema,
  history: historyDataSchema,
  heartbeat: heartbeatDataSchema,
  shards: shardsDataSchema,
  calibration: calibrationDataSchema,
  alerts: alertsDataSchema,
  timeline: timelineDataSchema,
  snapshot: snapshotDataSchema,
} as const;

export interface DataByKind {
  symbols: SymbolsData;
  symbol: SymbolDetail;
  overview: OverviewData;
  history: HistoryData;
  heartbeat: HeartbeatData;
  shards: ShardsData;
  calibration: CalibrationData;
  alerts: AlertsData;
  timeline: TimelineData;
  snapshot: SnapshotData;
}

export interface Envelope<K extends Kind = Kind> {
  schema: number;
  kind: K;
  generation: number;
  producedAt: number;
  analyzerId: string;
  source: MarketSource;
  data: DataByKind[K];
}

export const envelopeHeaderSchema = z.object({
  schema: z.number().int().positive(),
  kind: z.enum(KINDS),
  generation: z.number().int().nonnegative(),
  producedAt: ts,
  analyzerId: z.string().min(1).max(200),
  source: z.enum(SOURCES),
  data: z.unknown(),
});
