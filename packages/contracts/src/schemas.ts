import { z } from 'zod';
import { SYMBOL_PATTERN } from './keys';

/** The envelope schema version this code writes and understands. */
export const SCHEMA_VERSION = 1;

export const COMPONENT_NAMES = ['technical', 'volume', 'orderflow', 'orderbook', 'structure', 'sentiment'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];
export const TIMEFRAMES = ['1m', '5m', '30m', '4h'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
export const DIRECTIONS = ['Bullish', 'Bearish', 'Neutral'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const SOURCES = ['live', 'sim', 'replay'] as const;
export type MarketSource = (typeof SOURCES)[number];
export const KINDS = ['symbols', 'symbol', 'overview', 'history', 'heartbeat', 'shards', 'calibration', 'alerts', 'timeline', 'snapshot'] as const;
export type Kind = (typeof KINDS)[number];

const num = z.number().finite();
const score = num.min(0).max(100);
const ts = z.number().int().nonnegative();
export const symbolSchema = z.string().regex(SYMBOL_PATTERN);

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
  parts: z
    .array(z.object({ component: z.enum(COMPONENT_NAMES), delta: num, cause: z.string().max(200) }))
    .max(6),
});
export type ScoreMove = z.infer<typeof moveSchema>;

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
  openInterest: num.nullable(),
  openInterestValue: num.nullable(),
  components: componentScoresSchema,
  /** When the market data behind this row last changed (exchange time, ms). */
  updatedAt: ts,
  /** False while the row's book is resyncing or its feed is gapped: the score is withheld. */
  dataOk: z.boolean(),
  /** Candles being backfilled after an outage or a gap: the reason dataOk is false while the book is synced. */
  repairing: z.boolean().optional(),
  lastMove: moveSchema.nullable(),
});
export type SymbolRow = z.infer<typeof symbolRowSchema>;

export const symbolsDataSchema = z.object({
  rows: z.array(symbolRowSchema),
  /** Symbols the analyzer tracks that are not yet scored (warming up). */
  pending: z.array(symbolSchema),
  /** Rows dropped by the producer because they failed validation. */
  dropped: z.number().int().nonnegative(),
});
export type SymbolsData = z.infer<typeof symbolsDataSchema>;

export const subSignalSchema = z.object({
  name: z.string().max(80),
  /** The name in a trader's words ("touch imbalance", "Williams %R"); absent from producers older than it. */
  label: z.string().max(80).optional(),
  timeframe: z.enum(TIMEFRAMES).nullable(),
  raw: num.nullable(),
  score: score.nullable(),
  weight: num.min(0),
  contribution: num.nullable(),
  /** Why the signal is null, or a note on how raw maps to the score. */
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
  subSignals: z.array(subSignalSchema),
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
  components: z.array(componentDetailSchema),
  topContributors: z.array(z.object({ component: z.enum(COMPONENT_NAMES), contribution: num })),
  price: num.nullable(),
  change24h: num.nullable(),
  fundingRate: num.nullable(),
  openInterest: num.nullable(),
  orderbook: orderBookStatsSchema,
  updatedAt: ts,
  dataOk: z.boolean(),
  lastMove: moveSchema.nullable(),
  /** How this symbol's current score band has performed historically (from the calibration scoreboard), when known. */
  bandRecord: z
    .object({ band: z.string(), horizon: z.string(), samples: z.number().int(), hitRate: num.nullable(), meanReturn: num.nullable() })
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
  gainers: z.array(moverSchema),
  losers: z.array(moverSchema),
  strongest: z.array(moverSchema),
  weakest: z.array(moverSchema),
  fundingHighest: z.array(moverSchema),
  fundingLowest: z.array(moverSchema),
  scoreMovers: z.array(moverSchema),
  totalTurnover24h: num,
});
export type OverviewData = z.infer<typeof overviewDataSchema>;

export const historyPointSchema = z.tuple([ts, score.nullable(), num.nullable()]);
export type HistoryPoint = z.infer<typeof historyPointSchema>;
export const historyDataSchema = z.object({ symbol: symbolSchema, points: z.array(historyPointSchema) });
export type HistoryData = z.infer<typeof historyDataSchema>;

export const connectionStateSchema = z.enum(['connecting', 'connected', 'reconnecting', 'down', 'closed']);
export const heartbeatDataSchema = z.object({
  analyzerId: z.string().max(200),
  generation: z.number().int().nonnegative(),
  startedAt: ts,
  lastCycleAt: ts,
  lastCycleMs: num.nonnegative(),
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

const wilsonSchema = z.object({ low: num, high: num });
export const calibrationCellSchema = z.object({
  samples: z.number().int().nonnegative(),
  directional: z.number().int().nonnegative(),
  hits: z.number().int().nonnegative(),
  hitRate: num.nullable(),
  wilson95: wilsonSchema.nullable(),
  meanReturn: num.nullable(),
  medianReturn: num.nullable(),
});
export type CalibrationCell = z.infer<typeof calibrationCellSchema>;
export const calibrationDataSchema = z.object({
  horizons: z.array(z.string()),
  bands: z.array(z.object({ band: z.string(), byHorizon: z.record(z.string(), calibrationCellSchema) })),
  components: z.array(
    z.object({ component: z.enum(COMPONENT_NAMES), bands: z.array(z.object({ band: z.string(), byHorizon: z.record(z.string(), calibrationCellSchema) })) }),
  ),
  totalSamples: z.number().int().nonnegative(),
  resolvedSamples: z.number().int().nonnegative(),
  since: ts.nullable(),
});
export type CalibrationData = z.infer<typeof calibrationDataSchema>;

export const alertSchema = z.object({
  id: z.string().max(200),
  symbol: symbolSchema,
  rule: z.string().max(100),
  band: z.string().max(40),
  previousBand: z.string().max(40).nullable(),
  score: score,
  direction: z.enum(DIRECTIONS),
  confidence: num.min(0).max(1),
  agreeing: z.number().int().nonnegative(),
  price: num.nullable(),
  at: ts,
  message: z.string().max(600),
  delivery: z.enum(['pending', 'delivered', 'failed', 'disabled']),
  attempts: z.number().int().nonnegative(),
});
export type Alert = z.infer<typeof alertSchema>;
export const alertsDataSchema = z.object({ alerts: z.array(alertSchema) });
export type AlertsData = z.infer<typeof alertsDataSchema>;

export const timelineDataSchema = z.object({ minutes: z.array(ts) });
export type TimelineData = z.infer<typeof timelineDataSchema>;
export const snapshotDataSchema = z.object({ minute: ts, rows: z.array(symbolRowSchema) });
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
