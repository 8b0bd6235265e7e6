import type { Timeframe } from '@confluence/contracts';
import type { MarketSnapshot } from '@confluence/confluence';
import { createRateLimitedLog, type Logger } from '@confluence/logger';
import { MarketStore, type ResyncReason, type SymbolIntakeStatus } from '../state/market-store';
import type { AccessBlock, BybitRestClient } from './bybit/rest-client';
import { MarketFeed } from './feed';
import { MinuteHub } from './minutes';
import {
  IntakeError,
  type ClockHealth,
  type ConnectionHealth,
  type Intake,
  type IntakeHealth,
  type IntakeOptions,
  type IntakeState,
  type MarketClock,
} from './types';
import { UniverseSet } from './universe-set';
import type { Warmup, WarmupProgress } from './warmup';

export const UNIVERSE_GRACE_MS = 30 * 60_000;
export const DEFAULT_REST_BUDGET = { ratePerSec: 20, maxInFlight: 4 };
const noWarmup = (): WarmupProgress => ({
  done: 0,
  total: 0,
  complete: false,
  failed: 0,
  failedSymbols: [],
  repairing: 0,
  repairingSymbols: [],
  repairsDone: 0,
  repairFailures: 0,
});

/** The exchange side of the health: connections and their counters (none in a replay). */
export interface LinkHealth {
  /** The feed's state while the intake is not closed. */
  state: IntakeState;
  connections: ConnectionHealth[];
  reconnects: number;
  subscribeRejected: number;
  connectAttempts: number;
  connectDeferred: number;
  /** Restarts of the intake thread (absent: the pool runs in the main thread, or there is none). */
  threadRestarts?: number;
}

export type RateLimitedLog = ReturnType<typeof createRateLimitedLog>;

/**
 * What a live and a replay intake share: the market store, the feed that fills it, the universe, the minute
 * subscribers, the start/stop lifecycle and the health report. A mode supplies its clock, how it starts and stops,
 * and the exchange side of the health.
 */
export abstract class BaseIntake implements Intake {
  abstract readonly marketClock: MarketClock;
  protected readonly logger: Logger;
  protected readonly rlog: RateLimitedLog;
  protected readonly store: MarketStore;
  protected readonly feed: MarketFeed;
  protected readonly universe: UniverseSet;
  protected readonly minutes: MinuteHub;
  protected readonly abort = new AbortController();
  /** How long the state of a symbol that left the universe is kept. */
  protected readonly graceMs: number;
  protected phase: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  protected rest: BybitRestClient | undefined;
  protected warmup: Warmup | undefined;
  private emptySnapshots = 0;
  private readonly finishedPromise: Promise<void>;
  private resolveFinished: () => void = () => undefined;

  constructor(protected readonly options: IntakeOptions) {
    this.logger = options.logger;
    this.rlog = createRateLimitedLog(options.logger, 10_000);
    this.store = new MarketStore({
      now: () => this.now(),
      wallNow: () => this.localClock(Date.now()),
      limits: options.limits,
      onResync: (symbol, reason) => this.bookOutOfSync(symbol, reason),
      onCandleGap: (symbol, timeframe, newestStart) => this.candleGap(symbol, timeframe, newestStart),
    });
    this.feed = new MarketFeed(this.store, options.logger);
    this.graceMs = options.universeGraceMs ?? UNIVERSE_GRACE_MS;
    this.universe = new UniverseSet(this.store, options.logger, this.graceMs);
    this.minutes = new MinuteHub(options.logger);
    this.finishedPromise = new Promise<void>((r) => (this.resolveFinished = r));
  }

  /** Market clock (see Intake.now). */
  abstract now(): number;
  /** The clock of the receive times, for update ages: the wall clock live, the recording's in a replay. */
  protected abstract localClock(wall: number): number;
  /** The mode's start: resolves when it runs (the base marks it running). */
  protected abstract begin(): Promise<void>;
  /** The mode's stop, after the abort signal fired: closes its sockets, timers, files. */
  protected abstract end(): Promise<void>;
  protected abstract link(): LinkHealth;
  protected abstract clockHealth(): ClockHealth;

  /** An error of begin() as start() reports it. */
  protected startFailure(err: unknown): unknown {
    return err;
  }
  /** An empty book snapshot (u = 1): the instrument may have been delisted or changed its tick size. */
  protected emptyBook(_symbol: string): void {}
  /** A book out of sync: it needs a fresh snapshot. */
  protected resubscribeBook(_symbol: string): void {}
  /** Candles are missing before a new live candle. */
  protected candleGap(_symbol: string, _timeframe: Timeframe, _newestStart: number | undefined): void {}
  /** The WebSocket side of an access block (the REST side is read from the client). */
  protected wsAccessBlock(_wall: number): AccessBlock | null {
    return null;
  }
  protected replayHealth(): IntakeHealth['replay'] {
    return null;
  }
  protected recordingHealth(): IntakeHealth['recording'] {
    return null;
  }

  private bookOutOfSync(symbol: string, reason: ResyncReason): void {
    if (reason === 'empty') {
      // Bybit's delisting / tick-size-change signal: not a synced empty book. Re-read the instrument's status now;
      // the book is resubscribed after resyncRetryMs (housekeeping) in case it is a tick-size change.
      this.emptySnapshots++;
      this.rlog('warn', 'book-empty', 'empty order-book snapshot (u=1): delisting or tick-size change; book unsynced', { symbol });
      this.emptyBook(symbol);
      return;
    }
    this.rlog('warn', 'book-resync', 'order book out of sync, resubscribing', { symbol, reason });
    this.resubscribeBook(symbol);
  }

  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new IntakeError('already_started', 'intake already started');
    this.phase = 'starting';
    try {
      await this.begin();
      if (this.phase === 'starting') this.phase = 'running';
    } catch (err) {
      await this.stop();
      throw this.startFailure(err);
    }
  }

  async stop(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.abort.abort();
    await this.end();
    this.resolveFinished();
  }

  /** Resolves the promise finished() returns (a replay that fed its last frame). */
  protected markFinished(): void {
    this.resolveFinished();
  }

  symbols(): readonly string[] {
    return this.universe.symbols();
  }
  snapshot(symbol: string): MarketSnapshot | undefined {
    return this.store.snapshot(symbol);
  }
  symbolStatus(symbol: string): SymbolIntakeStatus | undefined {
    return this.store.status(symbol);
  }
  tickSize(symbol: string): number | undefined {
    return this.universe.tickSizes.get(symbol);
  }
  onMinute(cb: (minuteTs: number) => void): void {
    this.minutes.add(cb);
  }
  on(_event: 'universe', cb: (symbols: readonly string[]) => void): void {
    this.universe.onChange(cb);
  }
  finished(): Promise<void> {
    return this.finishedPromise;
  }

  health(): IntakeHealth {
    const wall = Date.now();
    const link = this.link();
    const feed = this.feed.totals(wall);
    const rest = this.rest;
    return {
      source: this.options.source,
      state: this.phase === 'closed' ? 'closed' : link.state,
      connections: link.connections,
      totals: {
        messages: feed.messages,
        messagesPerSec: feed.messagesPerSec,
        byTopic: feed.byTopic,
        reconnects: link.reconnects,
        resyncs: this.store.resyncs,
        malformed: feed.malformed,
        subscribeRejected: link.subscribeRejected,
        restErrors: rest?.counters.errors ?? 0,
        rateLimited: rest?.counters.rateLimited ?? 0,
        accessBlocked: rest?.counters.accessBlocked ?? 0,
        connectAttempts: link.connectAttempts,
        connectDeferred: link.connectDeferred,
        emptySnapshots: this.emptySnapshots,
        fastDecoded: feed.fastDecoded,
        fastDecodeErrors: feed.fastDecodeErrors,
        intakeThread: link.threadRestarts !== undefined,
        intakeThreadRestarts: link.threadRestarts ?? 0,
      },
      accessBlock: rest?.accessBlock() ?? this.wsAccessBlock(wall),
      clock: this.clockHealth(),
      rest: { ...(this.options.restBudget ?? DEFAULT_REST_BUDGET) },
      warmup: this.warmup?.progress() ?? noWarmup(),
      universe: this.universe.health(this.options.includeTradFi ?? false),
      lastMessageAt: this.feed.lastMessageAt,
      symbols: this.universe.symbolsHealth(this.localClock(wall)),
      replay: this.replayHealth(),
      recording: this.recordingHealth(),
    };
  }
}
