import fc from 'fast-check';
import { DEFAULT_ENGINE_CONFIG, tradeAt, tradeCount, type Candle, type Trade, type TradeColumns } from '@confluence/confluence';
import { createNormalizer } from '../../src/intake/bybit/normalize';
import type { DataEvent, TickerEvent } from '../../src/intake/events';
import { KLINE_BACKFILL } from '../../src/intake/warmup';
import { CANDLE_ARENA_SLACK, CANDLES_PER_TIMEFRAME, CandleSeries } from '../../src/state/candles';
import { MarketStore } from '../../src/state/market-store';
import { Ring } from '../../src/state/ring';
import { TimeSeries } from '../../src/state/series';
import { TickerMerger } from '../../src/state/ticker';
import { tradeBufferSlack, TradeWindow } from '../../src/state/trades';
import { fixtureLines } from '../intake/fixtures';

const M = 60_000;
const objectsOf = (c: TradeColumns): Trade[] => Array.from({ length: tradeCount(c) }, (_, i) => tradeAt(c, i)!);
const tsOf = (c: TradeColumns): number[] => objectsOf(c).map((t) => t.ts);
/** Candles as plain values (the store keeps closed ones in an arena behind getters). */
const plain = (cs: readonly Candle[]): Candle[] =>
  cs.map((c) => ({ start: c.start, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, turnover: c.turnover, confirmed: c.confirmed }));
const candle = (start: number, close: number, confirmed: boolean): Candle => ({
  start,
  open: close,
  high: close,
  low: close,
  close,
  volume: 1,
  turnover: close,
  confirmed,
});

describe('candles', () => {
  test('when the engine runs with its default window, then the candle store and the warm-up backfill hold all of it', () => {
    // Longest indicator window: indicatorWindow + anchorBlock − 1 confirmed candles, plus the forming one.
    const longest = DEFAULT_ENGINE_CONFIG.indicatorWindow + DEFAULT_ENGINE_CONFIG.anchorBlock;
    expect(CANDLES_PER_TIMEFRAME).toBeGreaterThanOrEqual(longest);
    expect(KLINE_BACKFILL).toBeGreaterThanOrEqual(longest);
  });

  test('when WS updates the forming candle, then it is replaced; confirm closes it', () => {
    const c = new CandleSeries(M);
    c.applyLive(candle(0, 1, false));
    c.applyLive(candle(0, 2, false));
    expect(plain(c.view())).toEqual([candle(0, 2, false)]);
    c.applyLive(candle(0, 3, true));
    c.applyLive(candle(M, 4, false));
    expect(plain(c.view())).toEqual([candle(0, 3, true), candle(M, 4, false)]);
  });

  test('when candles close, get replaced by backfill and roll past the capacity for many arena compactions, then every view ever handed out keeps its values and the newest equals a plain list', () => {
    const op = fc.record({
      kind: fc.constantFrom('close', 'close', 'close', 'forming', 'replace'),
      v: fc.integer({ min: 1, max: 10_000 }),
      look: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 40 }), fc.array(op, { minLength: 1, maxLength: 400, size: 'max' }), (capacity, ops) => {
        const c = new CandleSeries(M, capacity);
        let next = 0;
        const reference = new Map<number, Candle>();
        const kept: Array<{ view: readonly Candle[]; values: Candle[] }> = [];
        const ohlc = (start: number, v: number, confirmed: boolean): Candle => ({
          start,
          open: v,
          high: v + 2,
          low: v - 1,
          close: v + 1,
          volume: v / 10,
          turnover: v * 3,
          confirmed,
        });
        for (const o of ops) {
          if (o.kind === 'close') {
            c.applyLive(ohlc(next * M, o.v, true));
            reference.set(next * M, ohlc(next * M, o.v, true));
            next++;
          } else if (o.kind === 'forming') {
            c.applyLive(ohlc(next * M, o.v, false));
          } else if (next > 0) {
            // REST backfill with a corrected value for the newest closed candle.
            const start = (next - 1) * M;
            c.mergeBackfill([ohlc(start, o.v, true)], next * M);
            reference.set(start, ohlc(start, o.v, true));
          }
          if (o.look) {
            const view = c.view();
            kept.push({ view, values: plain(view) });
          }
        }
        const closed = plain(c.view()).filter((x) => x.confirmed);
        const expected = [...reference.values()].sort((a, b) => a.start - b.start).slice(-(capacity - 1));
        expect(closed).toEqual(expected);
        expect(c.allocatedSlots).toBeLessThanOrEqual(capacity + CANDLE_ARENA_SLACK);
        for (const k of kept) expect(plain(k.view)).toEqual(k.values);
      }),
      { numRuns: 150 },
    );
  });

  test('when a newer forming candle arrives without a confirm (missed), then the previous one is closed', () => {
    const c = new CandleSeries(M);
    c.applyLive(candle(0, 1, false));
    c.applyLive(candle(M, 2, false));
    expect(c.view().map((x) => [x.start, x.confirmed])).toEqual([
      [0, true],
      [M, false],
    ]);
  });

  test('when a late update for a closed candle arrives, then it does not reopen it', () => {
    const c = new CandleSeries(M);
    c.applyLive(candle(0, 1, true));
    c.applyLive(candle(0, 9, false));
    expect(plain(c.view())).toEqual([candle(0, 1, true)]);
  });

  test('when REST backfill arrives after live candles, then it merges by start and keeps the fresher live forming candle', () => {
    const c = new CandleSeries(M);
    c.applyLive(candle(5 * M, 50, false));
    const rest = [0, 1, 2, 3, 4, 5].map((i) => candle(i * M, i, false)); // REST flags nothing; `now` decides
    c.mergeBackfill(rest, 5 * M + 30_000);
    const v = c.view();
    expect(v.map((x) => [x.start, x.close, x.confirmed])).toEqual([
      [0, 0, true],
      [M, 1, true],
      [2 * M, 2, true],
      [3 * M, 3, true],
      [4 * M, 4, true],
      [5 * M, 50, false],
    ]);
  });

  test('when REST backfill arrives first, then its last candle is forming until live data replaces it', () => {
    const c = new CandleSeries(M);
    c.mergeBackfill([candle(M, 1, false), candle(0, 0, false)], M + 1);
    expect(c.view().map((x) => [x.start, x.confirmed])).toEqual([
      [0, true],
      [M, false],
    ]);
    c.applyLive(candle(M, 7, false));
    expect(c.current()!.close).toBe(7);
  });

  test('when a REST candle is flagged closed by server time, then it is closed even if the local clock lags', () => {
    const c = new CandleSeries(M);
    c.mergeBackfill([candle(0, 1, true), candle(M, 2, false)], M - 5_000);
    expect(c.view().map((x) => [x.start, x.confirmed])).toEqual([
      [0, true],
      [M, false],
    ]);
  });

  test('when more candles than capacity arrive, then the oldest are dropped and the view stays at capacity', () => {
    const c = new CandleSeries(M, 300);
    for (let i = 0; i < 1000; i++) {
      c.applyLive(candle(i * M, i, false));
      c.applyLive(candle(i * M, i, true));
    }
    c.applyLive(candle(1000 * M, 1000, false));
    const v = c.view();
    expect(v).toHaveLength(300);
    expect(v[0].start).toBe(701 * M);
    expect(v[299]).toEqual(candle(1000 * M, 1000, false));
  });

  test('when the view is read twice without changes, then the same array is returned', () => {
    const c = new CandleSeries(M);
    c.applyLive(candle(0, 1, false));
    expect(c.view()).toBe(c.view());
  });
});

describe('ticker merge', () => {
  test('when a snapshot then deltas arrive (tardis capture), then deltas update only their fields', () => {
    const n = createNormalizer();
    const t = new TickerMerger();
    const [snapshot, delta] = fixtureLines('ws_tickers.tardis.jsonl')
      .slice(0, 2)
      .map((l) => n.normalize(l, 0)[0] as TickerEvent);
    t.apply(snapshot);
    t.apply(delta);
    const v = t.view()!;
    expect(v.lastPrice).toBe(28560);
    expect(v.markPrice).toBe(28560);
    expect(v.openInterest).toBe(449736674);
    expect(v.nextFundingTime).toBe(1680681600000);
    expect(v.ts).toBe(1680673822776);
  });

  test('when a one-sided delta arrives, then the other side is kept', () => {
    const t = new TickerMerger();
    t.apply({ type: 'ticker', symbol: 'X', kind: 'snapshot', ts: 1, recvTs: 1, fields: { bid1Price: 1, ask1Price: 2, lastPrice: 1.5 } });
    t.apply({ type: 'ticker', symbol: 'X', kind: 'delta', ts: 2, recvTs: 2, fields: { bid1Price: 1.1 } });
    expect(t.view()).toMatchObject({ bid1Price: 1.1, ask1Price: 2, lastPrice: 1.5 });
  });

  test('when a new snapshot arrives, then it replaces all fields', () => {
    const t = new TickerMerger();
    t.apply({ type: 'ticker', symbol: 'X', kind: 'snapshot', ts: 1, recvTs: 1, fields: { bid1Price: 1, fundingRate: 0.1 } });
    t.apply({ type: 'ticker', symbol: 'X', kind: 'snapshot', ts: 2, recvTs: 2, fields: { bid1Price: 3 } });
    expect(t.view()!.fundingRate).toBeUndefined();
  });
});

describe('windows and series', () => {
  test('when trades exceed the time window, then old ones expire; CVD keeps running', () => {
    const w = new TradeWindow(1000, 100);
    w.push({ ts: 0, price: 1, size: 2, side: 'Buy' });
    w.push({ ts: 500, price: 1, size: 1, side: 'Sell' });
    w.push({ ts: 1600, price: 1, size: 5, side: 'Buy' });
    expect(tsOf(w.view())).toEqual([1600]);
    expect(w.cvd).toBe(6);
    expect(w.total).toBe(3);
  });

  test('when trades exceed the count cap, then only the newest are kept', () => {
    const w = new TradeWindow(1e12, 10);
    for (let i = 0; i < 25; i++) w.push({ ts: i, price: 1, size: 1, side: 'Buy' });
    expect(tsOf(w.view())).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(w.allocated).toBeLessThanOrEqual(10 + tradeBufferSlack(10));
  });

  test('when trades arrive, expire by age or count, and the buffer moves, then every view ever handed out stays as it was and the current one equals a plain filtered list', () => {
    const step = fc.record({
      dt: fc.integer({ min: 0, max: 3_000 }),
      size: fc.integer({ min: 1, max: 1_000 }),
      buy: fc.boolean(),
      look: fc.boolean(),
      expireAhead: fc.integer({ min: -1, max: 20_000 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1_000, max: 60_000 }),
        fc.array(step, { minLength: 1, maxLength: 800, size: 'max' }),
        (maxCount, windowMs, steps) => {
          const w = new TradeWindow(windowMs, maxCount);
          let ts = 1_000_000;
          let reference: Trade[] = [];
          const kept: Array<{ view: TradeColumns; expected: Trade[] }> = [];
          for (const s of steps) {
            ts += s.dt;
            const t: Trade = { ts, price: 100 + (s.size % 7), size: s.size / 100, side: s.buy ? 'Buy' : 'Sell' };
            w.push(t);
            reference = [...reference, t].filter((x) => x.ts >= ts - windowMs).slice(-maxCount);
            if (s.expireAhead >= 0) {
              w.expire(ts + s.expireAhead);
              reference = reference.filter((x) => x.ts >= ts + s.expireAhead - windowMs);
            }
            if (s.look) kept.push({ view: w.view(), expected: reference });
          }
          expect(objectsOf(w.view())).toEqual(reference);
          expect(w.size).toBe(reference.length);
          expect(w.allocated).toBeLessThanOrEqual(maxCount + tradeBufferSlack(maxCount));
          for (const k of kept) expect(objectsOf(k.view)).toEqual(k.expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('ring: grows lazily, wraps, views are immutable copies taken only on change', () => {
    const r = new Ring<number>(5);
    expect(r.allocated).toBe(0);
    for (let i = 0; i < 7; i++) r.push(i);
    const v1 = r.view();
    expect(v1).toEqual([2, 3, 4, 5, 6]);
    expect(r.view()).toBe(v1);
    r.push(7);
    expect(v1).toEqual([2, 3, 4, 5, 6]);
    expect(r.view()).toEqual([3, 4, 5, 6, 7]);
    expect(r.shift()).toBe(3);
    r.replaceNewest(70);
    expect(r.view()).toEqual([4, 5, 6, 70]);
  });

  test('time series: sorted upsert, same ts replaces, capped', () => {
    const s = new TimeSeries<{ ts: number; v: number }>(3);
    s.merge([
      { ts: 30, v: 3 },
      { ts: 10, v: 1 },
      { ts: 20, v: 2 },
    ]);
    s.upsert({ ts: 20, v: 22 });
    s.upsert({ ts: 40, v: 4 });
    expect(s.view()).toEqual([
      { ts: 20, v: 22 },
      { ts: 30, v: 3 },
      { ts: 40, v: 4 },
    ]);
  });
});

describe('market store', () => {
  function feed(store: MarketStore, lines: string[], recvTs = 0): void {
    const n = createNormalizer();
    for (const l of lines) for (const ev of n.normalize(l, recvTs)) if (ev.type !== 'pong' && ev.type !== 'subscribe_ack') store.apply(ev as DataEvent);
  }

  test('when real frames for a tracked symbol arrive, then the snapshot exposes book, ticker, trades, liquidations, candles', () => {
    let now = 1741450605553;
    const store = new MarketStore({ now: () => now });
    store.add('BTCUSDT');
    feed(store, fixtureLines('ws_misc_linear.rust_ws_tests_2024-2025.jsonl'), now);
    feed(
      store,
      [
        '{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1741450605000,"data":{"s":"BTCUSDT","b":[["85820.1","1"]],"a":[["85820.2","2"]],"u":5,"seq":1},"cts":1}',
      ],
      now,
    );
    feed(
      store,
      [
        '{"topic":"kline.1.BTCUSDT","data":[{"start":1741450560000,"end":1741450619999,"interval":"1","open":"1","close":"2","high":"3","low":"0.5","volume":"10","turnover":"15","confirm":false,"timestamp":1741450605000}],"ts":1741450605000,"type":"snapshot"}',
      ],
      now,
    );
    const s = store.snapshot('BTCUSDT')!;
    expect(s.symbol).toBe('BTCUSDT');
    expect(s.book).toMatchObject({ synced: true, bids: [[85820.1, 1]], asks: [[85820.2, 2]] });
    expect(s.ticker).toMatchObject({ lastPrice: 84594.4, openInterest: 52903.75 });
    expect(tradeCount(s.trades)).toBe(0); // the fixture's trade is hours older than the clock: outside the 15-min window
    expect(store.cvd('BTCUSDT')).toBe(0.007);
    expect(store.status('BTCUSDT')!.lastTradeAt).toBe(1741433245357);
    expect(s.liquidations).toEqual([{ ts: 1741450605236, price: 85823.6, size: 0.001, side: 'Buy' }]);
    expect(s.candles['1m']).toHaveLength(1);
    expect(s.candles['5m']).toEqual([]);
    expect(s.openInterest).toEqual([{ ts: Math.floor(1740622194359 / M) * M, openInterest: 52903.75 }]);
    expect(s.spreadHistoryBps).toHaveLength(1);
    // Unchanged → the very same object (no copying each second).
    expect(store.snapshot('BTCUSDT')).toBe(s);
    now += 2 * 3600_000;
    const later = store.snapshot('BTCUSDT')!;
    expect(later.liquidations).toEqual([]);
  });

  test('when books arrive over 90 s, then one reading of every book measure is kept per second, and funding interval and liquidation feed reach the snapshot', () => {
    const store = new MarketStore({ now: () => 1_000_000 });
    store.add('AAAUSDT');
    store.add('BBBUSDT');
    let u = 0;
    for (let t = 0; t < 90_000; t += 250) {
      const bid = 1 + ((t / 1000) % 3);
      store.apply({ type: 'book_snapshot', symbol: 'AAAUSDT', depth: 50, ts: t, recvTs: t, u: ++u, seq: u, bids: [99, bid], asks: [101, 1] });
    }
    const s = store.snapshot('AAAUSDT')!;
    // one reading a second, capped at the engine's bound; each carries the book's time and its measures
    expect(s.bookHistory!.length).toBe(64);
    const last = s.bookHistory![63];
    expect(last.ts).toBe(89_000);
    expect(last.touch).toBeCloseTo((3 - 1) / (3 + 1), 12);
    expect(last.depth).toBeCloseTo((3 - 1) / (3 + 1), 12);
    expect(s.liquidationFeedLastEventAt).toBeUndefined();
    expect(s.fundingIntervalMinutes).toBeUndefined();

    store.setFundingInterval('AAAUSDT', 240);
    expect(store.snapshot('AAAUSDT')!.fundingIntervalMinutes).toBe(240);
    // The ticker's own fundingIntervalHour wins (it is the exchange's current word).
    store.apply({
      type: 'ticker',
      symbol: 'AAAUSDT',
      kind: 'snapshot',
      ts: 90_000,
      recvTs: 90_000,
      fields: { lastPrice: 100, fundingIntervalHour: 1 },
    } as TickerEvent);
    expect(store.snapshot('AAAUSDT')!.fundingIntervalMinutes).toBe(60);
    // A liquidation on another symbol shows the feed is live for every symbol.
    store.apply({ type: 'liquidation', symbol: 'BBBUSDT', ts: 95_000, recvTs: 95_000, price: 5, size: 1, side: 'Buy' });
    store.apply({ type: 'trade', symbol: 'AAAUSDT', ts: 95_500, recvTs: 95_500, price: 100, size: 1, side: 'Buy', id: 'x' });
    expect(store.snapshot('AAAUSDT')!.liquidationFeedLastEventAt).toBe(95_000);
  });

  test('when events for an untracked symbol arrive, then they are dropped and counted, no state is created', () => {
    const store = new MarketStore({ now: () => 0 });
    feed(store, fixtureLines('ws_publicTrade.docs.jsonl'));
    expect(store.size).toBe(0);
    expect(store.unknownSymbol).toBe(1);
    expect(store.snapshot('BTCUSDT')).toBeUndefined();
  });

  test('status: not warm until warm-up klines, a ticker and a book arrived; reason says what is missing', () => {
    let now = 1_000_000;
    const store = new MarketStore({ now: () => now });
    store.add('AUSDT');
    expect(store.status('AUSDT')).toMatchObject({ warm: false, reason: 'warming_up', bookSynced: false, lastUpdateAt: null, lastTradeAt: null });
    store.setWarmup('AUSDT', 'done', true);
    expect(store.status('AUSDT')!.reason).toBe('no_ticker');
    const ticker: TickerEvent = { type: 'ticker', symbol: 'AUSDT', kind: 'snapshot', ts: now, recvTs: now, fields: { lastPrice: 1 } };
    store.apply(ticker);
    expect(store.status('AUSDT')!.reason).toBe('no_book');
    store.apply({ type: 'book_snapshot', symbol: 'AUSDT', depth: 50, ts: now, recvTs: now, bids: [1, 1], asks: [2, 1], u: 3, seq: undefined });
    expect(store.status('AUSDT')).toMatchObject({ warm: true, reason: null, bookSynced: true, lastUpdateAt: now });
    store.bookDisconnected('AUSDT');
    expect(store.status('AUSDT')).toMatchObject({ warm: true, bookSynced: false, reason: 'book_disconnect' });
    store.apply({ type: 'book_snapshot', symbol: 'AUSDT', depth: 50, ts: now, recvTs: now, bids: [1, 1], asks: [2, 1], u: 9, seq: undefined });
    now += 120_000;
    expect(store.status('AUSDT')!.reason).toBe('stale');
  });

  test('REST series merge with live OI samples, sorted by time', () => {
    const store = new MarketStore({ now: () => 0 });
    store.add('AUSDT');
    store.mergeOpenInterest('AUSDT', [
      { ts: 5 * M, openInterest: 5 },
      { ts: 0, openInterest: 1 },
    ]);
    store.apply({ type: 'ticker', symbol: 'AUSDT', kind: 'delta', ts: 7 * M + 10, recvTs: 0, fields: { openInterest: 7 } });
    store.apply({ type: 'ticker', symbol: 'AUSDT', kind: 'delta', ts: 7 * M + 20, recvTs: 0, fields: { openInterest: 8 } });
    store.mergeFunding('AUSDT', [{ ts: 8 * 3600_000, rate: 0.0001 }]);
    store.mergeLongShort('AUSDT', [{ ts: 0, buyRatio: 0.6, sellRatio: 0.4 }]);
    const s = store.snapshot('AUSDT')!;
    expect(s.openInterest).toEqual([
      { ts: 0, openInterest: 1 },
      { ts: 5 * M, openInterest: 5 },
      { ts: 7 * M, openInterest: 8 },
    ]);
    expect(s.funding).toEqual([{ ts: 8 * 3600_000, rate: 0.0001 }]);
    expect(s.longShort).toEqual([{ ts: 0, buyRatio: 0.6, sellRatio: 0.4 }]);
  });

  test('when a symbol is removed, then its state is gone', () => {
    const store = new MarketStore();
    store.add('AUSDT');
    store.remove('AUSDT');
    expect(store.snapshot('AUSDT')).toBeUndefined();
    expect(store.status('AUSDT')).toBeUndefined();
  });
});

describe('live-run state rules', () => {
  test('when a live candle skips an interval or replaces a forming candle without its confirm, then it is a gap; the normal close is not', () => {
    const c = new CandleSeries(M);
    expect(c.applyLive(candle(0, 1, false))).toBe(false);
    expect(c.applyLive(candle(0, 2, true))).toBe(false);
    expect(c.applyLive(candle(M, 3, false))).toBe(false);
    expect(c.applyLive(candle(2 * M, 4, false))).toBe(true); // the candle at M never got its confirm
    expect(c.applyLive(candle(5 * M, 5, false))).toBe(true); // 3M and 4M are missing
    expect(c.contiguousFrom(0)).toBe(false);
    c.mergeBackfill([candle(2 * M, 4, true), candle(3 * M, 4, true), candle(4 * M, 4, true)], 5 * M + 1);
    expect(c.contiguousFrom(0)).toBe(true);
  });

  test('when a symbol is retired and added back within the grace period, then its state is restored (book awaiting a snapshot); after it, dropped', () => {
    let now = 1_000_000;
    const gaps: string[] = [];
    const store = new MarketStore({ now: () => now, onCandleGap: (s, tf) => gaps.push(`${s}:${tf}`) });
    store.add('AUSDT');
    store.mergeCandles('AUSDT', '1m', [candle(0, 1, true), candle(M, 2, true)]);
    store.setRepairing('AUSDT', '1m', true);
    store.retire('AUSDT');
    expect(store.has('AUSDT')).toBe(false);
    expect(store.retiredCount).toBe(1);
    expect(store.add('AUSDT')).toBe('restored');
    expect(store.snapshot('AUSDT')!.candles['1m'].map((x) => x.close)).toEqual([1, 2]);
    expect(store.status('AUSDT')).toMatchObject({ repairing: [], bookSynced: false });
    store.retire('AUSDT');
    now += 10_000;
    expect(store.expireRetired(10_000)).toEqual(['AUSDT']);
    expect(store.add('AUSDT')).toBe('new');
    expect(store.snapshot('AUSDT')!.candles['1m']).toEqual([]);
    store.apply({
      type: 'candle',
      symbol: 'AUSDT',
      timeframe: '1m',
      ts: 0,
      recvTs: now,
      start: 0,
      end: M - 1,
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      turnover: 1,
      confirmed: false,
    });
    store.apply({
      type: 'candle',
      symbol: 'AUSDT',
      timeframe: '1m',
      ts: 0,
      recvTs: now,
      start: 3 * M,
      end: 4 * M - 1,
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      turnover: 1,
      confirmed: false,
    });
    expect(gaps).toEqual(['AUSDT:1m']);
  });

  test('when an empty snapshot arrives, then the book is unsynced (book_empty), deltas are ignored, and a snapshot with levels syncs it again', () => {
    const resyncs: string[] = [];
    const store = new MarketStore({ onResync: (s, r) => resyncs.push(`${s}:${r}`) });
    store.add('AUSDT');
    const book = (type: 'book_snapshot' | 'book_delta', u: number, bids: number[], asks: number[]): DataEvent => ({
      type,
      symbol: 'AUSDT',
      depth: 50,
      ts: u,
      recvTs: u,
      bids,
      asks,
      u,
      seq: undefined,
    });
    store.apply(book('book_snapshot', 5, [10, 1], [11, 1]));
    expect(store.snapshot('AUSDT')!.book!.synced).toBe(true);
    store.apply(book('book_snapshot', 1, [], []));
    expect(resyncs).toEqual(['AUSDT:empty']);
    expect(store.bookUnsyncedReason('AUSDT')).toBe('empty');
    store.apply(book('book_delta', 2, [10, 2], []));
    expect(store.snapshot('AUSDT')!.book).toMatchObject({ synced: false, bids: [], asks: [] });
    store.apply(book('book_snapshot', 9, [10, 1], [11, 1]));
    expect(store.snapshot('AUSDT')!.book!.synced).toBe(true);
  });

  test('when block and RPI trades arrive, then they are counted but stay out of the order-flow window', () => {
    const store = new MarketStore({ now: () => 10 });
    store.add('AUSDT');
    const trade = (id: string, size: number, o: { blockTrade?: boolean; rpi?: boolean } = {}): DataEvent => ({
      type: 'trade',
      symbol: 'AUSDT',
      ts: 5,
      recvTs: 5,
      price: 1,
      size,
      side: 'Buy',
      id,
      ...o,
    });
    store.apply(trade('a', 1));
    store.apply(trade('b', 500, { blockTrade: true }));
    store.apply(trade('c', 7, { rpi: true }));
    store.apply(trade('d', 2, { blockTrade: false, rpi: false }));
    expect(tradeCount(store.snapshot('AUSDT')!.trades)).toBe(2);
    expect(store.cvd('AUSDT')).toBe(3);
    expect(store.sizes('AUSDT')).toMatchObject({ trades: 2, blockTrades: 1, rpiTrades: 1, tradesTruncated: 0 });
    expect(store.status('AUSDT')!.lastTradeAt).toBe(5);
  });
});
