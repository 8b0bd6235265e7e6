import type { Timeframe } from '@confluence/contracts';
import { TICKER_FIELDS, type DataEvent, type TickerFields } from '../events';

/**
 * Data events in one flat Float64Array, for handing a batch from the intake thread to the main thread.
 *
 * Structured clone of event objects costs the receiving thread about as much as decoding the frames did (each object,
 * array and string is rebuilt field by field). A batch is a transferred buffer of numbers instead: the main thread
 * walks it and builds only the objects the store applies, with book levels as zero-copy views into the buffer.
 *
 * Layout per event: `code, symbol index, ts, recvTs`, then by code:
 * - book: `depth, u, seq, n bids, n asks, bids…, asks…` (flattened price/size pairs)
 * - trade: `price, size, flags, seq, id, tick direction` (strings as indexes into the batch's string list, −1 absent)
 * - ticker: `field mask, values…` (only the fields the message carried, in TICKER_FIELDS order)
 * - candle: `timeframe, start, end, open, high, low, close, volume, turnover, confirmed`
 * - liquidation: `price, size, side`
 * An absent optional number is NaN (the normalizer never emits NaN for a present one). Symbols are numbered once per
 * writer: a batch carries the names first seen in it, and the reader keeps the list.
 */
export interface EventBatch {
  readonly nums: Float64Array;
  readonly strings: readonly string[];
  /** Symbol names numbered in this batch, in order (index = previous count + position). */
  readonly symbols: readonly string[];
  readonly events: number;
}

const BOOK_SNAPSHOT = 1;
const BOOK_DELTA = 2;
const TRADE = 3;
const TICKER_SNAPSHOT = 4;
const TICKER_DELTA = 5;
const CANDLE = 6;
const LIQUIDATION = 7;

const TIMEFRAMES: readonly Timeframe[] = ['1m', '5m', '30m', '4h'];
const TIMEFRAME_CODE: Readonly<Record<Timeframe, number>> = { '1m': 0, '5m': 1, '30m': 2, '4h': 3 };

const BUY = 1;
const BLOCK_SET = 2;
const BLOCK = 4;
const RPI_SET = 8;
const RPI = 16;

const INITIAL_SLOTS = 1 << 14;

const opt = (v: number | undefined): number => (v === undefined ? Number.NaN : v);
const back = (v: number): number | undefined => (Number.isNaN(v) ? undefined : v);

/** Collects events into a batch; `take()` hands over what was pushed and starts the next one. */
export class EventBatchWriter {
  private nums = new Float64Array(INITIAL_SLOTS);
  private n = 0;
  private strings: string[] = [];
  private newSymbols: string[] = [];
  private readonly symbolIndex = new Map<string, number>();
  private readonly tickDirections = new Map<string, number>();
  private count = 0;

  /** Events pushed since the last take. */
  get size(): number {
    return this.count;
  }

  push(ev: DataEvent): void {
    const need =
      16 + (ev.type === 'book_snapshot' || ev.type === 'book_delta' ? ev.bids.length + ev.asks.length : ev.type === 'ticker' ? TICKER_FIELDS.length : 0);
    if (this.n + need > this.nums.length) this.grow(need);
    const a = this.nums;
    let i = this.n;
    a[i + 1] = this.symbol(ev.symbol);
    a[i + 2] = ev.ts;
    a[i + 3] = ev.recvTs;
    switch (ev.type) {
      case 'book_snapshot':
      case 'book_delta': {
        a[i] = ev.type === 'book_snapshot' ? BOOK_SNAPSHOT : BOOK_DELTA;
        a[i + 4] = ev.depth;
        a[i + 5] = ev.u;
        a[i + 6] = opt(ev.seq);
        a[i + 7] = ev.bids.length;
        a[i + 8] = ev.asks.length;
        i += 9;
        for (let k = 0; k < ev.bids.length; k++) a[i++] = ev.bids[k];
        for (let k = 0; k < ev.asks.length; k++) a[i++] = ev.asks[k];
        break;
      }
      case 'trade': {
        a[i] = TRADE;
        a[i + 4] = ev.price;
        a[i + 5] = ev.size;
        let flags = ev.side === 'Buy' ? BUY : 0;
        if (ev.blockTrade !== undefined) flags |= BLOCK_SET | (ev.blockTrade ? BLOCK : 0);
        if (ev.rpi !== undefined) flags |= RPI_SET | (ev.rpi ? RPI : 0);
        a[i + 6] = flags;
        a[i + 7] = opt(ev.seq);
        a[i + 8] = this.strings.push(ev.id) - 1;
        a[i + 9] = ev.tickDirection === undefined ? -1 : this.tickDirection(ev.tickDirection);
        i += 10;
        break;
      }
      case 'ticker': {
        a[i] = ev.kind === 'snapshot' ? TICKER_SNAPSHOT : TICKER_DELTA;
        const maskAt = i + 4;
        i += 5;
        let mask = 0;
        const f = ev.fields;
        for (let k = 0; k < TICKER_FIELDS.length; k++) {
          const v = f[TICKER_FIELDS[k]];
          if (v !== undefined) {
            mask |= 1 << k;
            a[i++] = v;
          }
        }
        a[maskAt] = mask;
        break;
      }
      case 'candle':
        a[i] = CANDLE;
        a[i + 4] = TIMEFRAME_CODE[ev.timeframe];
        a[i + 5] = ev.start;
        a[i + 6] = ev.end;
        a[i + 7] = ev.open;
        a[i + 8] = ev.high;
        a[i + 9] = ev.low;
        a[i + 10] = ev.close;
        a[i + 11] = ev.volume;
        a[i + 12] = ev.turnover;
        a[i + 13] = ev.confirmed ? 1 : 0;
        i += 14;
        break;
      case 'liquidation':
        a[i] = LIQUIDATION;
        a[i + 4] = ev.price;
        a[i + 5] = ev.size;
        a[i + 6] = ev.side === 'Buy' ? 1 : 0;
        i += 7;
        break;
    }
    this.n = i;
    this.count++;
  }

  /** The batch so far (its buffer is the caller's to transfer), or null when nothing was pushed. */
  take(): EventBatch | null {
    if (this.count === 0) return null;
    const batch: EventBatch = { nums: this.nums.slice(0, this.n), strings: this.strings, symbols: this.newSymbols, events: this.count };
    this.n = 0;
    this.count = 0;
    this.strings = [];
    this.newSymbols = [];
    this.tickDirections.clear();
    return batch;
  }

  private symbol(name: string): number {
    let k = this.symbolIndex.get(name);
    if (k === undefined) {
      k = this.symbolIndex.size;
      this.symbolIndex.set(name, k);
      this.newSymbols.push(name);
    }
    return k;
  }

  private tickDirection(s: string): number {
    let k = this.tickDirections.get(s);
    if (k === undefined) {
      k = this.strings.push(s) - 1;
      this.tickDirections.set(s, k);
    }
    return k;
  }

  private grow(need: number): void {
    const next = new Float64Array(Math.max(this.nums.length * 2, this.n + need));
    next.set(this.nums.subarray(0, this.n));
    this.nums = next;
  }
}

/**
 * Reads a batch written by an EventBatchWriter, calling `onEvent` for each event in order. `symbols` is the reader's
 * list of names (extended with the batch's new ones). Throws on a batch that does not parse (a bug, not market data).
 */
export function readEventBatch(batch: EventBatch, symbols: string[], onEvent: (ev: DataEvent) => void): void {
  for (const s of batch.symbols) symbols.push(s);
  const a = batch.nums;
  const strings = batch.strings;
  let i = 0;
  while (i < a.length) {
    const code = a[i];
    const symbol = symbols[a[i + 1]];
    const ts = a[i + 2];
    const recvTs = a[i + 3];
    if (symbol === undefined) throw new Error(`event batch: unknown symbol index ${a[i + 1]} at ${i}`);
    switch (code) {
      case BOOK_SNAPSHOT:
      case BOOK_DELTA: {
        const nb = a[i + 7];
        const na = a[i + 8];
        const at = i + 9;
        onEvent({
          type: code === BOOK_SNAPSHOT ? 'book_snapshot' : 'book_delta',
          symbol,
          depth: a[i + 4],
          ts,
          recvTs,
          bids: a.subarray(at, at + nb),
          asks: a.subarray(at + nb, at + nb + na),
          u: a[i + 5],
          seq: back(a[i + 6]),
        });
        i = at + nb + na;
        break;
      }
      case TRADE: {
        const flags = a[i + 6];
        const tick = a[i + 9];
        onEvent({
          type: 'trade',
          symbol,
          ts,
          recvTs,
          price: a[i + 4],
          size: a[i + 5],
          side: flags & BUY ? 'Buy' : 'Sell',
          id: strings[a[i + 8]] ?? '',
          blockTrade: flags & BLOCK_SET ? (flags & BLOCK) !== 0 : undefined,
          rpi: flags & RPI_SET ? (flags & RPI) !== 0 : undefined,
          seq: back(a[i + 7]),
          tickDirection: tick < 0 ? undefined : strings[tick],
        });
        i += 10;
        break;
      }
      case TICKER_SNAPSHOT:
      case TICKER_DELTA: {
        const mask = a[i + 4];
        i += 5;
        const fields: TickerFields = {};
        for (let k = 0; k < TICKER_FIELDS.length; k++) if (mask & (1 << k)) fields[TICKER_FIELDS[k]] = a[i++];
        onEvent({ type: 'ticker', symbol, kind: code === TICKER_SNAPSHOT ? 'snapshot' : 'delta', ts, recvTs, fields });
        break;
      }
      case CANDLE: {
        const timeframe = TIMEFRAMES[a[i + 4]];
        if (timeframe === undefined) throw new Error(`event batch: unknown timeframe code ${a[i + 4]} at ${i}`);
        onEvent({
          type: 'candle',
          symbol,
          timeframe,
          ts,
          recvTs,
          start: a[i + 5],
          end: a[i + 6],
          open: a[i + 7],
          high: a[i + 8],
          low: a[i + 9],
          close: a[i + 10],
          volume: a[i + 11],
          turnover: a[i + 12],
          confirmed: a[i + 13] === 1,
        });
        i += 14;
        break;
      }
      case LIQUIDATION:
        onEvent({ type: 'liquidation', symbol, ts, recvTs, price: a[i + 4], size: a[i + 5], side: a[i + 6] === 1 ? 'Buy' : 'Sell' });
        i += 7;
        break;
      default:
        throw new Error(`event batch: unknown event code ${code} at ${i}`);
    }
  }
}
