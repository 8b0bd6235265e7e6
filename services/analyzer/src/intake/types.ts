import type { ShardId } from '@confluence/contracts';
import type { MarketSnapshot } from '@confluence/confluence';
import type { Logger } from '@confluence/logger';
import type { StateLimits, SymbolIntakeStatus } from '../state/market-store';
import type { MalformedReason } from './bybit/normalize';
import type { AccessBlock } from './bybit/rest-client';
import type { ConnectionState } from './bybit/ws-connection';
import type { WarmupProgress } from './warmup';

/** What the analyzer sees of an intake, live or replay, and the options both are built from. */

export interface IntakeTiming {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  /** WS reconnect backoff. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  restBackoff403Ms: number;
  pollIntervalMs: number;
  /** No data at all on a connection this long → reconnect. */
  staleTimeoutMs: number;
  restTimeoutMs: number;
  restRetryBaseMs: number;
  warmupRetryBaseMs: number;
  /** A book still unsynced this long after a resync request is requested again. */
  resyncRetryMs: number;
  /** A rejected subscription is retried after this (growing). */
  subscribeRetryBaseMs: number;
  /** How often the clock offset to /v5/market/time is measured again. */
  clockSyncMs: number;
}

export interface IntakeOptions {
  wsUrl: string;
  restUrl: string;
  topSymbols: number;
  symbols?: string[];
  shard?: ShardId;
  universeRefreshMs: number;
  logger: Logger;
  source: 'live' | 'sim' | 'replay';
  /** speed: multiple of recorded pace; Infinity = as fast as possible. */
  replay?: { file: string; speed: number };
  record?: { file: string };
  timing?: Partial<IntakeTiming>;
  /** State bounds (tests shrink them). */
  limits?: Partial<StateLimits>;
  maxTopicsPerConnection?: number;
  /** Rank stock / commodity / ETF / FX perpetuals too (default: crypto only). */
  includeTradFi?: boolean;
  /** State of a symbol that left the universe is kept this long (default 30 min; 0 = dropped at once). */
  universeGraceMs?: number;
  /** This process's REST budget (default 20 requests/s, 4 in flight). */
  restBudget?: { ratePerSec: number; maxInFlight: number };
  /** Pool-wide WebSocket connection attempts per 5 minutes (default 300; Bybit allows 500 per IP). */
  wsConnectsPer5Min?: number;
  /** Window of that cap (tests shorten it). */
  wsConnectWindowMs?: number;
  /**
   * Backfill candle gaps over REST (after a reconnect, a missed candle). Default true live/sim; always off in replay,
   * which reproduces what was received (a recorded repair's answer could not be matched to the replayed moment).
   */
  repairCandles?: boolean;
  /**
   * Live/sim: run the WebSocket pool and the frame decoding in a thread of their own (ThreadedWsPool), so the main
   * thread only applies events, scores and publishes. Default false (ANALYZER_INTAKE_THREAD decides for the service).
   */
  intakeThread?: boolean;
}

/** Offset of Bybit's clock to ours (positive: Bybit ahead), measured at start and every clockSyncMs. */
export interface ClockHealth {
  offsetMs: number | null;
  rttMs: number | null;
  measuredAt: number | null;
  samples: number;
  lastError: string | null;
}

export type IntakeState = 'connecting' | 'connected' | 'reconnecting' | 'down' | 'closed';

export interface ConnectionHealth {
  id: number;
  state: ConnectionState;
  topics: number;
  reconnects: number;
  lastMessageAt: number | null;
  messagesPerSec: number;
  lastError: string | null;
}

export interface IntakeHealth {
  source: 'live' | 'sim' | 'replay';
  state: IntakeState;
  connections: ConnectionHealth[];
  totals: {
    messages: number;
    messagesPerSec: number;
    /** Frames per topic family: orderbook, publicTrade, tickers, kline, allLiquidation, liquidation, control, other. */
    byTopic: Record<string, number>;
    reconnects: number;
    resyncs: number;
    malformed: Record<MalformedReason, number>;
    subscribeRejected: number;
    restErrors: number;
    rateLimited: number;
    /** HTTP 403 access blocks (not rate limits). */
    accessBlocked: number;
    /** Connection attempts let through / deferred by the pool-wide cap. */
    connectAttempts: number;
    connectDeferred: number;
    /** Empty u = 1 book snapshots (delisting / tick-size change signals). */
    emptySnapshots: number;
    /** Frames the exact fast scanner decoded (the rest went through JSON.parse), and frames it threw on (a bug). */
    fastDecoded: number;
    fastDecodeErrors: number;
    /** Whether the WebSocket pool runs in the intake thread, and how often that thread died and was restarted. */
    intakeThread: boolean;
    intakeThreadRestarts: number;
  };
  /** Set while Bybit answers every request with an access-blocking 403. */
  accessBlock: AccessBlock | null;
  clock: ClockHealth;
  rest: { ratePerSec: number; maxInFlight: number };
  warmup: WarmupProgress;
  universe: {
    size: number;
    refreshedAt: number | null;
    /** Symbols that left and whose state is kept for the grace period. */
    retained: number;
    /** Symbols removed because their instrument left Trading (up to 20, newest last). */
    removedNotTrading: { symbol: string; status: string; at: number }[];
    includeTradFi: boolean;
  };
  lastMessageAt: number | null;
  symbols: {
    total: number;
    warm: number;
    bookSynced: number;
    /** Symbols whose candles are being repaired (not fully fresh). */
    repairing: number;
    /** Age of each symbol's last update (ms, local receive time), null before the first one. */
    updateAgeMs: Record<string, number | null>;
  };
  replay: { file: string; speed: number | 'max'; finished: boolean; messages: number; error: string | null } | null;
  recording: { file: string; lines: number; bytes: number; dropped: number } | null;
}

export interface Intake {
  /** Live/sim: resolves once the universe is known and sockets are opening. Replay: once warm-up is answered and feeding started. */
  start(): Promise<void>;
  /** Closes sockets, timers, files. Idempotent. */
  stop(): Promise<void>;
  symbols(): readonly string[];
  snapshot(symbol: string): MarketSnapshot | undefined;
  symbolStatus(symbol: string): SymbolIntakeStatus | undefined;
  /** The symbol's price step from instruments-info, once known. */
  tickSize(symbol: string): number | undefined;
  health(): IntakeHealth;
  /** Market clock: exchange time live/sim (Date.now() + the measured offset to Bybit); the replay's recorded time in replay. */
  now(): number;
  /** Called synchronously when market time crosses a minute boundary (argument: the new minute's start). */
  onMinute(cb: (minuteTs: number) => void): void;
  on(event: 'universe', cb: (symbols: readonly string[]) => void): void;
  /** Resolves when a replay has fed its last frame (or failed); in live/sim once stopped. */
  finished(): Promise<void>;
  /**
   * How market time advances. 'exchange' (live, sim): with the wall clock, so the publish cycle samples the scoreboard,
   * and start() may keep retrying in the background. 'recording' (replay): as fast as the recording is fed, many market
   * minutes between two publish cycles, so the scoreboard is sampled at each market minute, and start() is awaited.
   */
  readonly marketClock: MarketClock;
}

export type MarketClock = 'exchange' | 'recording';

export class IntakeError extends Error {
  constructor(
    readonly code: 'universe_unavailable' | 'replay_failed' | 'already_started',
    message: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }
}
