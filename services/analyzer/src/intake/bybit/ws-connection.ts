import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { MAX_ARGS_PER_REQUEST, PING_INTERVAL_MS } from '@confluence/bybit-wire';
import { createRateLimitedLog, type Logger } from '@confluence/logger';
import { fullJitterDelay } from '../backoff';
import { isControlEvent, type ControlEvent, type DataEvent, type MarketEvent } from '../events';
import { RateMeter } from '../rate-meter';

/** Bybit: send a ping every 20 s. */
export { PING_INTERVAL_MS };
/** No pong this long after a ping → the connection is dead. */
export const PONG_TIMEOUT_MS = 10_000;
/** No data frame at all this long while topics are subscribed → dead. */
export const STALE_TIMEOUT_MS = 60_000;
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
/** A connection that lived this long resets the reconnect backoff. */
export const STABLE_AFTER_MS = 30_000;
export const SUBSCRIBE_RETRY_BASE_MS = 5_000;
export const SUBSCRIBE_RETRY_MAX_MS = 5 * 60_000;
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Args per subscribe request (from the wire contract). Bybit caps spot at 10 and documents no cap for linear; staying
 * at 10 keeps every request within any documented limit and keeps one rejected topic from failing a large batch.
 */
export { MAX_ARGS_PER_REQUEST };
const MAX_PENDING_REQUESTS = 1_000;

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface WsTiming {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  staleTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  stableAfterMs: number;
  subscribeRetryBaseMs: number;
  subscribeRetryMaxMs: number;
  handshakeTimeoutMs: number;
}

export const DEFAULT_WS_TIMING: Readonly<WsTiming> = {
  pingIntervalMs: PING_INTERVAL_MS,
  pongTimeoutMs: PONG_TIMEOUT_MS,
  staleTimeoutMs: STALE_TIMEOUT_MS,
  backoffBaseMs: BACKOFF_BASE_MS,
  backoffMaxMs: BACKOFF_MAX_MS,
  stableAfterMs: STABLE_AFTER_MS,
  subscribeRetryBaseMs: SUBSCRIBE_RETRY_BASE_MS,
  subscribeRetryMaxMs: SUBSCRIBE_RETRY_MAX_MS,
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
};

export interface DisconnectInfo {
  readonly connId: number;
  readonly reason: string;
  /** Topics this connection carried; their state (books) must be reset. */
  readonly topics: readonly string[];
}

export interface WsConnectionEvents {
  open: [connId: number];
  disconnect: [info: DisconnectInfo];
  subscribe_rejected: [info: { connId: number; topic: string; retMsg: string }];
}

export interface WsConnectionOptions {
  id: number;
  url: string;
  logger: Logger;
  timing?: Partial<WsTiming>;
  /** Raw frame → events (the shared normalizer); control events are consumed here, data events go to onData. */
  decode: (raw: string, recvTs: number) => readonly MarketEvent[];
  onData: (ev: DataEvent, connId: number) => void;
  /** Every raw frame as received (recorder). */
  onRaw?: (raw: string, recvTs: number, connId: number) => void;
  now?: () => number;
  random?: () => number;
  /** Pool-wide connection-attempt budget: 0 to dial now, else ms to wait (see ConnectGate). */
  gate?: { reserve(): number };
}

export interface ConnectionStats {
  id: number;
  state: ConnectionState;
  topics: number;
  reconnects: number;
  lastMessageAt: number | null;
  messagesPerSec: number;
  lastError: string | null;
  messages: number;
  subscribeRejected: number;
  /** HTTP status of the last refused handshake (e.g. 403, 503) since the last successful open, else null. */
  handshakeStatus: number | null;
}

interface PendingRequest {
  op: 'subscribe' | 'unsubscribe';
  args: string[];
}

/**
 * One Bybit public WebSocket (the base connection of tardis-node's realtime feed, with bybit-api's per-connection topic
 * store): keeps the desired topic set and resubscribes it after every reconnect, sends subscribe requests of at most 10
 * args with a `req_id` and checks each answer, pings every 20 s and kills the socket when the pong is late or no data
 * arrives at all, reconnects with full-jitter exponential backoff. A rejected topic is counted, logged and retried later
 * with its own backoff. Data may arrive before the subscribe answer; data is never gated on acks.
 */
export class WsConnection extends EventEmitter<WsConnectionEvents> {
  readonly id: number;
  private readonly url: string;
  private readonly logger: Logger;
  private readonly rlog: ReturnType<typeof createRateLimitedLog>;
  private readonly timing: WsTiming;
  private readonly decode: WsConnectionOptions['decode'];
  private readonly onData: WsConnectionOptions['onData'];
  private readonly onRaw: WsConnectionOptions['onRaw'];
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly gate: WsConnectionOptions['gate'];

  private ws: WebSocket | undefined;
  private connState: ConnectionState = 'idle';
  private readonly desired = new Set<string>();
  private readonly confirmed = new Set<string>();
  private readonly pending = new Map<string, PendingRequest>();
  private readonly retry = new Map<string, { attempt: number; dueAt: number }>();
  private reqSeq = 0;
  private attempt = 0;
  private everConnected = false;
  private openedAt = 0;
  private lastDataAt = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closeWaiters: (() => void)[] = [];
  private readonly meter = new RateMeter(10);

  reconnects = 0;
  messages = 0;
  subscribeRejected = 0;
  lastMessageAt: number | null = null;
  lastError: string | null = null;
  handshakeStatus: number | null = null;

  constructor(options: WsConnectionOptions) {
    super();
    this.id = options.id;
    this.url = options.url;
    this.logger = options.logger.child({ connId: options.id });
    this.rlog = createRateLimitedLog(this.logger, 10_000, options.now);
    this.timing = { ...DEFAULT_WS_TIMING, ...options.timing };
    this.decode = options.decode;
    this.onData = options.onData;
    this.onRaw = options.onRaw;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.gate = options.gate;
  }

  get state(): ConnectionState {
    return this.connState;
  }

  /** Desired topics (what will be (re)subscribed). */
  topics(): string[] {
    return [...this.desired];
  }

  get topicCount(): number {
    return this.desired.size;
  }

  /** Topics the server confirmed on the current socket. */
  isConfirmed(topic: string): boolean {
    return this.confirmed.has(topic);
  }

  start(): void {
    if (this.connState !== 'idle') return;
    this.connect();
  }

  /** Closes the socket and all timers; resolves once the socket is closed. Idempotent. */
  stop(): Promise<void> {
    this.connState = 'closed';
    this.clearTimers();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.reconnectTimer = this.retryTimer = undefined;
    const ws = this.ws;
    if (!ws) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.closeWaiters.push(resolve);
      if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000, 'client stop');
        setTimeout(() => ws.terminate(), 1_000).unref();
      } else {
        ws.terminate();
      }
    });
  }

  subscribe(topics: readonly string[]): void {
    const added: string[] = [];
    for (const t of topics) {
      if (this.desired.has(t)) continue;
      this.desired.add(t);
      added.push(t);
    }
    if (added.length) this.send('subscribe', added);
  }

  unsubscribe(topics: readonly string[]): void {
    const removed: string[] = [];
    for (const t of topics) {
      if (!this.desired.delete(t)) continue;
      this.confirmed.delete(t);
      this.retry.delete(t);
      removed.push(t);
    }
    if (removed.length) this.send('unsubscribe', removed);
  }

  /** Unsubscribe then subscribe again: Bybit answers a fresh subscribe with a snapshot (book resync). */
  resubscribe(topic: string): void {
    if (!this.desired.has(topic) || !this.isOpen()) return;
    this.confirmed.delete(topic);
    this.send('unsubscribe', [topic]);
    this.send('subscribe', [topic]);
  }

  /** Forces a reconnect (tests, operator). */
  kill(reason: string): void {
    this.lastError = reason;
    this.ws?.terminate();
  }

  stats(): ConnectionStats {
    return {
      id: this.id,
      state: this.connState,
      topics: this.desired.size,
      reconnects: this.reconnects,
      lastMessageAt: this.lastMessageAt,
      messagesPerSec: this.meter.perSecond(this.now()),
      lastError: this.lastError,
      messages: this.messages,
      subscribeRejected: this.subscribeRejected,
      handshakeStatus: this.handshakeStatus,
    };
  }

  private isOpen(): boolean {
    return this.ws !== undefined && this.ws.readyState === WebSocket.OPEN;
  }

  private connect(): void {
    if (this.connState === 'closed') return;
    this.connState = this.everConnected ? 'reconnecting' : 'connecting';
    const wait = this.gate?.reserve() ?? 0;
    if (wait > 0) {
      // The pool's attempt budget is spent: wait for it instead of dialling (Bybit bans tight reconnect loops).
      this.rlog('warn', 'ws-connect-deferred', 'bybit websocket connection attempts at the pool-wide cap, waiting', { waitMs: wait });
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.connect();
      }, wait);
      return;
    }
    const ws = new WebSocket(this.url, { handshakeTimeout: this.timing.handshakeTimeoutMs });
    this.ws = ws;
    ws.on('open', () => this.handleOpen(ws));
    ws.on('message', (data: WebSocket.RawData) => {
      if (ws !== this.ws) return;
      const raw = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data).toString('utf8');
      this.handleFrame(raw);
    });
    ws.on('error', (err: Error) => {
      this.lastError = err.message;
      const refused = /Unexpected server response: (\d{3})/.exec(err.message);
      if (refused) this.handshakeStatus = Number(refused[1]);
      this.rlog('warn', `ws-error:${this.id}`, 'bybit websocket error', { error: err.message });
    });
    ws.on('close', (code: number, reason: Buffer) => this.handleClose(ws, code, reason.toString()));
  }

  private handleOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    if (this.connState === 'closed') {
      ws.close(1000, 'client stop');
      return;
    }
    this.connState = 'connected';
    this.everConnected = true;
    this.handshakeStatus = null;
    this.openedAt = this.now();
    this.lastDataAt = this.openedAt;
    this.confirmed.clear();
    this.pending.clear();
    this.retry.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.logger.info('bybit websocket connected', { url: this.url, topics: this.desired.size });
    if (this.desired.size) this.send('subscribe', [...this.desired]);
    this.pingTimer = setInterval(() => this.ping(), this.timing.pingIntervalMs);
    const staleCheckMs = Math.max(10, Math.min(5_000, Math.floor(this.timing.staleTimeoutMs / 4)));
    this.staleTimer = setInterval(() => this.checkStale(), staleCheckMs);
    this.emit('open', this.id);
  }

  private handleClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.clearTimers();
    const wasOpen = this.openedAt > 0;
    const lived = wasOpen ? this.now() - this.openedAt : 0;
    this.openedAt = 0;
    this.pending.clear();
    this.confirmed.clear();
    const waiters = this.closeWaiters.splice(0);
    for (const w of waiters) w();
    if (this.connState === 'closed') return;
    const why = this.lastError ?? `closed ${code}${reason ? ` ${reason}` : ''}`;
    this.lastError = why;
    if (wasOpen) this.emit('disconnect', { connId: this.id, reason: why, topics: [...this.desired] });
    if (lived >= this.timing.stableAfterMs) this.attempt = 0;
    const delay = fullJitterDelay(this.attempt++, this.timing.backoffBaseMs, this.timing.backoffMaxMs, this.random);
    this.reconnects++;
    this.connState = 'reconnecting';
    this.rlog('warn', `ws-reconnect:${this.id}`, 'bybit websocket closed, reconnecting', { reason: why, code, delayMs: delay, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.lastError = null;
      this.connect();
    }, delay);
  }

  private clearTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    if (this.staleTimer) clearInterval(this.staleTimer);
    this.pingTimer = this.pongTimer = this.staleTimer = undefined;
  }

  private ping(): void {
    const ws = this.ws;
    if (ws === undefined || !this.isOpen()) return;
    ws.send(JSON.stringify({ req_id: `ping-${this.id}-${++this.reqSeq}`, op: 'ping' }));
    if (!this.pongTimer) {
      this.pongTimer = setTimeout(() => {
        this.pongTimer = undefined;
        this.kill(`no pong within ${this.timing.pongTimeoutMs} ms`);
      }, this.timing.pongTimeoutMs);
    }
  }

  private checkStale(): void {
    if (!this.isOpen() || this.desired.size === 0) return;
    const silent = this.now() - this.lastDataAt;
    if (silent > this.timing.staleTimeoutMs) this.kill(`no data for ${silent} ms`);
  }

  private handleFrame(raw: string): void {
    const recvTs = this.now();
    this.messages++;
    this.meter.mark(recvTs);
    this.lastMessageAt = recvTs;
    this.onRaw?.(raw, recvTs, this.id);
    const events = this.decode(raw, recvTs);
    let data = events.length === 0;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (isControlEvent(ev)) this.handleControl(ev);
      else {
        data = true;
        this.onData(ev, this.id);
      }
    }
    if (data) this.lastDataAt = recvTs;
  }

  private handleControl(ev: ControlEvent): void {
    if (ev.type === 'pong') {
      if (this.pongTimer) clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      return;
    }
    const req = ev.reqId !== undefined ? this.pending.get(ev.reqId) : undefined;
    if (ev.reqId !== undefined) this.pending.delete(ev.reqId);
    if (ev.op === 'unsubscribe') {
      if (!ev.success) this.logger.debug('bybit unsubscribe failed', { retMsg: ev.retMsg, args: req?.args });
      return;
    }
    if (!req) {
      if (!ev.success) this.rlog('warn', `ws-sub-unknown:${this.id}`, 'bybit subscribe failed for an unknown request', { retMsg: ev.retMsg, reqId: ev.reqId });
      return;
    }
    if (ev.success || /already subscribed/i.test(ev.retMsg)) {
      for (const t of req.args) {
        if (!this.desired.has(t)) continue;
        this.confirmed.add(t);
        this.retry.delete(t);
      }
      return;
    }
    const live = req.args.filter((t) => this.desired.has(t));
    if (live.length > 1) {
      // Which arg failed is not reliably stated: ask again one topic per request to find out.
      for (const t of live) this.send('subscribe', [t]);
      return;
    }
    for (const t of live) this.rejected(t, ev.retMsg);
  }

  private rejected(topic: string, retMsg: string): void {
    this.subscribeRejected++;
    const prev = this.retry.get(topic);
    const attempt = prev ? prev.attempt + 1 : 0;
    const delay = fullJitterDelay(attempt, this.timing.subscribeRetryBaseMs, this.timing.subscribeRetryMaxMs, this.random);
    this.retry.set(topic, { attempt, dueAt: this.now() + Math.max(delay, this.timing.subscribeRetryBaseMs / 2) });
    this.rlog('warn', `ws-sub-rejected:${this.id}`, 'bybit rejected a subscription, will retry', { topic, retMsg, attempt });
    this.emit('subscribe_rejected', { connId: this.id, topic, retMsg });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.retry.size === 0 || this.connState === 'closed') return;
    let next = Infinity;
    for (const r of this.retry.values()) next = Math.min(next, r.dueAt);
    if (next === Infinity) return; // all in flight: the answer reschedules
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        const now = this.now();
        const due: string[] = [];
        for (const [t, r] of this.retry) if (r.dueAt <= now && this.desired.has(t)) due.push(t);
        // Keep the attempt count (its backoff grows on the next rejection) but move the due time out of the way.
        for (const t of due) {
          const r = this.retry.get(t);
          if (r) r.dueAt = Infinity;
        }
        if (due.length) this.send('subscribe', due);
        this.scheduleRetry();
      },
      Math.max(0, next - this.now()),
    );
  }

  private send(op: 'subscribe' | 'unsubscribe', topics: readonly string[]): void {
    const ws = this.ws;
    if (ws === undefined || !this.isOpen()) return; // (re)subscribed from `desired` on the next open
    for (let i = 0; i < topics.length; i += MAX_ARGS_PER_REQUEST) {
      const args = topics.slice(i, i + MAX_ARGS_PER_REQUEST);
      const reqId = `${op === 'subscribe' ? 's' : 'u'}-${this.id}-${++this.reqSeq}`;
      this.pending.set(reqId, { op, args });
      // Bybit answers every request; this only bounds the map if a server does not.
      if (this.pending.size > MAX_PENDING_REQUESTS) this.pending.delete(this.pending.keys().next().value as string);
      ws.send(JSON.stringify({ req_id: reqId, op, args }));
    }
  }
}
