import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRateLimitedLog, errorMessage, type Logger } from '@confluence/logger';
import { fullJitterDelay } from '../backoff';
import type { DataEvent } from '../events';
import { readEventBatch } from './event-batch';
import type { NormalizerCounters } from './normalize';
import type { FromPoolThread, PoolThreadData, PoolThreadState, ToPoolThread } from './pool-thread-protocol';
import type { ConnectionStats, DisconnectInfo, WsTiming } from './ws-connection';
import type { IntakePool } from './ws-pool';

export interface ThreadedWsPoolOptions {
  url: string;
  logger: Logger;
  timing?: Partial<WsTiming>;
  maxTopicsPerConnection?: number;
  /** The pool-wide connection budget (see ConnectGate), kept across restarts of the thread. */
  connectsPerWindow: number;
  connectWindowMs: number;
  /** Data events, in the order they were received. */
  onData: (ev: DataEvent) => void;
  /** Frames received (valid or not, control frames included) and the receive time of the newest. */
  onFrames: (frames: number, lastRecvTs: number) => void;
  /** Every raw frame, when recording (the thread sends them only if this is set). */
  onRaw?: (raw: string, recvTs: number, connId: number) => void;
  onDisconnect?: (info: DisconnectInfo) => void;
  onReconnect?: (info: { connId: number; topics: readonly string[] }) => void;
  /** The compiled thread script; default dist/intake/bybit/pool-thread.js of this package (also when running from src). */
  workerFile?: string;
  /** How often the thread reports its connections and counters (ms, default 250). */
  stateMs?: number;
  /** Restart backoff after the thread dies (full jitter, ms). */
  restartBaseMs?: number;
  restartMaxMs?: number;
}

const DEFAULT_WORKER_FILE = path.resolve(__dirname, '../../../dist/intake/bybit/pool-thread.js');
const STOP_TIMEOUT_MS = 3_000;
/** A thread that ran this long resets the restart backoff. */
const STABLE_AFTER_MS = 60_000;

const ZERO_COUNTERS = (): NormalizerCounters => ({
  messages: 0,
  byTopic: {},
  malformed: {} as NormalizerCounters['malformed'],
  fastDecoded: 0,
  fastDecodeErrors: 0,
});

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * The WebSocket pool in a thread of its own (pool-thread.ts): connections, pings and pongs, and the decoding of every
 * frame run there; the main thread gets the data events in batches and applies them. The same surface as WsPool, so
 * the live intake uses either.
 *
 * Why: at the full universe (803 symbols, ≈55,000 frames/s) receiving and decoding took about 40 % of the main thread,
 * which also scores and publishes. In its own thread that work runs on the second core, and a WebSocket pong never
 * waits for a scoring slice.
 *
 * A thread that dies is restarted with backoff: every book it carried is reset (as after a disconnect), its topics are
 * subscribed again on new connections, and the candles are repaired over REST (as after a reconnect). Counters keep
 * adding up across restarts.
 */
export class ThreadedWsPool implements IntakePool {
  private worker: Worker | undefined;
  private readonly symbolTopics = new Map<string, readonly string[]>();
  private readonly names: string[] = [];
  private last: PoolThreadState | undefined;
  /** What threads that died had counted (so totals never go down). */
  private readonly base = { counters: ZERO_COUNTERS(), reconnects: 0, subscribeRejected: 0, connectAttempts: 0, connectDeferred: 0 };
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private onStopped: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private spawnedAt = 0;
  private downReason: string | null = null;
  private readonly rlog: ReturnType<typeof createRateLimitedLog>;
  /** Times the thread died and was started again. */
  restarts = 0;

  constructor(private readonly options: ThreadedWsPoolOptions) {
    this.rlog = createRateLimitedLog(options.logger, 10_000);
    this.spawn([]);
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.send({ t: 'start' });
  }

  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    if (w === undefined) {
      this.stopped = Promise.resolve();
      return this.stopped;
    }
    this.stopped = new Promise<void>((resolve) => {
      const timer = setTimeout(() => void w.terminate(), STOP_TIMEOUT_MS);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.onStopped = done;
      w.once('exit', done);
    });
    this.send({ t: 'stop' });
    return this.stopped;
  }

  symbols(): string[] {
    return [...this.symbolTopics.keys()];
  }

  addSymbol(symbol: string, topics: readonly string[]): void {
    if (this.stopping || this.symbolTopics.has(symbol)) return;
    this.symbolTopics.set(symbol, topics);
    this.send({ t: 'add', symbol, topics });
  }

  removeSymbol(symbol: string): void {
    if (!this.symbolTopics.delete(symbol)) return;
    this.send({ t: 'remove', symbol });
  }

  /** Asks the thread to resubscribe a book; true when the thread is running (it skips a topic whose socket is down). */
  resubscribe(topic: string): boolean {
    if (this.worker === undefined) return false;
    this.send({ t: 'resubscribe', topic });
    return true;
  }

  /** The connections as of the thread's last report (at most `stateMs` old); while it restarts, each as reconnecting. */
  stats(): ConnectionStats[] {
    const stats = this.last?.stats ?? [];
    if (this.downReason === null) return [...stats];
    return stats.map((c) => ({ ...c, state: 'reconnecting' as const, lastError: this.downReason }));
  }

  totals(): { reconnects: number; subscribeRejected: number } {
    return {
      reconnects: this.base.reconnects + (this.last?.totals.reconnects ?? 0),
      subscribeRejected: this.base.subscribeRejected + (this.last?.totals.subscribeRejected ?? 0),
    };
  }

  /** The decoder's counters, over every thread since start. */
  counters(): NormalizerCounters {
    const out = ZERO_COUNTERS();
    for (const c of [this.base.counters, this.last?.counters ?? ZERO_COUNTERS()]) {
      out.messages += c.messages;
      out.fastDecoded += c.fastDecoded;
      out.fastDecodeErrors += c.fastDecodeErrors;
      addCounts(out.byTopic, c.byTopic);
      addCounts(out.malformed, c.malformed);
    }
    return out;
  }

  connectCounts(): { attempts: number; deferred: number } {
    return { attempts: this.base.connectAttempts + (this.last?.connectAttempts ?? 0), deferred: this.base.connectDeferred + (this.last?.connectDeferred ?? 0) };
  }

  private send(msg: ToPoolThread): void {
    this.worker?.postMessage(msg);
  }

  private spawn(connectTimes: readonly number[]): void {
    const o = this.options;
    const data: PoolThreadData = {
      url: o.url,
      timing: o.timing ?? {},
      maxTopicsPerConnection: o.maxTopicsPerConnection,
      connectsPerWindow: o.connectsPerWindow,
      connectWindowMs: o.connectWindowMs,
      connectTimes,
      record: o.onRaw !== undefined,
      stateMs: o.stateMs ?? 250,
    };
    const w = new Worker(o.workerFile ?? DEFAULT_WORKER_FILE, { workerData: data });
    this.worker = w;
    this.spawnedAt = Date.now();
    // A thread that died may still have messages in flight; its symbol numbering is gone, so they are dropped (its
    // books were reset anyway).
    w.on('message', (msg: FromPoolThread) => {
      if (w === this.worker) this.onMessage(msg);
      else if (msg.t === 'stopped') this.onStopped?.();
    });
    w.on('error', (err) => this.died(w, `intake thread error: ${err.message}`));
    w.on('exit', (code) => this.died(w, `intake thread exited with code ${code}`));
    for (const [symbol, topics] of this.symbolTopics) this.send({ t: 'add', symbol, topics });
    if (this.started) this.send({ t: 'start' });
  }

  private onMessage(msg: FromPoolThread): void {
    const o = this.options;
    switch (msg.t) {
      case 'batch':
        if (msg.raw && o.onRaw) for (const [recvTs, connId, text] of msg.raw) o.onRaw(text, recvTs, connId);
        o.onFrames(msg.frames, msg.lastRecvTs);
        if (msg.batch === null) return;
        try {
          readEventBatch(msg.batch, this.names, o.onData);
        } catch (err) {
          this.rlog('error', 'event-batch', 'an event batch from the intake thread did not read (a bug); its events are lost', { error: errorMessage(err) });
        }
        return;
      case 'state':
        this.last = msg.state;
        if (this.downReason !== null && msg.state.stats.some((c) => c.state === 'connected')) this.downReason = null;
        return;
      case 'disconnect':
        o.onDisconnect?.(msg.info);
        return;
      case 'reconnect':
        o.onReconnect?.(msg.info);
        return;
      case 'log':
        o.logger[msg.level](msg.message, msg.meta);
        return;
      case 'stopped':
        this.onStopped?.();
        return;
    }
  }

  private died(w: Worker, reason: string): void {
    if (w !== this.worker) return;
    this.worker = undefined;
    void w.terminate();
    if (this.stopping) {
      this.onStopped?.();
      return;
    }
    const last = this.last;
    if (last) {
      const c = this.base.counters;
      c.messages += last.counters.messages;
      c.fastDecoded += last.counters.fastDecoded;
      c.fastDecodeErrors += last.counters.fastDecodeErrors;
      addCounts(c.byTopic, last.counters.byTopic);
      addCounts(c.malformed, last.counters.malformed);
      this.base.reconnects += last.totals.reconnects + last.stats.length;
      this.base.subscribeRejected += last.totals.subscribeRejected;
      this.base.connectAttempts += last.connectAttempts;
      this.base.connectDeferred += last.connectDeferred;
      this.last = {
        ...last,
        stats: last.stats,
        totals: { reconnects: 0, subscribeRejected: 0 },
        counters: ZERO_COUNTERS(),
        connectAttempts: 0,
        connectDeferred: 0,
      };
    }
    this.downReason = reason;
    this.names.length = 0;
    if (Date.now() - this.spawnedAt >= STABLE_AFTER_MS) this.attempt = 0;
    const delay = fullJitterDelay(this.attempt++, this.options.restartBaseMs ?? 500, this.options.restartMaxMs ?? 30_000);
    this.options.logger.error('intake thread died; its books are reset and it restarts', { reason, delayMs: Math.round(delay), restarts: this.restarts });
    const topics = [...this.symbolTopics.values()].flat();
    this.options.onDisconnect?.({ connId: -1, reason, topics });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarts++;
      this.spawn(last?.connectTimes ?? []);
      // Whatever the thread's downtime cost the candles is backfilled, as after a reconnect.
      this.options.onReconnect?.({ connId: -1, topics });
    }, delay);
  }
}
