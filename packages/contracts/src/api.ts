import type { MarketSource, OverviewData, SymbolsData } from './schemas';

/** The one status the web derives for every response (from time, never from expiry), carried by every API body. */
export const STATUS_STATES = ['ok', 'warming_up', 'no_data', 'stale', 'cache_unreachable'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

export interface RejectedValue {
  key: string;
  reason: string;
  message: string;
}

export interface ShardStatus {
  index: number;
  count: number;
  state: 'ok' | 'stale' | 'missing' | 'warming_up';
  heartbeatAgeMs: number | null;
  symbolCount: number;
}

export interface Status {
  state: StatusState;
  /** True when the data comes from the simulator or a replay, not from Bybit. */
  simulated: boolean;
  /** True when the analyzer says its exchange connection is down or silent. */
  feedDown: boolean;
  /** True when the analyzer replays a recording and has reached its end (the feed is over, not down). */
  replayFinished: boolean;
  /** True when Bybit refuses the analyzer's IP (HTTP 403 access block: geo-blocking, a banned IP), not a rate limit. */
  exchangeBlocked?: boolean;
  /** Symbols whose candles are being backfilled after an outage or a gap (their rows are not fully fresh). */
  repairing?: number;
  /**
   * Set when the analyzer is alive but its cycles take longer than its publish interval (the slowest shard's last
   * cycle, when it took over 1.5 intervals): a table arrives about every `cycleMs` instead of every `intervalMs`.
   */
  behind?: { cycleMs: number; intervalMs: number } | null;
  source: MarketSource | null;
  generation: number | null;
  /** Age of the data being shown (now − producedAt of the table), ms. */
  dataAgeMs: number | null;
  heartbeatAgeMs: number | null;
  /** Age of the analyzer's last exchange message, ms. */
  feedAgeMs: number | null;
  /** Plain-words sentence for the banner. */
  message: string;
  /** When the web last reached Memcached successfully. */
  cacheCheckedAt: number | null;
  warmup: { done: number; total: number } | null;
  shards: ShardStatus[] | null;
  /** Values found under our keys that were not accepted (unknown schema, corrupt). */
  rejected: RejectedValue[];
  now: number;
}

/** Body of GET /api/symbols and GET /api/overview. */
export interface ApiEnvelope<T> {
  status: Status;
  generation: number | null;
  producedAt: number | null;
  data: T | null;
}

/** SSE `snapshot` event (id = generation): the table and overview of one generation. */
export interface StreamSnapshot {
  generation: number;
  producedAt: number;
  symbols: SymbolsData;
  overview: OverviewData;
}

export interface ApiError {
  error: { code: string; message: string };
}
