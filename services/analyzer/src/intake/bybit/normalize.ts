import { createRateLimitedLog, silentLogger, type Logger, errorMessage } from '@confluence/logger';
import {
  INTERVAL_TO_TIMEFRAME,
  TICKER_FIELDS,
  type BookDeltaEvent,
  type BookSnapshotEvent,
  type CandleEvent,
  type LiquidationEvent,
  type MarketEvent,
  type TickerFields,
  type TradeEvent,
} from '../events';
import { FastScanner } from './fast-scan';

/**
 * Raw Bybit frame → zero or more normalized events (tardis-node's mapper idea: route on the topic prefix, yield records).
 * Hand-written guards instead of zod: this is the hot path. Nothing is thrown past `normalize`: a bad frame is counted
 * under a reason and logged at most once per interval per reason. A message is applied atomically: if any field of it is
 * bad, none of its records are emitted (a dropped book delta then shows up as a `u` gap and triggers a resync).
 * Book, trade and ticker frames first go through the exact scanner of fast-scan.ts, which skips JSON.parse and declines
 * any frame it is not sure of; the validators here stay the definition of what a frame means.
 */

export const MALFORMED_REASONS = [
  'invalid_json',
  'not_object',
  'unknown_topic',
  'unknown_op',
  'unknown_message',
  'missing_field',
  'bad_number',
  'bad_type',
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

/** Message families counted in `byTopic`; anything else is counted as `other`. */
export const TOPIC_FAMILIES = ['orderbook', 'publicTrade', 'tickers', 'kline', 'allLiquidation', 'liquidation', 'control', 'other'] as const;

export interface NormalizerCounters {
  /** Frames seen, valid or not. */
  messages: number;
  /** Frames per topic family (valid or not). */
  readonly byTopic: Record<string, number>;
  readonly malformed: Record<MalformedReason, number>;
  /** Frames handled by the fast scanner (a subset of `messages`; the rest went through JSON.parse). */
  fastDecoded: number;
  /** Frames on which the fast scanner threw (a bug: each was decoded by the general path instead). */
  fastDecodeErrors: number;
}

export interface Normalizer {
  /** Returns the events of one frame (a new array). */
  normalize(raw: string | Buffer, recvTs: number): MarketEvent[];
  /** Pushes the events of one frame onto `out`; returns how many were pushed. */
  normalizeInto(raw: string | Buffer, recvTs: number, out: MarketEvent[]): number;
  readonly counters: NormalizerCounters;
}

export interface NormalizerOptions {
  logger?: Logger;
  /** Minimum time between two log lines of the same reason. */
  logIntervalMs?: number;
  now?: () => number;
  /**
   * Try the exact fast scanner (fast-scan.ts) before JSON.parse for book, trade and ticker frames (default true).
   * It yields the same events and counters either way; false is for tests comparing the two paths.
   */
  fastPath?: boolean;
}

class Malformed {
  constructor(
    readonly reason: MalformedReason,
    readonly detail: string,
  ) {}
}

/** Parses a wire number (a string, or a JSON number for ts-like fields) once; NaN for anything unusable. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.length > 0) return Number(v);
  return NaN;
}

function reqNum(v: unknown, field: string): number {
  if (v === undefined || v === null) throw new Malformed('missing_field', field);
  const n = num(v);
  if (!Number.isFinite(n)) throw new Malformed('bad_number', field);
  return n;
}

function reqSide(v: unknown, field: string): 'Buy' | 'Sell' {
  if (v === 'Buy' || v === 'Sell') return v;
  if (v === undefined) throw new Malformed('missing_field', field);
  throw new Malformed('bad_type', field);
}

/** An optional boolean flag (`BT`, `RPI`): absent → undefined; anything but a boolean is malformed. */
function optFlag(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  throw new Malformed('bad_type', field);
}

function optInt(v: unknown): number | undefined {
  const n = num(v);
  return Number.isFinite(n) ? n : undefined;
}

function reqArray(v: unknown, field: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) throw new Malformed('missing_field', field);
  throw new Malformed('bad_type', field);
}

function reqObject(v: unknown, field: string): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (v === undefined || v === null) throw new Malformed('missing_field', field);
  throw new Malformed('bad_type', field);
}

function reqType(v: unknown): 'snapshot' | 'delta' {
  if (v === 'snapshot' || v === 'delta') return v;
  if (v === undefined) throw new Malformed('missing_field', 'type');
  throw new Malformed('bad_type', 'type');
}

/** Flattens `[[price, size], …]`; prices must be > 0, sizes ≥ 0. */
function levels(v: unknown, field: string): number[] {
  const arr = reqArray(v, field);
  const out = new Array<number>(arr.length * 2);
  for (let i = 0, j = 0; i < arr.length; i++, j += 2) {
    const lv = arr[i];
    if (!Array.isArray(lv) || lv.length < 2) throw new Malformed('bad_type', field);
    const p = num(lv[0]);
    const s = num(lv[1]);
    if (!(p > 0) || !Number.isFinite(p) || !(s >= 0) || !Number.isFinite(s)) throw new Malformed('bad_number', field);
    out[j] = p;
    out[j + 1] = s;
  }
  return out;
}

function family(prefix: string): string {
  switch (prefix) {
    case 'orderbook':
    case 'publicTrade':
    case 'tickers':
    case 'kline':
    case 'allLiquidation':
    case 'liquidation':
      return prefix;
    default:
      return 'other';
  }
}

export function createNormalizer(options: NormalizerOptions = {}): Normalizer {
  const log = createRateLimitedLog(options.logger ?? silentLogger(), options.logIntervalMs ?? 10_000, options.now);
  const byTopic: Record<string, number> = {};
  for (const f of TOPIC_FAMILIES) byTopic[f] = 0;
  const malformed = {} as Record<MalformedReason, number>;
  for (const r of MALFORMED_REASONS) malformed[r] = 0;
  const counters: NormalizerCounters = { messages: 0, byTopic, malformed, fastDecoded: 0, fastDecodeErrors: 0 };
  const scanner = options.fastPath === false ? undefined : new FastScanner();

  function bad(reason: MalformedReason, detail: string, text: string): void {
    malformed[reason]++;
    log('warn', `malformed:${reason}`, 'malformed market message dropped', { reason, detail, sample: text.slice(0, 200) });
  }

  function book(msg: Record<string, unknown>, symbol: string, depth: number, recvTs: number, out: MarketEvent[]): void {
    const type = reqType(msg.type);
    const ts = reqNum(msg.ts, 'ts');
    const data = reqObject(msg.data, 'data');
    const u = reqNum(data.u, 'data.u');
    const bids = levels(data.b, 'data.b');
    const asks = levels(data.a, 'data.a');
    const seqRaw = data.seq;
    const seq = seqRaw === undefined ? undefined : num(seqRaw);
    const ev: BookSnapshotEvent | BookDeltaEvent = {
      type: type === 'snapshot' ? 'book_snapshot' : 'book_delta',
      symbol,
      depth,
      ts,
      recvTs,
      bids,
      asks,
      u,
      seq: seq !== undefined && Number.isFinite(seq) ? seq : undefined,
    };
    out.push(ev);
  }

  function trades(msg: Record<string, unknown>, symbol: string, recvTs: number, out: MarketEvent[]): void {
    const data = reqArray(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const t = reqObject(data[i], 'data[]');
      const size = reqNum(t.v, 'v');
      const price = reqNum(t.p, 'p');
      if (!(price > 0) || !(size >= 0)) throw new Malformed('bad_number', 'p/v');
      const id = t.i;
      const ev: TradeEvent = {
        type: 'trade',
        symbol,
        ts: reqNum(t.T, 'T'),
        recvTs,
        price,
        size,
        side: reqSide(t.S, 'S'),
        id: typeof id === 'string' ? id : id === undefined ? '' : String(id),
        blockTrade: optFlag(t.BT, 'BT'),
        rpi: optFlag(t.RPI, 'RPI'),
        seq: optInt(t.seq),
        tickDirection: typeof t.L === 'string' && t.L !== '' ? t.L : undefined,
      };
      out.push(ev);
    }
  }

  function liquidations(msg: Record<string, unknown>, symbol: string, recvTs: number, out: MarketEvent[]): void {
    const data = reqArray(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const t = reqObject(data[i], 'data[]');
      const ev: LiquidationEvent = {
        type: 'liquidation',
        symbol,
        ts: reqNum(t.T, 'T'),
        recvTs,
        price: reqNum(t.p, 'p'),
        size: reqNum(t.v, 'v'),
        side: reqSide(t.S, 'S'),
      };
      out.push(ev);
    }
  }

  function legacyLiquidation(msg: Record<string, unknown>, symbol: string, recvTs: number, out: MarketEvent[]): void {
    const d = reqObject(msg.data, 'data');
    const ev: LiquidationEvent = {
      type: 'liquidation',
      symbol,
      ts: reqNum(d.updatedTime, 'updatedTime'),
      recvTs,
      price: reqNum(d.price, 'price'),
      size: reqNum(d.size, 'size'),
      side: reqSide(d.side, 'side'),
    };
    out.push(ev);
  }

  function ticker(msg: Record<string, unknown>, symbol: string, recvTs: number, out: MarketEvent[]): void {
    // Some ticker pushes (options) carry no `type`; they are complete, i.e. snapshots.
    const kind = msg.type === undefined ? 'snapshot' : reqType(msg.type);
    const ts = reqNum(msg.ts, 'ts');
    const d = reqObject(msg.data, 'data');
    const fields: TickerFields = {};
    for (let i = 0; i < TICKER_FIELDS.length; i++) {
      const name = TICKER_FIELDS[i];
      const v = d[name];
      // "" is how Bybit says "not applicable" (e.g. funding on dated futures): treat it as absent.
      if (v === undefined || v === null || v === '') continue;
      const n = num(v);
      if (!Number.isFinite(n)) throw new Malformed('bad_number', name);
      fields[name] = n;
    }
    out.push({ type: 'ticker', symbol, kind, ts, recvTs, fields });
  }

  function klines(msg: Record<string, unknown>, symbol: string, interval: string, recvTs: number, out: MarketEvent[]): void {
    const timeframe = INTERVAL_TO_TIMEFRAME[interval];
    if (timeframe === undefined) throw new Malformed('unknown_topic', `kline interval ${interval}`);
    const ts = reqNum(msg.ts, 'ts');
    const data = reqArray(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const k = reqObject(data[i], 'data[]');
      const confirm = k.confirm;
      if (typeof confirm !== 'boolean') throw new Malformed(confirm === undefined ? 'missing_field' : 'bad_type', 'confirm');
      const ev: CandleEvent = {
        type: 'candle',
        symbol,
        timeframe,
        ts,
        recvTs,
        start: reqNum(k.start, 'start'),
        end: reqNum(k.end, 'end'),
        open: reqNum(k.open, 'open'),
        high: reqNum(k.high, 'high'),
        low: reqNum(k.low, 'low'),
        close: reqNum(k.close, 'close'),
        volume: reqNum(k.volume, 'volume'),
        turnover: reqNum(k.turnover, 'turnover'),
        confirmed: confirm,
      };
      out.push(ev);
    }
  }

  function control(msg: Record<string, unknown>, op: string, recvTs: number, out: MarketEvent[]): void {
    byTopic.control++;
    const reqId = typeof msg.req_id === 'string' ? msg.req_id : undefined;
    const retMsg = typeof msg.ret_msg === 'string' ? msg.ret_msg : '';
    if (op === 'pong' || (op === 'ping' && (retMsg === 'pong' || msg.success === true))) {
      out.push({ type: 'pong', reqId, recvTs });
      return;
    }
    if (op === 'subscribe' || op === 'unsubscribe') {
      if (typeof msg.success !== 'boolean') throw new Malformed('missing_field', 'success');
      out.push({
        type: 'subscribe_ack',
        op,
        success: msg.success,
        retMsg,
        reqId,
        connId: typeof msg.conn_id === 'string' ? msg.conn_id : undefined,
        recvTs,
      });
      return;
    }
    throw new Malformed('unknown_op', op);
  }

  function dispatch(msg: Record<string, unknown>, recvTs: number, out: MarketEvent[]): void {
    const topic = msg.topic;
    if (typeof topic !== 'string') {
      const op = msg.op;
      if (typeof op === 'string') {
        control(msg, op, recvTs, out);
        return;
      }
      byTopic.other++;
      throw new Malformed('unknown_message', 'no topic or op');
    }
    const dot = topic.indexOf('.');
    const last = topic.lastIndexOf('.');
    const prefix = dot < 0 ? topic : topic.slice(0, dot);
    byTopic[family(prefix)]++;
    if (dot < 0 || last === topic.length - 1) throw new Malformed('unknown_topic', topic);
    const symbol = topic.slice(last + 1);
    switch (prefix) {
      case 'orderbook': {
        if (last === dot) throw new Malformed('unknown_topic', topic);
        const depth = Number(topic.slice(dot + 1, last));
        if (!Number.isInteger(depth) || depth <= 0) throw new Malformed('unknown_topic', topic);
        book(msg, symbol, depth, recvTs, out);
        return;
      }
      case 'publicTrade':
        if (last !== dot) throw new Malformed('unknown_topic', topic);
        trades(msg, symbol, recvTs, out);
        return;
      case 'tickers':
        if (last !== dot) throw new Malformed('unknown_topic', topic);
        ticker(msg, symbol, recvTs, out);
        return;
      case 'kline':
        if (last === dot) throw new Malformed('unknown_topic', topic);
        klines(msg, symbol, topic.slice(dot + 1, last), recvTs, out);
        return;
      case 'allLiquidation':
        liquidations(msg, symbol, recvTs, out);
        return;
      case 'liquidation':
        legacyLiquidation(msg, symbol, recvTs, out);
        return;
      default:
        throw new Malformed('unknown_topic', topic);
    }
  }

  function normalizeInto(raw: string | Buffer, recvTs: number, out: MarketEvent[]): number {
    counters.messages++;
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    if (scanner !== undefined) {
      const before = out.length;
      let family: ReturnType<FastScanner['scan']>;
      try {
        family = scanner.scan(text, recvTs, out);
      } catch (err) {
        // A scanner bug must cost neither the frame nor the connection: drop what it pushed, let the general path decide.
        out.length = before;
        family = undefined;
        counters.fastDecodeErrors++;
        log('error', 'fast-scan', 'fast scanner failed; frame decoded by the general path', { error: errorMessage(err), sample: text.slice(0, 200) });
      }
      if (family !== undefined) {
        byTopic[family]++;
        counters.fastDecoded++;
        return out.length - before;
      }
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      bad('invalid_json', 'JSON.parse failed', text);
      return 0;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      bad('not_object', typeof msg, text);
      return 0;
    }
    const before = out.length;
    try {
      dispatch(msg as Record<string, unknown>, recvTs, out);
    } catch (err) {
      out.length = before;
      if (err instanceof Malformed) bad(err.reason, err.detail, text);
      else bad('bad_type', errorMessage(err), text);
      return 0;
    }
    return out.length - before;
  }

  return {
    counters,
    normalizeInto,
    normalize(raw, recvTs) {
      const out: MarketEvent[] = [];
      normalizeInto(raw, recvTs, out);
      return out;
    },
  };
}
