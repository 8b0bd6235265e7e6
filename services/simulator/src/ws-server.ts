// The public linear WebSocket endpoint: subscribe/unsubscribe/ping as Bybit answers them, the
// 21,000-character args budget per connection, idle closing, slow-consumer protection, and the
// transport-level faults (drop, stalled pongs, malformed frames).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_ARGS_CHARS_PER_CONNECTION, parseTopic, topicErrorMessage, WS_PATH, type Topic } from '@confluence/bybit-wire';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { FaultState } from './faults';
import type { Market } from './market';
import type { Publisher, Subscriber } from './publisher';
import { hashString } from './rng';
import type { CommandAnswer } from './encoder';

export { WS_PATH };
/** Bybit's cap on the total length of one public connection's subscribed args. */
export const MAX_ARGS_CHARS = MAX_ARGS_CHARS_PER_CONNECTION;

export interface WsCounters {
  connectionsTotal: number;
  pings: number;
  pongs: number;
  pongsWithheld: number;
  subscribeRequests: number;
  rejectedRequests: number;
  idleClosed: number;
  slowConsumersClosed: number;
  /** WebSocket upgrade requests received (connection attempts), refused ones included. */
  upgradeRequests: number;
  /** Upgrades refused during an outage. */
  upgradesRefused: number;
}

export interface WsGatewayOptions {
  readonly idleTimeoutMs: number;
  /** A client whose unsent backlog exceeds this is considered stuck and disconnected. */
  readonly maxBufferedBytes: number;
}

class Connection implements Subscriber {
  readonly id = randomUUID();
  readonly topics = new Map<string, Topic>();
  argsChars = 0;
  lastPingAt: number;

  constructor(
    readonly ws: WebSocket,
    private readonly maxBuffered: number,
    private readonly onSlow: (c: Connection) => void,
    now: number,
  ) {
    this.lastPingAt = now;
  }

  send(frame: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount + frame.length > this.maxBuffered) {
      this.onSlow(this);
      return;
    }
    this.ws.send(frame);
  }
}

export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Connection>();
  readonly counters: WsCounters = {
    connectionsTotal: 0,
    pings: 0,
    pongs: 0,
    pongsWithheld: 0,
    subscribeRequests: 0,
    rejectedRequests: 0,
    idleClosed: 0,
    slowConsumersClosed: 0,
    upgradeRequests: 0,
    upgradesRefused: 0,
  };

  constructor(
    private readonly market: Market,
    private readonly publisher: Publisher,
    private readonly faults: FaultState,
    private readonly simNow: () => number,
    private readonly opts: WsGatewayOptions,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  }

  get openConnections(): number {
    return this.conns.size;
  }

  /** Hands an HTTP upgrade to the WebSocket server when it targets the public linear path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.counters.upgradeRequests++;
    if (this.faults.wsOutageActive(Date.now())) {
      this.counters.upgradesRefused++;
      if (this.faults.wsOutageStatus === 403) {
        const body = '<HTML><HEAD><TITLE>403 Forbidden</TITLE></HEAD><BODY><H1>403 ERROR</H1>The request could not be satisfied.</BODY></HTML>';
        socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      } else socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const conn = new Connection(ws, this.opts.maxBufferedBytes, (c) => this.closeSlow(c), Date.now());
    this.conns.add(conn);
    this.counters.connectionsTotal++;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    ws.on('close', () => this.forget(conn));
    // Socket errors (resets from killed clients) end in 'close'; nothing else to do here.
    ws.on('error', () => undefined);
  }

  private forget(conn: Connection): void {
    if (!this.conns.delete(conn)) return;
    for (const topic of conn.topics.values()) this.publisher.unsubscribe(conn, topic);
    conn.topics.clear();
  }

  private closeSlow(conn: Connection): void {
    this.counters.slowConsumersClosed++;
    conn.ws.terminate();
    this.forget(conn);
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    let request: unknown;
    try {
      request = JSON.parse(isBinary ? '' : rawToString(data));
    } catch {
      this.answer(conn, false, 'error:request is not valid JSON', '', '');
      return;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      this.answer(conn, false, 'error:request must be a JSON object', '', '');
      return;
    }
    const r = request as Record<string, unknown>;
    const reqId = typeof r.req_id === 'string' ? r.req_id : typeof r.req_id === 'number' ? String(r.req_id) : '';
    const op = typeof r.op === 'string' ? r.op : '';
    switch (op) {
      case 'ping':
        this.onPing(conn, reqId);
        return;
      case 'subscribe':
      case 'unsubscribe': {
        const args = r.args;
        if (!Array.isArray(args) || !args.every((a): a is string => typeof a === 'string')) {
          this.answer(conn, false, 'error:args must be an array of topic strings', reqId, op);
          return;
        }
        if (op === 'subscribe') this.onSubscribe(conn, args, reqId);
        else this.onUnsubscribe(conn, args, reqId);
        return;
      }
      default:
        this.answer(conn, false, `error:unsupported op:${op}`, reqId, op);
    }
  }

  private onPing(conn: Connection, reqId: string): void {
    const now = Date.now();
    conn.lastPingAt = now;
    this.counters.pings++;
    if (now < this.faults.stallPongsUntil) {
      this.counters.pongsWithheld++;
      return;
    }
    this.counters.pongs++;
    this.answer(conn, true, 'pong', reqId, 'ping');
  }

  private onSubscribe(conn: Connection, args: readonly string[], reqId: string): void {
    this.counters.subscribeRequests++;
    const fail = (msg: string): void => {
      this.counters.rejectedRequests++;
      this.answer(conn, false, msg, reqId, 'subscribe');
    };
    // All or nothing: a failed request subscribes none of its topics, so a client can retry it whole.
    const rejected = args.filter((a) => this.faults.isRejected(a));
    if (rejected.length > 0) {
      this.faults.count('reject');
      fail(`error:topic rejected by exchange,topic:${rejected.join(',')}`);
      return;
    }
    // The budget is on raw args, checked before topics are even parsed.
    const chars = args.reduce((n, a) => n + a.length, 0);
    if (conn.argsChars + chars > MAX_ARGS_CHARS) {
      fail(`error:args length ${conn.argsChars + chars} exceeds the ${MAX_ARGS_CHARS} character limit of one connection`);
      return;
    }
    const topics: Topic[] = [];
    const errors: string[] = [];
    const seen = new Set<string>();
    for (const name of args) {
      const parsed = parseTopic(name, (s) => this.market.has(s));
      if (!parsed.ok) errors.push(topicErrorMessage(name, parsed.reason));
      else if (conn.topics.has(name) || seen.has(name)) errors.push(`error:already subscribed,topic:${name}`);
      else topics.push(parsed.topic);
      seen.add(name);
    }
    if (errors.length > 0) {
      fail(errors.join(';'));
      return;
    }
    conn.argsChars += chars;
    const before: string[] = [];
    const after: string[] = [];
    const now = this.simNow();
    for (const topic of topics) {
      conn.topics.set(topic.name, topic);
      const frames = this.publisher.subscribe(conn, topic, now);
      // Real Bybit sometimes delivers the first snapshot ahead of the subscribe answer.
      (snapshotFirst(topic.symbol) ? before : after).push(...frames);
    }
    for (const f of before) conn.send(f);
    this.answer(conn, true, '', reqId, 'subscribe');
    for (const f of after) conn.send(f);
  }

  private onUnsubscribe(conn: Connection, args: readonly string[], reqId: string): void {
    const errors: string[] = [];
    const topics: Topic[] = [];
    for (const name of args) {
      const parsed = parseTopic(name, (s) => this.market.has(s));
      if (!parsed.ok) errors.push(topicErrorMessage(name, parsed.reason));
      else topics.push(parsed.topic);
    }
    if (errors.length > 0) {
      this.answer(conn, false, errors.join(';'), reqId, 'unsubscribe');
      return;
    }
    for (const topic of topics) {
      if (!conn.topics.delete(topic.name)) continue;
      conn.argsChars -= topic.name.length;
      this.publisher.unsubscribe(conn, topic);
    }
    this.answer(conn, true, '', reqId, 'unsubscribe');
  }

  private answer(conn: Connection, success: boolean, retMsg: string, reqId: string, op: string): void {
    const a: CommandAnswer = { success, ret_msg: retMsg, conn_id: conn.id, req_id: reqId, op };
    conn.send(JSON.stringify(a));
  }

  /** Closes connections that have not pinged within the idle timeout (wall clock). */
  sweepIdle(now: number): void {
    for (const conn of this.conns) {
      if (now - conn.lastPingAt > this.opts.idleTimeoutMs) {
        this.counters.idleClosed++;
        conn.ws.close(1000, 'no ping received');
        this.forget(conn);
      }
    }
  }

  /** Abrupt loss of every connection (no close handshake). */
  dropAll(): number {
    const n = this.conns.size;
    for (const conn of [...this.conns]) {
      conn.ws.terminate();
      this.forget(conn);
    }
    return n;
  }

  /** Sends `count` bad frames to every connection, cycling through the kinds of breakage. */
  sendMalformed(count: number): number {
    let sent = 0;
    for (const conn of this.conns) {
      for (let i = 0; i < count; i++) {
        conn.send(malformedFrame(i, conn, this.simNow()));
        sent++;
      }
    }
    return sent;
  }

  async close(): Promise<void> {
    for (const conn of [...this.conns]) {
      conn.ws.terminate();
      this.forget(conn);
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

export function snapshotFirst(symbol: string): boolean {
  return hashString(symbol) % 3 === 0;
}

export const MALFORMED_KINDS = ['invalid-json', 'missing-fields', 'wrong-types', 'unknown-topic', 'unknown-op', 'not-json'] as const;

function malformedFrame(i: number, conn: Connection, now: number): string {
  const topic = conn.topics.keys().next().value ?? 'orderbook.50.BTCUSDT';
  const bookTopic = [...conn.topics.keys()].find((t) => t.startsWith('orderbook.')) ?? topic;
  switch (MALFORMED_KINDS[i % MALFORMED_KINDS.length]) {
    case 'invalid-json':
      return `{"topic":"${topic}","type":"delta","ts":${now},"data":{"s":"BT`;
    case 'missing-fields':
      return JSON.stringify({ topic, type: 'delta' });
    case 'wrong-types':
      return JSON.stringify({ topic: bookTopic, type: 'delta', ts: 'soon', data: { s: 42, b: 'none', a: null, u: 'x', seq: -1 } });
    case 'unknown-topic':
      return JSON.stringify({ topic: 'mystery.BTCUSDT', type: 'snapshot', ts: now, data: {} });
    case 'unknown-op':
      return JSON.stringify({ success: true, ret_msg: '', conn_id: conn.id, req_id: '', op: 'frobnicate' });
    default:
      return 'this is not json';
  }
}
