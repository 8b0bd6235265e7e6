import fc from 'fast-check';
import { createNormalizer } from '../../src/intake/bybit/normalize';
import type { BookDeltaEvent, BookSnapshotEvent } from '../../src/intake/events';
import { OrderBook } from '../../src/state/order-book';
import { MarketStore } from '../../src/state/market-store';
import { fixtureLines } from '../intake/fixtures';

type BookEvent = BookSnapshotEvent | BookDeltaEvent;

function xrpEvents(): BookEvent[] {
  const n = createNormalizer();
  return fixtureLines('ws_orderbook.500.XRPUSDT.2024-12-01.jsonl').flatMap((l) => n.normalize(l, 0)) as BookEvent[];
}

/** Reference model: plain maps, no ordering tricks. */
function reference(events: BookEvent[]): { bids: [number, number][]; asks: [number, number][] } {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  for (const ev of events) {
    if (ev.type === 'book_snapshot') {
      bids.clear();
      asks.clear();
    }
    for (let i = 0; i < ev.bids.length; i += 2) ev.bids[i + 1] === 0 ? bids.delete(ev.bids[i]) : bids.set(ev.bids[i], ev.bids[i + 1]);
    for (let i = 0; i < ev.asks.length; i += 2) ev.asks[i + 1] === 0 ? asks.delete(ev.asks[i]) : asks.set(ev.asks[i], ev.asks[i + 1]);
  }
  return { bids: [...bids].sort((a, b) => b[0] - a[0]), asks: [...asks].sort((a, b) => a[0] - b[0]) };
}

function delta(u: number, bids: number[], asks: number[], ts = u): BookDeltaEvent {
  return { type: 'book_delta', symbol: 'T', depth: 50, ts, recvTs: ts, bids, asks, u, seq: undefined };
}

function snap(u: number, bids: number[], asks: number[], ts = u): BookSnapshotEvent {
  return { type: 'book_snapshot', symbol: 'T', depth: 50, ts, recvTs: ts, bids, asks, u, seq: undefined };
}

/** Plain checks (no expect per level: the property tests call this thousands of times). */
function sortedUncrossedProblem(book: OrderBook): string | undefined {
  const s = book.snapshot();
  for (let i = 1; i < s.bids.length; i++) if (!(s.bids[i][0] < s.bids[i - 1][0])) return `bids unsorted at ${i}`;
  for (let i = 1; i < s.asks.length; i++) if (!(s.asks[i][0] > s.asks[i - 1][0])) return `asks unsorted at ${i}`;
  if (s.bids.length && s.asks.length && !(s.bids[0][0] < s.asks[0][0])) return `crossed ${s.bids[0][0]} >= ${s.asks[0][0]}`;
  if (!s.synced && s.bids.length + s.asks.length > 0) return 'unsynced book exposes levels';
  return undefined;
}

function expectSortedUncrossed(book: OrderBook): void {
  expect(sortedUncrossedProblem(book)).toBeUndefined();
}

describe('order book on the real XRPUSDT capture (depth 500: 1 snapshot + 49 deltas)', () => {
  test('when the snapshot and all deltas are applied, then the book equals a naive reference and is synced', () => {
    const events = xrpEvents();
    const book = new OrderBook(500);
    const results = events.map((e) => book.apply(e));
    expect(results[0]).toBe('snapshot');
    expect(results.slice(1).every((r) => r === 'applied')).toBe(true);
    const ref = reference(events);
    const s = book.snapshot();
    expect(s.synced).toBe(true);
    expect(s.ts).toBe(events[49].ts);
    expect(book.u).toBe(20254918);
    expect(s.bids).toEqual(ref.bids.slice(0, 500));
    expect(s.asks).toEqual(ref.asks.slice(0, 500));
    expect(s.bids[0][0]).toBeLessThan(s.asks[0][0]);
    expectSortedUncrossed(book);
  });

  test('when one delta is missing, then a gap unsyncs the book, exposes no levels, and later deltas are ignored', () => {
    const events = xrpEvents();
    const book = new OrderBook(500);
    for (const e of events.slice(0, 10)) book.apply(e);
    expect(book.apply(events[11])).toBe('gap');
    expect(book.synced).toBe(false);
    expect(book.unsyncedReason).toBe('gap');
    expect(book.snapshot()).toMatchObject({ synced: false, bids: [], asks: [] });
    expect(book.apply(events[12])).toBe('ignored');
  });

  test('when a new snapshot arrives on an open stream, then it resets the book', () => {
    const events = xrpEvents();
    const book = new OrderBook(500);
    for (const e of events) book.apply(e);
    expect(book.apply(snap(99, [1.5, 10], [1.6, 20]))).toBe('snapshot');
    expect(book.snapshot()).toMatchObject({ synced: true, bids: [[1.5, 10]], asks: [[1.6, 20]] });
    expect(book.apply(delta(100, [1.55, 1], []))).toBe('applied');
    expect(book.snapshot().bids).toEqual([
      [1.55, 1],
      [1.5, 10],
    ]);
  });

  test('when a message with u == 1 arrives (service restart), then it overwrites the book even if typed delta', () => {
    const events = xrpEvents();
    const book = new OrderBook(500);
    for (const e of events.slice(0, 5)) book.apply(e);
    expect(book.apply(delta(1, [2.0, 5], [2.1, 6]))).toBe('snapshot');
    expect(book.snapshot()).toMatchObject({ synced: true, bids: [[2.0, 5]], asks: [[2.1, 6]] });
    expect(book.apply(delta(2, [], [2.1, 0, 2.2, 1]))).toBe('applied');
    expect(book.snapshot().asks).toEqual([[2.2, 1]]);
  });

  test('when an unsynced book gets a snapshot after a gap, then it is synced again', () => {
    const book = new OrderBook(50);
    book.apply(snap(10, [100, 1], [101, 1]));
    expect(book.apply(delta(12, [], []))).toBe('gap');
    expect(book.apply(snap(20, [100, 2], [101, 2]))).toBe('snapshot');
    expect(book.synced).toBe(true);
  });
});

describe('order book rules', () => {
  test('when a delta sets size 0, then the level is deleted; a new price inserts; an existing price updates', () => {
    const book = new OrderBook(50);
    book.apply(snap(1000, [100, 1, 99, 2, 98, 3], [101, 1, 102, 2]));
    book.apply(delta(1001, [99, 0, 97.5, 4, 100, 7], [101.5, 9]));
    expect(book.snapshot().bids).toEqual([
      [100, 7],
      [98, 3],
      [97.5, 4],
    ]);
    expect(book.snapshot().asks).toEqual([
      [101, 1],
      [101.5, 9],
      [102, 2],
    ]);
  });

  test('when a delta crosses the book, then it is detected: unsynced, no levels exposed', () => {
    const book = new OrderBook(50);
    book.apply(snap(1000, [100, 1], [101, 1]));
    expect(book.apply(delta(1001, [101, 5], []))).toBe('crossed');
    expect(book.synced).toBe(false);
    expect(book.unsyncedReason).toBe('crossed');
    expect(book.snapshot()).toMatchObject({ synced: false, bids: [], asks: [] });
  });

  test('when a duplicate delta (same u) arrives, then it is ignored', () => {
    const book = new OrderBook(50);
    book.apply(snap(1000, [100, 1], [101, 1]));
    book.apply(delta(1001, [100, 2], []));
    expect(book.apply(delta(1001, [100, 3], []))).toBe('duplicate');
    expect(book.snapshot().bids).toEqual([[100, 2]]);
  });

  test('when deltas arrive before any snapshot, then they are ignored', () => {
    const book = new OrderBook(50);
    expect(book.apply(delta(5, [100, 1], []))).toBe('ignored');
    expect(book.snapshot().synced).toBe(false);
  });

  test('when levels exceed depth + slack (a missed delete), then the worst levels are trimmed and the view shows depth levels', () => {
    const book = new OrderBook(5, 3);
    const bids: number[] = [];
    const asks: number[] = [];
    for (let i = 0; i < 20; i++) {
      bids.push(100 - i, 1);
      asks.push(101 + i, 1);
    }
    book.apply(snap(1, bids, asks));
    expect(book.levelCount()).toEqual({ bids: 8, asks: 8 });
    expect(book.snapshot().bids.map((l) => l[0])).toEqual([100, 99, 98, 97, 96]);
    expect(book.snapshot().asks.map((l) => l[0])).toEqual([101, 102, 103, 104, 105]);
  });

  test('when the snapshot is read twice without changes, then the same object is returned (no copy)', () => {
    const book = new OrderBook(50);
    book.apply(snap(10, [100, 1], [101, 1]));
    expect(book.snapshot()).toBe(book.snapshot());
  });
});

describe('market store book resync', () => {
  test('when a gap happens, then the store counts a resync and asks for one; a fresh snapshot clears it', () => {
    const requests: [string, string][] = [];
    const store = new MarketStore({ onResync: (s, r) => requests.push([s, r]), now: () => 0 });
    store.add('T');
    store.apply(snap(10, [100, 1], [101, 1]));
    store.apply(delta(12, [100, 2], []));
    expect(requests).toEqual([['T', 'gap']]);
    expect(store.resyncs).toBe(1);
    expect(store.status('T')).toMatchObject({ bookSynced: false, resyncs: 1 });
    store.apply(delta(13, [100, 2], []));
    expect(requests).toHaveLength(1);
    store.apply(snap(20, [100, 1], [101, 1]));
    expect(store.status('T')!.bookSynced).toBe(true);
  });

  test('when a crossed delta arrives, then a resync is requested with reason crossed', () => {
    const requests: string[] = [];
    const store = new MarketStore({ onResync: (_s, r) => requests.push(r), now: () => 0 });
    store.add('T');
    store.apply(snap(10, [100, 1], [101, 1]));
    store.apply(delta(11, [], [99, 1]));
    expect(requests).toEqual(['crossed']);
  });

  test('when the connection drops, then the book waits for a snapshot without a resync request', () => {
    const requests: string[] = [];
    const store = new MarketStore({ onResync: (_s, r) => requests.push(r), now: () => 0 });
    store.add('T');
    store.apply(snap(10, [100, 1], [101, 1]));
    store.bookDisconnected('T');
    expect(store.snapshot('T')!.book).toMatchObject({ synced: false, bids: [] });
    expect(store.bookUnsyncedReason('T')).toBe('disconnect');
    expect(requests).toEqual([]);
  });
});

describe('order book properties (fast-check)', () => {
  const DEPTH = 50;
  const TICK = 0.5;
  /** Grid of 60 ticks: bids + asks never exceed depth + slack, so trimming never hides a model level. */
  const GRID = 60;
  const op = fc.record({ bid: fc.boolean(), tick: fc.integer({ min: 0, max: GRID - 1 }), size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })) });

  /** Turns random ops into protocol-valid deltas: a level is only placed where it keeps the book uncrossed. */
  function validSequence(initialMid: number, deltas: { bid: boolean; tick: number; size: number }[][]) {
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    const snapBids: number[] = [];
    const snapAsks: number[] = [];
    for (let t = 0; t < GRID; t++) {
      if (t < initialMid) {
        bids.set(t, 1 + t);
        snapBids.push(t * TICK + TICK, 1 + t);
      } else {
        asks.set(t, 1 + t);
        snapAsks.push(t * TICK + TICK, 1 + t);
      }
    }
    const events: BookEvent[] = [snap(1000, snapBids, snapAsks)];
    const models: { bids: [number, number][]; asks: [number, number][] }[] = [];
    let u = 1000;
    for (const d of deltas) {
      const b: number[] = [];
      const a: number[] = [];
      for (const o of d) {
        const bestBid = Math.max(-1, ...bids.keys());
        const bestAsk = Math.min(GRID, ...asks.keys());
        const side = o.bid ? bids : asks;
        if (o.size === 0) {
          if (!side.has(o.tick)) continue;
          side.delete(o.tick);
        } else {
          if (o.bid ? o.tick >= bestAsk : o.tick <= bestBid) continue;
          side.set(o.tick, o.size);
        }
        (o.bid ? b : a).push(o.tick * TICK + TICK, o.size);
      }
      events.push(delta(++u, b, a));
      models.push({
        bids: [...bids].sort((x, y) => y[0] - x[0]).map(([t, s]) => [t * TICK + TICK, s]),
        asks: [...asks].sort((x, y) => x[0] - y[0]).map(([t, s]) => [t * TICK + TICK, s]),
      });
    }
    return { events, models };
  }

  test('after any valid delta sequence, the exposed book is synced, never crossed, sorted, and equals the model', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: GRID - 1 }), fc.array(fc.array(op, { maxLength: 12 }), { maxLength: 60 }), (mid, deltas) => {
        const { events, models } = validSequence(mid, deltas);
        const book = new OrderBook(DEPTH);
        expect(book.apply(events[0])).toBe('snapshot');
        for (let i = 1; i < events.length; i++) {
          const r = book.apply(events[i]);
          if (r !== 'applied') throw new Error(`delta ${i}: ${r}`);
          const problem = sortedUncrossedProblem(book);
          if (problem) throw new Error(problem);
          const s = book.snapshot();
          if (!s.synced) throw new Error('unsynced');
          if (JSON.stringify(s.bids) !== JSON.stringify(models[i - 1].bids.slice(0, DEPTH))) throw new Error(`bids differ after delta ${i}`);
          if (JSON.stringify(s.asks) !== JSON.stringify(models[i - 1].asks.slice(0, DEPTH))) throw new Error(`asks differ after delta ${i}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  /** A random step as a Bybit message: a snapshot when asked for and u jumps by 2, a delta otherwise. */
  function stepEvent(u: number, st: { du: number; ops: { bid: boolean; tick: number; size: number }[]; snapshot: boolean }): BookEvent {
    const b = st.ops.filter((o) => o.bid).flatMap((o) => [o.tick * TICK + TICK, o.size]);
    const a = st.ops.filter((o) => !o.bid).flatMap((o) => [o.tick * TICK + TICK, o.size]);
    return st.snapshot && st.du === 2 ? snap(u, b, a) : delta(u, b, a);
  }

  test('after any delta sequence, every snapshot handed out keeps the values it had (levels are shared, never rewritten)', () => {
    const anyDelta = fc.record({ du: fc.integer({ min: 0, max: 2 }), ops: fc.array(op, { maxLength: 8 }), snapshot: fc.boolean() });
    fc.assert(
      fc.property(fc.array(anyDelta, { maxLength: 60 }), (steps) => {
        const book = new OrderBook(8);
        const seen: [ReturnType<OrderBook['snapshot']>, string][] = [];
        let u = 10;
        for (const st of steps) {
          u += st.du;
          book.apply(stepEvent(u, st));
          const s = book.snapshot();
          seen.push([s, JSON.stringify(s)]);
        }
        for (const [s, json] of seen)
          if (JSON.stringify(s) !== json) throw new Error(`a snapshot changed after it was handed out: ${json} → ${JSON.stringify(s)}`);
      }),
      { numRuns: 300 },
    );
  });

  test('after any delta sequence at all (crossing, gaps, duplicates), a crossed state is never exposed', () => {
    const anyDelta = fc.record({ du: fc.integer({ min: -1, max: 2 }), ops: fc.array(op, { maxLength: 8 }), snapshot: fc.boolean() });
    fc.assert(
      fc.property(fc.array(anyDelta, { maxLength: 80 }), (steps) => {
        const book = new OrderBook(DEPTH);
        let u = 10;
        for (const st of steps) {
          u += st.du;
          book.apply(stepEvent(u, st));
          const problem = sortedUncrossedProblem(book);
          if (problem) throw new Error(problem);
          if (book.levelCount().bids > book.maxLevels || book.levelCount().asks > book.maxLevels) throw new Error('unbounded');
        }
      }),
      { numRuns: 300 },
    );
  });
});
