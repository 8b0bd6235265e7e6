import fs from 'node:fs';
import { syntheticFrames } from '@confluence/testkit';
import { EventBatchWriter, readEventBatch, type EventBatch } from '../../src/intake/bybit/event-batch';
import { createNormalizer } from '../../src/intake/bybit/normalize';
import { isControlEvent, type DataEvent } from '../../src/intake/events';
import { FIXTURES_DIR, fixtureLines } from './fixtures';

const RECV = 1_700_000_000_123;

/** Every data event the normalizer makes of every WebSocket fixture, plus a synthetic stream of all topics. */
function corpus(): DataEvent[] {
  const n = createNormalizer();
  const frames = fs
    .readdirSync(FIXTURES_DIR)
    .filter((f) => f.startsWith('ws_'))
    .flatMap((f) => fixtureLines(f));
  frames.push(...syntheticFrames({ symbols: ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'], count: 3_000, startTs: RECV, stepMs: 5, seed: 4 }));
  const events = frames.flatMap((f, i) => n.normalize(f, RECV + i)).filter((ev): ev is DataEvent => !isControlEvent(ev));
  // Trades with the optional fields absent, and with a block / RPI flag set.
  const base = { type: 'trade', symbol: 'AAAUSDT', ts: RECV, recvTs: RECV, price: 1.5, size: 2, side: 'Sell', id: 'x' } as const;
  events.push({ ...base }, { ...base, blockTrade: true, rpi: false, seq: 7, tickDirection: 'MinusTick' }, { ...base, side: 'Buy', rpi: true });
  // A book without a cross sequence, and one whose delta empties a side.
  events.push({ type: 'book_delta', symbol: 'AAAUSDT', depth: 50, ts: RECV, recvTs: RECV, bids: [1.5, 0], asks: [], u: 9, seq: undefined });
  return events;
}

/** An event as plain data: book levels as arrays (the reader hands out views into the batch buffer). */
function plain(ev: DataEvent): unknown {
  return ev.type === 'book_snapshot' || ev.type === 'book_delta' ? { ...ev, bids: Array.from(ev.bids), asks: Array.from(ev.asks) } : ev;
}

/** The batches through a structured clone with the buffer transferred, as postMessage hands them over. */
function handOver(batch: EventBatch): EventBatch {
  return structuredClone(batch, { transfer: [batch.nums.buffer as ArrayBuffer] });
}

describe('event batches between the intake thread and the main thread', () => {
  test('when every fixture and synthetic event is written and read back in batches, then each is exactly what the normalizer made, in order', () => {
    const events = corpus();
    const kinds = new Set(events.map((e) => (e.type === 'ticker' ? `ticker_${e.kind}` : e.type)));
    // The corpus covers every kind of data event the store applies.
    expect([...kinds].sort()).toEqual(['book_delta', 'book_snapshot', 'candle', 'liquidation', 'ticker_delta', 'ticker_snapshot', 'trade']);
    const writer = new EventBatchWriter();
    const names: string[] = [];
    const out: DataEvent[] = [];
    // Uneven batch sizes: symbols numbered in one batch are used in later ones.
    for (let i = 0; i < events.length; i++) {
      writer.push(events[i]);
      if (i % 97 === 0 || i === events.length - 1) {
        const batch = writer.take();
        if (batch) readEventBatch(handOver(batch), names, (ev) => out.push(ev));
      }
    }
    expect(out.length).toBe(events.length);
    for (let i = 0; i < events.length; i++) expect(plain(out[i])).toEqual(plain(events[i]));
    // toEqual does not tell an absent flag from false: check the optional trade fields one by one.
    const trades = events.filter((e) => e.type === 'trade');
    const back = out.filter((e) => e.type === 'trade');
    expect(back.map((t) => [t.blockTrade, t.rpi, t.seq, t.tickDirection])).toEqual(trades.map((t) => [t.blockTrade, t.rpi, t.seq, t.tickDirection]));
    expect(new Set(names).size).toBe(names.length);
  });

  test('when a ticker delta carries a few fields, then exactly those come back (no field is invented as 0 or NaN)', () => {
    const writer = new EventBatchWriter();
    const ev: DataEvent = {
      type: 'ticker',
      symbol: 'AAAUSDT',
      kind: 'delta',
      ts: 5,
      recvTs: 6,
      fields: { markPrice: 10.5, fundingRate: -0.0001, ask1Size: 0 },
    };
    writer.push(ev);
    const got: DataEvent[] = [];
    readEventBatch(writer.take()!, [], (e) => got.push(e));
    expect(got).toEqual([ev]);
    expect(Object.keys((got[0] as Extract<DataEvent, { type: 'ticker' }>).fields).sort()).toEqual(['ask1Size', 'fundingRate', 'markPrice']);
  });

  test('when nothing was pushed, then there is no batch; a batch that does not parse is refused with a reason', () => {
    const writer = new EventBatchWriter();
    expect(writer.take()).toBeNull();
    const bad: EventBatch = { nums: new Float64Array([42, 0, 1, 2]), strings: [], symbols: ['AAAUSDT'], events: 1 };
    expect(() => readEventBatch(bad, [], () => undefined)).toThrow(/unknown event code 42/);
    const noSymbol: EventBatch = { nums: new Float64Array([7, 3, 1, 2, 10, 1, 1]), strings: [], symbols: [], events: 1 };
    expect(() => readEventBatch(noSymbol, [], () => undefined)).toThrow(/unknown symbol index 3/);
  });
});
