import type { AnalyzerConfig } from '@confluence/config';
import { EventEmitter } from 'node:events';
import type { ShardId } from '@confluence/contracts';
import type { MarketSnapshot } from '@confluence/confluence';
import { createRateLimitedLog, type Logger } from '@confluence/logger';
import { MarketStore, type StateLimits, type SymbolIntakeStatus } from '../state/market-store';
import { fullJitterDelay, sleep } from './backoff';
import { createNormalizer, type MalformedReason } from './bybit/normalize';
import { BybitRestClient, createHttpTransport, RestError } from './bybit/rest-client';
import { bookTopic, symbolOfTopic, topicsForSymbol } from './bybit/topics';
import { DEFAULT_WS_TIMING, type ConnectionState, type WsTiming } from './bybit/ws-connection';
import { WsPool } from './bybit/ws-pool';
import type { DataEvent } from './events';
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
  };
  warmup: WarmupProgress;
  universe: { size: number; refreshedAt: number | null };
  lastMessageAt: number | null;
  symbols: {
    total: number;
    warm: number;
    bookSynced: number;
    /** Market-clock age of each symbol's last update (ms), null before the first one. */
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
  /** Market clock: Date.now() live/sim; the replay's current recorded time in replay. */
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
    timing: config.intakeTiming,
    replay: config.marketSource === 'replay' && config.replayFile ? { file: config.replayFile, speed: config.replaySpeed } : undefined,
  };
}

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
    ...options.timing,
  };
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
  const now = (): number => (replayMode ? (replayClock ?? replayStartedAt ?? Date.now()) : Date.now());

  const normalizer = createNormalizer({ logger });
  const totalMeter = new RateMeter(10);
  let lastMessageAt: number | null = null;
  const resyncRequested = new Map<string, number>();

  const store = new MarketStore({
    now,
    limits: options.limits,
    onResync: (symbol, reason) => {
      rlog('warn', 'book-resync', 'order book out of sync, resubscribing', { symbol, reason });
      requestResync(symbol);
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

  function applyUniverse(next: readonly string[]): void {
    const nextSet = new Set(next);
    const current = new Set(universe);
    const removed = universe.filter((s) => !nextSet.has(s));
    const added = next.filter((s) => !current.has(s));
    for (const s of removed) {
      pool?.removeSymbol(s);
      store.remove(s);
      resyncRequested.delete(s);
    }
    warmup?.remove(removed);
    for (const s of added) {
      store.add(s);
      pool?.addSymbol(s, topicsForSymbol(s));
    }
    warmup?.add(added);
    for (const s of next) store.setFundingInterval(s, fundingIntervals.get(s));
    const first = universeRefreshedAt === null;
    universe = [...next];
    universeRefreshedAt = Date.now();
    if (added.length || removed.length) logger.info('universe updated', { size: universe.length, added: added.slice(0, 20), removed: removed.slice(0, 20) });
    if (first || added.length || removed.length) emitter.emit('universe', universe);
  }

  /** Funding interval per symbol from the last instruments fetch; applied to the store with the universe. */
  let fundingIntervals: ReadonlyMap<string, number> = new Map();

  async function loadUniverse(): Promise<string[]> {
    const sel = await fetchUniverse(rest!, { topSymbols: options.topSymbols, symbols: options.symbols, shard: options.shard }, logger);
    tickSizes = sel.tickSizes;
    fundingIntervals = sel.fundingIntervals;
    return sel.symbols;
  }

  async function initialUniverse(): Promise<string[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await loadUniverse();
      } catch (err) {
        if (abort.signal.aborted) throw new IntakeError('universe_unavailable', 'intake stopped');
        const last = attempt + 1 >= UNIVERSE_START_ATTEMPTS;
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
      applyUniverse(await loadUniverse());
    } catch (err) {
      if (!abort.signal.aborted) logger.warn('universe refresh failed, keeping the current one', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  function housekeeping(): void {
    const wall = Date.now();
    for (const [symbol, at] of resyncRequested) {
      const why = store.bookUnsyncedReason(symbol);
      if (why === undefined) resyncRequested.delete(symbol);
      else if ((why === 'gap' || why === 'crossed') && wall - at >= t.resyncRetryMs) requestResync(symbol);
    }
  }

  async function startLive(): Promise<void> {
    rest = new BybitRestClient({
      transport: createHttpTransport(options.restUrl),
      logger: logger.child({ component: 'bybit-rest' }),
      limiter: new RateLimiter(),
      timing: { timeoutMs: t.restTimeoutMs, retryBaseMs: t.restRetryBaseMs, backoff403Ms: t.restBackoff403Ms },
      onResponse: (p, res) => recorder?.rest(Date.now(), p, res.status, res.body),
    });
    warmup = new Warmup({
      rest,
      store,
      logger: logger.child({ component: 'warmup' }),
      poll: true,
      timing: { pollIntervalMs: t.pollIntervalMs, retryBaseMs: t.warmupRetryBaseMs },
    });
    pool = new WsPool({
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
    });
    const symbols = await initialUniverse();
    if (abort.signal.aborted) return;
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
    if ([...index.rest.keys()].some((k) => k.startsWith('/v5/market/instruments-info'))) {
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
      const clock = now();
      const updateAgeMs: Record<string, number | null> = {};
      let warm = 0;
      let synced = 0;
      for (const s of universe) {
        const st = store.status(s);
        if (!st) continue;
        if (st.warm) warm++;
        if (st.bookSynced) synced++;
        updateAgeMs[s] = st.lastUpdateAt === null ? null : Math.max(0, clock - st.lastUpdateAt);
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
        },
        warmup: warmup?.progress() ?? { done: 0, total: 0, complete: false, failed: 0, failedSymbols: [] },
        universe: { size: universe.length, refreshedAt: universeRefreshedAt },
        lastMessageAt,
        symbols: { total: universe.length, warm, bookSynced: synced, updateAgeMs },
        replay: replayInfo ? { ...replayInfo } : null,
        recording: recorder ? { file: recorder.file, lines: recorder.lines, bytes: recorder.bytes, dropped: recorder.dropped } : null,
      };
    },
  };
}
