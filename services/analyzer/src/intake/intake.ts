import type { AnalyzerConfig } from '@confluence/config';
import { EventEmitter } from 'node:events';
import { bookTopic, REST_PATH, symbolOfTopic, topicsForSymbol } from '@confluence/bybit-wire';
import type { ShardId } from '@confluence/contracts';
import type { MarketSnapshot } from '@confluence/confluence';
import { createRateLimitedLog, type Logger } from '@confluence/logger';
import { MarketStore, type StateLimits, type SymbolIntakeStatus } from '../state/market-store';
import { fullJitterDelay, sleep } from './backoff';
import { createNormalizer, type MalformedReason } from './bybit/normalize';
import { ACCESS_BLOCK_MESSAGE, BybitRestClient, createHttpTransport, RestError, type AccessBlock } from './bybit/rest-client';
import { DEFAULT_WS_TIMING, type ConnectionState, type WsTiming } from './bybit/ws-connection';
import { WsPool } from './bybit/ws-pool';
import { ConnectGate, CONNECT_WINDOW_MS, DEFAULT_CONNECTS_PER_WINDOW } from './connect-gate';
import type { DataEvent } from './events';
import type { Timeframe } from '@confluence/contracts';
import { RateLimiter } from './rate-limiter';
import { RateMeter } from './rate-meter';
import { Recorder } from './recorder';
import { createReplayTransport, feedRecording, scanRecording } from './replay';
import { fetchUniverse, inShard } from './universe';
import { Warmup, type WarmupProgress } from './warmup';

export type { SymbolIntakeStatus } from '../state/market-store';
export type { WarmupProgress } from './warmup';

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
}

export class IntakeError extends Error {
  constructor(
    readonly code: 'universe_unavailable' | 'replay_failed' | 'already_started',
    message: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }
}

const UNIVERSE_START_ATTEMPTS = 5;
const RESYNC_RETRY_MS = 10_000;
const HOUSEKEEPING_MS = 1_000;
export const CLOCK_SYNC_MS = 10 * 60_000;
export const UNIVERSE_GRACE_MS = 30 * 60_000;
/** After an empty book snapshot the instruments are re-read this soon (a delisting shows there as a status change). */
const EMPTY_SNAPSHOT_UNIVERSE_CHECK_MS = 1_000;

/** Intake options from the analyzer's validated config: the one mapping the analyzer and the recorder share. */
export function intakeOptionsFromConfig(config: AnalyzerConfig, logger: Logger): IntakeOptions {
  return {
    wsUrl: config.bybitWsUrl,
    restUrl: config.bybitRestUrl,
    topSymbols: config.topSymbols,
    symbols: config.symbols,
    shard: config.shard,
    universeRefreshMs: config.universeRefreshMs,
    logger,
    source: config.marketSource,
    timing: { ...config.intakeTiming, clockSyncMs: config.clockSyncMs },
    replay: config.marketSource === 'replay' && config.replayFile ? { file: config.replayFile, speed: config.replaySpeed } : undefined,
    includeTradFi: config.includeTradFi,
    universeGraceMs: config.universeGraceMs,
    restBudget: config.restBudget,
    wsConnectsPer5Min: config.wsConnectsPer5Min,
  };
}

const REPAIR_TIMEFRAMES: readonly Timeframe[] = ['1m', '5m', '30m', '4h'];

export function createIntake(options: IntakeOptions): Intake {
  const { logger, source } = options;
  const replayMode = source === 'replay';
  if (replayMode && !options.replay) throw new Error("createIntake: source 'replay' needs options.replay");
  const t = {
    ...DEFAULT_WS_TIMING,
    restBackoff403Ms: 10 * 60_000,
    pollIntervalMs: 60_000,
    restTimeoutMs: 10_000,
    restRetryBaseMs: 500,
    warmupRetryBaseMs: 5_000,
    resyncRetryMs: RESYNC_RETRY_MS,
    clockSyncMs: CLOCK_SYNC_MS,
    ...options.timing,
  };
  const graceMs = options.universeGraceMs ?? UNIVERSE_GRACE_MS;
  const repairCandles = !replayMode && options.repairCandles !== false;
  const restBudget = options.restBudget ?? { ratePerSec: 20, maxInFlight: 4 };
  const gate = new ConnectGate(options.wsConnectsPer5Min ?? DEFAULT_CONNECTS_PER_WINDOW, options.wsConnectWindowMs ?? CONNECT_WINDOW_MS);
  const clock: ClockHealth = { offsetMs: null, rttMs: null, measuredAt: null, samples: 0, lastError: null };
  let emptySnapshots = 0;
  const removedNotTrading: { symbol: string; status: string; at: number }[] = [];
  let ranked: readonly string[] = [];
  const wsTiming: Partial<WsTiming> = {
    pingIntervalMs: t.pingIntervalMs,
    pongTimeoutMs: t.pongTimeoutMs,
    staleTimeoutMs: t.staleTimeoutMs,
    backoffBaseMs: t.backoffBaseMs,
    backoffMaxMs: t.backoffMaxMs,
    subscribeRetryBaseMs: t.subscribeRetryBaseMs,
  };
  const rlog = createRateLimitedLog(logger, 10_000);
  const emitter = new EventEmitter<{ universe: [readonly string[]] }>();
  const minuteCallbacks: ((minuteTs: number) => void)[] = [];

  let replayClock: number | undefined;
  let replayStartedAt: number | undefined;
  // Live, event ages are judged against Bybit's clock (the exchange stamps every event): a host clock off by a few
  // seconds would otherwise make fresh data look stale (or from the future).
  const exchangeNow = (): number => Date.now() + Math.round(clock.offsetMs ?? 0);
  const now = (): number => (replayMode ? (replayClock ?? replayStartedAt ?? Date.now()) : exchangeNow());

  const normalizer = createNormalizer({ logger });
  const totalMeter = new RateMeter(10);
  let lastMessageAt: number | null = null;
  const resyncRequested = new Map<string, number>();

  const store = new MarketStore({
    now,
    wallNow: replayMode ? now : Date.now,
    limits: options.limits,
    onResync: (symbol, reason) => {
      if (reason === 'empty') {
        // Bybit's delisting / tick-size-change signal: not a synced empty book. Re-read the instrument's status now;
        // the book is resubscribed after resyncRetryMs (housekeeping) in case it is a tick-size change.
        emptySnapshots++;
        rlog('warn', 'book-empty', 'empty order-book snapshot (u=1): delisting or tick-size change; book unsynced', { symbol });
        resyncRequested.set(symbol, Date.now());
        scheduleUniverseCheck();
        return;
      }
      rlog('warn', 'book-resync', 'order book out of sync, resubscribing', { symbol, reason });
      requestResync(symbol);
    },
    onCandleGap: (symbol, timeframe, newestStart) => {
      if (!repairCandles) return;
      rlog('info', 'candle-gap', 'candle gap detected, backfilling over REST', { symbol, timeframe });
      warmup?.repair(symbol, timeframe, newestStart);
    },
  });

  let recorder: Recorder | undefined;
  let rest: BybitRestClient | undefined;
  let warmup: Warmup | undefined;
  let pool: WsPool | undefined;
  let universe: readonly string[] = [];
  let universeRefreshedAt: number | null = null;
  let tickSizes: ReadonlyMap<string, number> = new Map();
  let state: 'idle' | 'starting' | 'running' | 'closed' = 'idle';
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let minuteTimer: NodeJS.Timeout | undefined;
  let universeCheckTimer: NodeJS.Timeout | undefined;
  let replayInfo: IntakeHealth['replay'] = null;
  let replayDone: Promise<void> | undefined;
  let resolveFinished!: () => void;
  const finishedPromise = new Promise<void>((r) => (resolveFinished = r));

  const applyData = (ev: DataEvent): void => store.apply(ev);

  /** Replay path (live frames arrive through the pool's decode/onData). Rates are measured in wall time. */
  function handleFrame(raw: string, recvTs: number): void {
    totalMeter.mark(Date.now());
    lastMessageAt = recvTs;
    const events = normalizer.normalize(raw, recvTs);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.type !== 'pong' && ev.type !== 'subscribe_ack') applyData(ev);
    }
  }

  function requestResync(symbol: string): void {
    resyncRequested.set(symbol, Date.now());
    pool?.resubscribe(bookTopic(symbol));
  }

  function fireMinute(minuteTs: number): void {
    for (const cb of minuteCallbacks) {
      try {
        cb(minuteTs);
      } catch (err) {
        logger.error('onMinute callback failed', { error: err instanceof Error ? err : String(err) });
      }
    }
  }

  /** Live/sim: a timer at each wall-clock minute boundary (re-armed if it fires early, so no minute repeats). */
  function scheduleMinute(boundary = (Math.floor(Date.now() / 60_000) + 1) * 60_000): void {
    minuteTimer = setTimeout(() => {
      if (state === 'closed') return;
      if (Date.now() < boundary) return scheduleMinute(boundary);
      fireMinute(boundary);
      scheduleMinute();
    }, Math.max(1, boundary - Date.now()));
  }

  function scheduleUniverseCheck(): void {
    if (universeCheckTimer || replayMode || state === 'closed') return;
    universeCheckTimer = setTimeout(() => {
      universeCheckTimer = undefined;
      void refreshUniverse();
    }, EMPTY_SNAPSHOT_UNIVERSE_CHECK_MS);
  }

  /**
   * `notTrading`: instruments that left Trading (Settling, Delivering, Closed…). Their symbols are removed at once and
   * their state dropped; symbols that only fell in the ranking keep their state for the grace period.
   */
  function applyUniverse(next: readonly string[], notTrading: ReadonlyMap<string, string> = new Map()): void {
    const nextSet = new Set(next);
    const current = new Set(universe);
    const removed = universe.filter((s) => !nextSet.has(s));
    const added = next.filter((s) => !current.has(s));
    for (const s of removed) {
      pool?.removeSymbol(s);
      const status = notTrading.get(s);
      if (status !== undefined || graceMs === 0) store.remove(s);
      else store.retire(s);
      if (status !== undefined) {
        removedNotTrading.push({ symbol: s, status, at: Date.now() });
        if (removedNotTrading.length > 20) removedNotTrading.shift();
        logger.warn('instrument no longer trading, symbol removed', { symbol: s, status });
      }
      resyncRequested.delete(s);
    }
    warmup?.remove(removed);
    const fresh: string[] = [];
    const restored: string[] = [];
    for (const s of added) {
      // Kept state skips the warm-up only if that warm-up had finished; otherwise it runs again.
      const kept = store.add(s) === 'restored' && store.status(s)?.warmup === 'done';
      (kept ? restored : fresh).push(s);
      pool?.addSymbol(s, topicsForSymbol(s));
    }
    warmup?.add(fresh);
    warmup?.addRestored(restored);
    if (restored.length) logger.info('symbols back in the universe with their state kept', { symbols: restored.slice(0, 20) });
    for (const s of next) store.setFundingInterval(s, fundingIntervals.get(s));
    const first = universeRefreshedAt === null;
    universe = [...next];
    universeRefreshedAt = Date.now();
    if (added.length || removed.length) logger.info('universe updated', { size: universe.length, added: added.slice(0, 20), removed: removed.slice(0, 20) });
    if (first || added.length || removed.length) emitter.emit('universe', universe);
  }

  /** Funding interval per symbol from the last instruments fetch; applied to the store with the universe. */
  let fundingIntervals: ReadonlyMap<string, number> = new Map();

  async function loadUniverse(): Promise<{ symbols: string[]; notTrading: ReadonlyMap<string, string> }> {
    const sel = await fetchUniverse(
      rest!,
      { topSymbols: options.topSymbols, symbols: options.symbols, shard: options.shard, includeTradFi: options.includeTradFi, current: ranked },
      logger,
    );
    ranked = sel.ranked;
    tickSizes = sel.tickSizes;
    fundingIntervals = sel.fundingIntervals;
    return { symbols: sel.symbols, notTrading: sel.notTrading ?? new Map() };
  }

  async function initialUniverse(): Promise<string[]> {
    let counted = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await loadUniverse()).symbols;
      } catch (err) {
        if (abort.signal.aborted) throw new IntakeError('universe_unavailable', 'intake stopped');
        // An access block is not a reason to give up: the status says so and attempts continue with backoff.
        const blocked = err instanceof RestError && err.code === 'access_blocked';
        if (!blocked) counted++;
        const last = counted >= UNIVERSE_START_ATTEMPTS;
        logger.warn('universe fetch failed', { attempt: attempt + 1, error: err instanceof Error ? err.message : String(err) });
        if (last) {
          if (options.symbols?.length) {
            // The configured list is usable without validation; the next refresh validates it.
            logger.warn('using the configured SYMBOLS unvalidated until instruments can be fetched');
            return options.symbols.filter((s) => inShard(s, options.shard));
          }
          throw new IntakeError('universe_unavailable', `cannot fetch the universe: ${err instanceof Error ? err.message : String(err)}`);
        }
        await sleep(fullJitterDelay(attempt, Math.max(200, t.backoffBaseMs * 2), Math.max(1_000, t.backoffMaxMs)), abort.signal).catch(() => undefined);
      }
    }
  }

  async function refreshUniverse(): Promise<void> {
    try {
      const next = await loadUniverse();
      if (state === 'closed') return;
      applyUniverse(next.symbols, next.notTrading);
    } catch (err) {
      if (!abort.signal.aborted) logger.warn('universe refresh failed, keeping the current one', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  function housekeeping(): void {
    const wall = Date.now();
    for (const [symbol, at] of resyncRequested) {
      const why = store.bookUnsyncedReason(symbol);
      if (why === undefined) resyncRequested.delete(symbol);
      else if ((why === 'gap' || why === 'crossed' || why === 'empty') && wall - at >= t.resyncRetryMs) requestResync(symbol);
    }
    const dropped = store.expireRetired(graceMs);
    if (dropped.length) logger.debug('retained symbol state expired', { symbols: dropped.slice(0, 20) });
  }

  async function syncClock(): Promise<void> {
    if (!rest) return;
    try {
      const m = await rest.serverTime();
      clock.offsetMs = Math.round(m.offsetMs);
      clock.rttMs = Math.round(m.rttMs);
      clock.measuredAt = Date.now();
      clock.samples++;
      clock.lastError = null;
      if (Math.abs(m.offsetMs) > 1_000) rlog('warn', 'clock-offset', 'host clock differs from Bybit; exchange time is used for event ages', { offsetMs: clock.offsetMs, rttMs: clock.rttMs });
    } catch (err) {
      if (!(err instanceof RestError && err.code === 'closed')) clock.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  async function startLive(): Promise<void> {
    rest = new BybitRestClient({
      transport: createHttpTransport(options.restUrl),
      logger: logger.child({ component: 'bybit-rest' }),
      // Burst 1: requests are spaced evenly, so no second ever sees more than the budget (plus the one in flight).
      limiter: new RateLimiter({ ratePerSec: restBudget.ratePerSec, burst: 1, maxInFlight: restBudget.maxInFlight }),
      timing: { timeoutMs: t.restTimeoutMs, retryBaseMs: t.restRetryBaseMs, backoff403Ms: t.restBackoff403Ms },
      onResponse: (p, res) => recorder?.rest(Date.now(), p, res.status, res.body),
    });
    warmup = new Warmup({
      rest,
      store,
      logger: logger.child({ component: 'warmup' }),
      poll: true,
      timing: { pollIntervalMs: t.pollIntervalMs, retryBaseMs: t.warmupRetryBaseMs },
      now,
    });
    pool = new WsPool({
      gate,
      url: options.wsUrl,
      logger: logger.child({ component: 'bybit-ws' }),
      timing: wsTiming,
      maxTopicsPerConnection: options.maxTopicsPerConnection,
      decode: (raw, recvTs) => {
        totalMeter.mark(recvTs);
        lastMessageAt = recvTs;
        return normalizer.normalize(raw, recvTs);
      },
      onData: applyData,
      onRaw: (raw, recvTs, connId) => recorder?.ws(recvTs, connId, raw),
      onDisconnect: (info) => {
        for (const topic of info.topics) if (topic.startsWith('orderbook.')) store.bookDisconnected(symbolOfTopic(topic));
      },
      // Every reconnect: whatever the outage cost the candles (missing ones, a forming one that closed unseen) is
      // backfilled over REST; the symbols are 'repairing' (not fully fresh) until it is in.
      onReconnect: (info) => {
        if (!repairCandles) return;
        const symbols = new Set(info.topics.map(symbolOfTopic));
        for (const s of symbols) for (const tf of REPAIR_TIMEFRAMES) warmup?.repair(s, tf);
      },
    });
    // The clock first, so the first scores already judge event ages in exchange time.
    await syncClock();
    timers.push(setInterval(() => void syncClock(), t.clockSyncMs));
    const symbols = await initialUniverse();
    if (abort.signal.aborted) return;
    if (clock.samples === 0) await syncClock();
    applyUniverse(symbols);
    pool.start();
    timers.push(setInterval(() => void refreshUniverse(), options.universeRefreshMs));
    timers.push(setInterval(housekeeping, HOUSEKEEPING_MS));
    scheduleMinute();
  }

  async function startReplay(): Promise<void> {
    const { file, speed } = options.replay!;
    replayInfo = { file, speed: Number.isFinite(speed) ? speed : 'max', finished: false, messages: 0, error: null };
    const index = await scanRecording(file);
    replayStartedAt = index.meta?.startedAt ?? index.firstTs ?? Date.now();
    rest = new BybitRestClient({ transport: createReplayTransport(index), logger: logger.child({ component: 'bybit-rest' }), limiter: null, timing: { maxAttempts: 1 } });
    warmup = new Warmup({ rest, store, logger: logger.child({ component: 'warmup' }), poll: false, retry: false });
    const symbols = (options.symbols?.length ? options.symbols : index.symbols).filter((s) => inShard(s, options.shard));
    // Funding intervals from the recorded instruments answer, when the recording has one (tickers may carry them too).
    if ([...index.rest.keys()].some((k) => k.startsWith(REST_PATH.instrumentsInfo))) {
      try {
        fundingIntervals = new Map((await rest.instruments()).flatMap((i) => (i.fundingInterval !== undefined && i.fundingInterval > 0 ? [[i.symbol, i.fundingInterval] as const] : [])));
      } catch {
        fundingIntervals = new Map();
      }
    }
    applyUniverse(symbols);
    await warmup.idle();
    logger.info('replay starting', { file, symbols: symbols.length, frames: index.wsLines, speed: replayInfo.speed });
    const info = replayInfo;
    replayDone = feedRecording({
      file,
      speed,
      signal: abort.signal,
      onTime: (ts) => {
        if (replayClock === undefined || ts > replayClock) replayClock = ts;
      },
      onMinute: fireMinute,
      onFrame: (raw, recvTs) => {
        handleFrame(raw, recvTs);
        info.messages++;
      },
    }).then(
      () => {
        info.finished = true;
        logger.info('replay finished', { messages: info.messages });
      },
      (err: unknown) => {
        info.finished = true;
        info.error = err instanceof Error ? err.message : String(err);
        logger.error('replay failed', { error: info.error });
      },
    );
    void replayDone.then(() => resolveFinished());
  }

  /** Every connection refused with HTTP 403 at the handshake: the WebSocket side of an access block. */
  let wsBlockSince: number | null = null;
  function wsAccessBlock(conns: readonly { state: ConnectionState; handshakeStatus: number | null }[], wall: number): AccessBlock | null {
    const blocked = conns.length > 0 && conns.every((c) => c.state !== 'connected' && c.handshakeStatus === 403);
    if (!blocked) {
      wsBlockSince = null;
      return null;
    }
    if (wsBlockSince === null) {
      wsBlockSince = wall;
      logger.error('bybit websocket refuses this server (HTTP 403 on the handshake); retrying with backoff', { url: options.wsUrl });
    }
    return { status: 403, since: wsBlockSince, sample: 'WebSocket handshake refused with HTTP 403', message: ACCESS_BLOCK_MESSAGE };
  }

  function intakeState(): IntakeState {
    if (state === 'closed') return 'closed';
    if (replayMode) return replayInfo?.finished ? 'closed' : state === 'running' ? 'connected' : 'connecting';
    const conns = pool?.stats() ?? [];
    if (conns.length === 0) return 'connecting';
    const connected = conns.filter((c) => c.state === 'connected').length;
    if (connected === conns.length) return 'connected';
    if (connected > 0) return 'reconnecting';
    return conns.every((c) => c.state === 'connecting' || c.state === 'idle') ? 'connecting' : 'down';
  }

  return {
    async start() {
      if (state !== 'idle') throw new IntakeError('already_started', 'intake already started');
      state = 'starting';
      try {
        if (options.record && !replayMode) {
          recorder = await Recorder.open(options.record.file, { startedAt: Date.now(), source: source === 'sim' ? 'sim' : 'live', wsUrl: options.wsUrl, restUrl: options.restUrl });
        }
        if (replayMode) await startReplay();
        else await startLive();
        if (state === 'starting') state = 'running';
      } catch (err) {
        await this.stop();
        if (err instanceof RestError || err instanceof IntakeError) throw err;
        if (replayMode) throw new IntakeError('replay_failed', `replay failed to start: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    },

    async stop() {
      if (state === 'closed') return;
      state = 'closed';
      abort.abort();
      for (const tm of timers.splice(0)) clearInterval(tm);
      if (minuteTimer) clearTimeout(minuteTimer);
      if (universeCheckTimer) clearTimeout(universeCheckTimer);
      warmup?.stop();
      rest?.close();
      await pool?.stop();
      await replayDone;
      await recorder?.close();
      resolveFinished();
    },

    symbols: () => universe,
    snapshot: (symbol) => store.snapshot(symbol),
    symbolStatus: (symbol) => store.status(symbol),
    tickSize: (symbol) => tickSizes.get(symbol),
    now,
    onMinute(cb) {
      minuteCallbacks.push(cb);
    },
    on(event, cb) {
      emitter.on(event, cb);
    },
    finished: () => finishedPromise,

    health(): IntakeHealth {
      const wall = Date.now();
      const conns = pool?.stats() ?? [];
      const poolTotals = pool?.totals() ?? { reconnects: 0, subscribeRejected: 0 };
      const localClock = replayMode ? now() : wall;
      const updateAgeMs: Record<string, number | null> = {};
      let warm = 0;
      let synced = 0;
      let repairing = 0;
      for (const s of universe) {
        const st = store.status(s);
        if (!st) continue;
        if (st.warm) warm++;
        if (st.bookSynced) synced++;
        if (st.repairing.length) repairing++;
        updateAgeMs[s] = st.lastUpdateAt === null ? null : Math.max(0, localClock - st.lastUpdateAt);
      }
      const c = normalizer.counters;
      return {
        source,
        state: intakeState(),
        connections: conns.map((x) => ({
          id: x.id,
          state: x.state,
          topics: x.topics,
          reconnects: x.reconnects,
          lastMessageAt: x.lastMessageAt,
          messagesPerSec: x.messagesPerSec,
          lastError: x.lastError,
        })),
        totals: {
          messages: c.messages,
          messagesPerSec: totalMeter.perSecond(wall),
          byTopic: { ...c.byTopic },
          reconnects: poolTotals.reconnects,
          resyncs: store.resyncs,
          malformed: { ...c.malformed },
          subscribeRejected: poolTotals.subscribeRejected,
          restErrors: rest?.counters.errors ?? 0,
          rateLimited: rest?.counters.rateLimited ?? 0,
          accessBlocked: rest?.counters.accessBlocked ?? 0,
          connectAttempts: gate.granted,
          connectDeferred: gate.deferred,
          emptySnapshots,
        },
        accessBlock: rest?.accessBlock() ?? wsAccessBlock(conns, wall),
        clock: { ...clock },
        rest: { ...restBudget },
        warmup: warmup?.progress() ?? { done: 0, total: 0, complete: false, failed: 0, failedSymbols: [], repairing: 0, repairingSymbols: [], repairsDone: 0, repairFailures: 0 },
        universe: { size: universe.length, refreshedAt: universeRefreshedAt, retained: store.retiredCount, removedNotTrading: removedNotTrading.map((r) => ({ ...r })), includeTradFi: options.includeTradFi ?? false },
        lastMessageAt,
        symbols: { total: universe.length, warm, bookSynced: synced, repairing, updateAgeMs },
        replay: replayInfo ? { ...replayInfo } : null,
        recording: recorder ? { file: recorder.file, lines: recorder.lines, bytes: recorder.bytes, dropped: recorder.dropped } : null,
      };
    },
  };
}
