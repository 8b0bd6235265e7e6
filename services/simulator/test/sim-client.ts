// Test helpers for the simulator: a WebSocket client that records every frame and waits for
// conditions with a deadline (never sleep-and-hope), plus small REST helpers.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

interface Waiter {
  readonly pred: (f: Frame) => boolean;
  readonly resolve: (f: Frame) => void;
}

export class SimWsClient {
  /** Parsed frames in arrival order; frames that are not JSON objects are kept as { raw }. */
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number }>;
  private waiters: Waiter[] = [];
  private reqSeq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      let frame: Frame;
      try {
        const parsed: unknown = JSON.parse(text);
        frame = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Frame) : { raw: text };
      } catch {
        frame = { raw: text };
      }
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  static connect(url: string): Promise<SimWsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new SimWsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Sends a subscribe/unsubscribe/ping and resolves with its answer (matched by req_id). */
  async request(op: string, args?: string[]): Promise<Frame> {
    const reqId = `t${++this.reqSeq}`;
    const answer = this.waitFor((f) => f.req_id === reqId && f.op === (op === 'ping' ? 'ping' : op));
    this.send(args === undefined ? { op, req_id: reqId } : { op, args, req_id: reqId });
    return answer;
  }

  /** First frame (already received or future) matching pred; rejects after the deadline. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 3000, since = 0): Promise<Frame> {
    const found = this.frames.slice(since).find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms (received ${this.frames.length})`));
      }, timeoutMs);
      const waiter: Waiter = {
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.waiters.push(waiter);
    });
  }

  topicFrames(topic: string): Frame[] {
    return this.frames.filter((f) => f.topic === topic);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }
}

export interface Envelope<T = Record<string, unknown>> {
  retCode: number;
  retMsg: string;
  result: T;
  retExtInfo: Record<string, unknown>;
  time: number;
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 3000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Applies Bybit book frames (snapshot replaces, delta merges; size "0" deletes). */
export class BookReplica {
  readonly bids = new Map<string, string>();
  readonly asks = new Map<string, string>();
  u = 0;

  apply(frame: Frame): void {
    const data = frame.data as { b: [string, string][]; a: [string, string][]; u: number };
    if (frame.type === 'snapshot') {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [p, s] of data.b) {
      if (s === '0') this.bids.delete(p);
      else this.bids.set(p, s);
    }
    for (const [p, s] of data.a) {
      if (s === '0') this.asks.delete(p);
      else this.asks.set(p, s);
    }
    this.u = data.u;
  }

  bestBid(): number {
    return Math.max(...[...this.bids.keys()].map(Number));
  }

  bestAsk(): number {
    return Math.min(...[...this.asks.keys()].map(Number));
  }
}
