import { symbolOfTopic, topicsForSymbol } from '@confluence/bybit-wire';
import type { Timeframe } from '@confluence/contracts';
import { BookResyncs } from './book-resyncs';
import { ACCESS_BLOCK_MESSAGE, BybitRestClient, createHttpTransport, type AccessBlock } from './bybit/rest-client';
import { DEFAULT_WS_TIMING, type ConnectionState } from './bybit/ws-connection';
import { ThreadedWsPool } from './bybit/threaded-pool';
import { WsPool, type IntakePool } from './bybit/ws-pool';
import { ConnectGate, CONNECT_WINDOW_MS, DEFAULT_CONNECTS_PER_WINDOW } from './connect-gate';
import { CLOCK_SYNC_MS, ExchangeClock } from './exchange-clock';
import { BaseIntake, DEFAULT_REST_BUDGET, type LinkHealth } from './intake-base';
import { WallMinutes } from './minutes';
import { RateLimiter } from './rate-limiter';
import { Recorder } from './recorder';
import type { ClockHealth, IntakeHealth, IntakeOptions, IntakeState, IntakeTiming, MarketClock } from './types';
import { UniverseLoader } from './universe-loader';
import type { UniverseLinks } from './universe-set';
import { Warmup } from './warmup';
import { errorMessage } from '@confluence/logger';

const RESYNC_RETRY_MS = 10_000;
const HOUSEKEEPING_MS = 1_000;
/** After an empty book snapshot the instruments are re-read this soon (a delisting shows there as a status change). */
const EMPTY_SNAPSHOT_UNIVERSE_CHECK_MS = 1_000;
const REPAIR_TIMEFRAMES: readonly Timeframe[] = ['1m', '5m', '30m', '4h'];

export function resolveTiming(timing: Partial<IntakeTiming> | undefined): IntakeTiming {
  return {
    ...DEFAULT_WS_TIMING,
    restBackoff403Ms: 10 * 60_000,
    pollIntervalMs: 60_000,
    restTimeoutMs: 10_000,
    restRetryBaseMs: 500,
    warmupRetryBaseMs: 5_000,
    resyncRetryMs: RESYNC_RETRY_MS,
    clockSyncMs: CLOCK_SYNC_MS,
    ...timing,
  };
}

/** Every connection refused with HTTP 403 at the handshake: the WebSocket side of an access block. */
class WsBlockWatch {
  private since: number | null = null;

  constructor(private readonly onBlocked: () => void) {}

  check(conns: readonly { state: ConnectionState; handshakeStatus: number | null }[], wall: number): AccessBlock | null {
    const blocked = conns.length > 0 && conns.every((c) => c.state !== 'connected' && c.handshakeStatus === 403);
    if (!blocked) {
      this.since = null;
      return null;
    }
    if (this.since === null) {
      this.since = wall;
      this.onBlocked();
    }
    return { status: 403, since: this.since, sample: 'WebSocket handshake refused with HTTP 403', message: ACCESS_BLOCK_MESSAGE };
  }
}

/**
 * Live (and sim) intake: the universe over REST, refreshed; one WebSocket pool for every topic; warm-up and candle
 * repairs over REST within the REST budget; the clock offset to Bybit; optionally a recording of everything received.
 */
export class LiveIntake extends BaseIntake {
  override readonly marketClock: MarketClock = 'exchange';
  private readonly t: IntakeTiming;
  private readonly repairCandles: boolean;
  private readonly gate: ConnectGate;
  private readonly clock: ExchangeClock;
  private readonly resyncs: BookResyncs;
  private readonly wallMinutes: WallMinutes;
  private readonly wsBlock: WsBlockWatch;
  private readonly timers: NodeJS.Timeout[] = [];
  private universeCheckTimer: NodeJS.Timeout | undefined;
  private pool: IntakePool | undefined;
  private threaded: ThreadedWsPool | undefined;
  private loader: UniverseLoader | undefined;
  private recorder: Recorder | undefined;
  /** A symbol in or out of the universe: its topics on the pool, its pending resync. */
  private readonly links: UniverseLinks = {
    added: (symbol) => this.pool?.addSymbol(symbol, topicsForSymbol(symbol)),
    removed: (symbol) => {
      this.pool?.removeSymbol(symbol);
      this.resyncs.forget(symbol);
    },
  };

  constructor(options: IntakeOptions) {
    super(options);
    this.t = resolveTiming(options.timing);
    this.repairCandles = options.repairCandles !== false;
    this.gate = new ConnectGate(options.wsConnectsPer5Min ?? DEFAULT_CONNECTS_PER_WINDOW, options.wsConnectWindowMs ?? CONNECT_WINDOW_MS);
    this.clock = new ExchangeClock(this.rlog);
    this.resyncs = new BookResyncs(this.store, (topic) => this.pool?.resubscribe(topic), this.t.resyncRetryMs);
    this.wallMinutes = new WallMinutes((minuteTs) => this.minutes.fire(minuteTs));
    this.wsBlock = new WsBlockWatch(() =>
      this.logger.error('bybit websocket refuses this server (HTTP 403 on the handshake); retrying with backoff', { url: options.wsUrl }),
    );
  }

  override now(): number {
    return this.clock.now();
  }

  protected override localClock(wall: number): number {
    return wall;
  }

  protected override async begin(): Promise<void> {
    const { options, t } = this;
    if (options.record) {
      const recorder = await Recorder.open(options.record.file, {
        startedAt: Date.now(),
        source: options.source === 'sim' ? 'sim' : 'live',
        wsUrl: options.wsUrl,
        restUrl: options.restUrl,
      });
      // Stopped while the file was opening: end() has run already and would not close it.
      if (this.abort.signal.aborted) {
        await recorder.close();
        return;
      }
      this.recorder = recorder;
    }
    const rest = this.createRest();
    this.rest = rest;
    this.warmup = new Warmup({
      rest,
      store: this.store,
      logger: this.logger.child({ component: 'warmup' }),
      poll: true,
      timing: { pollIntervalMs: t.pollIntervalMs, retryBaseMs: t.warmupRetryBaseMs },
      now: () => this.now(),
    });
    const pool = this.createPool();
    this.pool = pool;
    const loader = new UniverseLoader(rest, this.universe, options, this.logger, this.abort.signal);
    this.loader = loader;
    // The clock first, so the first scores already judge event ages in exchange time.
    await this.clock.sync(rest);
    if (this.abort.signal.aborted) return;
    this.repeat(() => void this.clock.sync(rest), t.clockSyncMs);
    const symbols = await loader.initial({ baseMs: t.backoffBaseMs, maxMs: t.backoffMaxMs });
    if (this.abort.signal.aborted) return;
    if (this.clock.samples === 0) await this.clock.sync(rest);
    this.applyUniverse(symbols);
    pool.start();
    this.repeat(() => void this.refreshUniverse(), options.universeRefreshMs);
    this.repeat(() => this.housekeeping(), HOUSEKEEPING_MS);
    this.wallMinutes.start();
  }

  protected override async end(): Promise<void> {
    for (const tm of this.timers.splice(0)) clearInterval(tm);
    this.wallMinutes.stop();
    if (this.universeCheckTimer) clearTimeout(this.universeCheckTimer);
    this.warmup?.stop();
    this.rest?.close();
    await this.pool?.stop();
    await this.recorder?.close();
  }

  /** Runs `run` every `ms` until the intake stops (nothing once it has: end() clears only the timers it finds). */
  private repeat(run: () => void, ms: number): void {
    if (this.abort.signal.aborted) return;
    this.timers.push(setInterval(run, ms));
  }

  private createRest(): BybitRestClient {
    const { options, t } = this;
    const budget = options.restBudget ?? DEFAULT_REST_BUDGET;
    return new BybitRestClient({
      transport: createHttpTransport(options.restUrl),
      logger: this.logger.child({ component: 'bybit-rest' }),
      // Burst 1: requests are spaced evenly, so no second ever sees more than the budget (plus the one in flight).
      limiter: new RateLimiter({ ratePerSec: budget.ratePerSec, burst: 1, maxInFlight: budget.maxInFlight }),
      timing: { timeoutMs: t.restTimeoutMs, retryBaseMs: t.restRetryBaseMs, backoff403Ms: t.restBackoff403Ms },
      onResponse: (p, res) => this.recorder?.rest(Date.now(), p, res.status, res.body),
    });
  }

  private createPool(): IntakePool {
    const { options, t } = this;
    const timing = {
      pingIntervalMs: t.pingIntervalMs,
      pongTimeoutMs: t.pongTimeoutMs,
      staleTimeoutMs: t.staleTimeoutMs,
      backoffBaseMs: t.backoffBaseMs,
      backoffMaxMs: t.backoffMaxMs,
      subscribeRetryBaseMs: t.subscribeRetryBaseMs,
    };
    const onDisconnect = (info: { topics: readonly string[] }): void => {
      for (const topic of info.topics) if (topic.startsWith('orderbook.')) this.store.bookDisconnected(symbolOfTopic(topic));
    };
    // Every reconnect: whatever the outage cost the candles (missing ones, a forming one that closed unseen) is
    // backfilled over REST; the symbols are 'repairing' (not fully fresh) until it is in.
    const onReconnect = (info: { topics: readonly string[] }): void => {
      if (!this.repairCandles) return;
      const symbols = new Set(info.topics.map(symbolOfTopic));
      for (const s of symbols) for (const tf of REPAIR_TIMEFRAMES) this.warmup?.repair(s, tf);
    };
    if (options.intakeThread) {
      const pool = new ThreadedWsPool({
        url: options.wsUrl,
        logger: this.logger.child({ component: 'bybit-ws' }),
        timing,
        maxTopicsPerConnection: options.maxTopicsPerConnection,
        connectsPerWindow: this.gate.max,
        connectWindowMs: this.gate.windowMs,
        onData: (ev) => this.feed.apply(ev),
        onFrames: (frames, lastRecvTs) => this.feed.received(frames, lastRecvTs),
        onRaw: this.recorder ? (raw, recvTs, connId) => this.recorder?.ws(recvTs, connId, raw) : undefined,
        onDisconnect,
        onReconnect,
      });
      this.feed.decodedElsewhere(() => pool.counters());
      this.threaded = pool;
      return pool;
    }
    return new WsPool({
      gate: this.gate,
      url: options.wsUrl,
      logger: this.logger.child({ component: 'bybit-ws' }),
      timing,
      maxTopicsPerConnection: options.maxTopicsPerConnection,
      decode: (raw, recvTs) => this.feed.decode(raw, recvTs),
      onData: (ev) => this.feed.apply(ev),
      onRaw: (raw, recvTs, connId) => this.recorder?.ws(recvTs, connId, raw),
      onDisconnect,
      onReconnect,
    });
  }

  private applyUniverse(next: readonly string[], notTrading?: ReadonlyMap<string, string>): void {
    this.universe.apply(next, notTrading, this.warmup, this.links);
  }

  private async refreshUniverse(): Promise<void> {
    try {
      if (this.loader === undefined) return;
      const next = await this.loader.load();
      if (this.phase === 'closed') return;
      this.applyUniverse(next.symbols, next.notTrading);
    } catch (err) {
      if (!this.abort.signal.aborted) this.logger.warn('universe refresh failed, keeping the current one', { error: errorMessage(err) });
    }
  }

  private housekeeping(): void {
    this.resyncs.retryDue();
    const dropped = this.store.expireRetired(this.graceMs);
    if (dropped.length) this.logger.debug('retained symbol state expired', { symbols: dropped.slice(0, 20) });
  }

  protected override emptyBook(symbol: string): void {
    this.resyncs.later(symbol);
    if (this.universeCheckTimer || this.phase === 'closed') return;
    this.universeCheckTimer = setTimeout(() => {
      this.universeCheckTimer = undefined;
      void this.refreshUniverse();
    }, EMPTY_SNAPSHOT_UNIVERSE_CHECK_MS);
  }

  protected override resubscribeBook(symbol: string): void {
    this.resyncs.request(symbol);
  }

  protected override candleGap(symbol: string, timeframe: Timeframe, newestStart: number | undefined): void {
    if (!this.repairCandles) return;
    this.rlog('info', 'candle-gap', 'candle gap detected, backfilling over REST', { symbol, timeframe });
    this.warmup?.repair(symbol, timeframe, newestStart);
  }

  protected override link(): LinkHealth {
    const pool = this.pool;
    const conns = pool?.stats() ?? [];
    const totals = pool?.totals() ?? { reconnects: 0, subscribeRejected: 0 };
    return {
      state: this.feedState(conns),
      connections: conns.map((x) => ({
        id: x.id,
        state: x.state,
        topics: x.topics,
        reconnects: x.reconnects,
        lastMessageAt: x.lastMessageAt,
        messagesPerSec: x.messagesPerSec,
        lastError: x.lastError,
      })),
      reconnects: totals.reconnects,
      subscribeRejected: totals.subscribeRejected,
      connectAttempts: this.threaded?.connectCounts().attempts ?? this.gate.granted,
      connectDeferred: this.threaded?.connectCounts().deferred ?? this.gate.deferred,
      threadRestarts: this.threaded?.restarts,
    };
  }

  private feedState(conns: readonly { state: ConnectionState }[]): IntakeState {
    if (conns.length === 0) return 'connecting';
    const connected = conns.filter((c) => c.state === 'connected').length;
    if (connected === conns.length) return 'connected';
    if (connected > 0) return 'reconnecting';
    return conns.every((c) => c.state === 'connecting' || c.state === 'idle') ? 'connecting' : 'down';
  }

  protected override wsAccessBlock(wall: number): AccessBlock | null {
    return this.wsBlock.check(this.pool?.stats() ?? [], wall);
  }

  protected override clockHealth(): ClockHealth {
    return this.clock.health();
  }

  protected override recordingHealth(): IntakeHealth['recording'] {
    const r = this.recorder;
    return r ? { file: r.file, lines: r.lines, bytes: r.bytes, dropped: r.dropped } : null;
  }
}
