import type { Logger } from '@confluence/logger';
import { createNormalizer, type MALFORMED_REASONS } from '../../src/intake/bybit/normalize';
import type { BookDeltaEvent, BookSnapshotEvent, CandleEvent, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../src/intake/events';
import { fixtureLines } from './fixtures';

const RECV = 1_700_000_000_123;

function only<T extends MarketEvent>(events: MarketEvent[]): T {
  expect(events).toHaveLength(1);
  return events[0] as T;
}

describe('normalizer on real Bybit frames', () => {
  test('when a docs publicTrade frame arrives, then one typed trade with exchange and receive time', () => {
    const n = createNormalizer();
    const ev = only<TradeEvent>(n.normalize(fixtureLines('ws_publicTrade.docs.jsonl')[0], RECV));
    expect(ev).toEqual({
      type: 'trade',
      symbol: 'BTCUSDT',
      ts: 1672304486865,
      recvTs: RECV,
      price: 16578.5,
      size: 0.001,
      side: 'Buy',
      id: '20f43950-d8dd-5b31-9112-a178eb6023af',
      blockTrade: false,
      seq: 1783284617,
      tickDirection: 'PlusTick',
    });
  });

  test('when a tardis publicTrade frame holds three trades, then three events in order', () => {
    const n = createNormalizer();
    const evs = n.normalize(fixtureLines('ws_publicTrade.tardis.jsonl')[0], RECV) as TradeEvent[];
    expect(evs.map((e) => [e.type, e.symbol, e.size, e.price, e.side])).toEqual([
      ['trade', 'BTCUSD', 5823, 28560.5, 'Buy'],
      ['trade', 'BTCUSD', 3, 28560.5, 'Buy'],
      ['trade', 'BTCUSD', 5593, 28560.5, 'Buy'],
    ]);
  });

  test('when a book delta arrives (docs), then flattened numeric levels with u and seq; size 0 kept for deletion', () => {
    const n = createNormalizer();
    const ev = only<BookDeltaEvent>(n.normalize(fixtureLines('ws_orderbook.docs.jsonl')[0], RECV));
    expect(ev.type).toBe('book_delta');
    expect(ev.symbol).toBe('BTCUSDT');
    expect(ev.depth).toBe(50);
    expect(ev.ts).toBe(1687940967466);
    expect(ev.u).toBe(177400507);
    expect(ev.seq).toBe(66544703342);
    expect(ev.bids).toEqual([30247.2, 30.028, 30245.4, 0.224, 30242.1, 1.593, 30240.3, 1.305, 30240, 0]);
    expect(Array.from(ev.asks).slice(0, 4)).toEqual([30248.7, 0, 30249.3, 0.892]);
  });

  test('when the tardis depth-1 and depth-50 frames arrive, then snapshot/delta types and depths follow the topic', () => {
    const n = createNormalizer();
    const evs = fixtureLines('ws_orderbook.1_50.tardis.jsonl').flatMap((l) => n.normalize(l, RECV)) as (BookSnapshotEvent | BookDeltaEvent)[];
    expect(evs.map((e) => [e.type, e.depth, e.symbol, e.u])).toEqual([
      ['book_snapshot', 1, 'BTCUSDT', 7003305],
      ['book_delta', 1, 'BTCUSDT', 7003306],
      ['book_snapshot', 50, 'BTCPERP', 20683568],
      ['book_delta', 50, 'BTCPERP', 20683569],
      ['book_delta', 1, 'BTCUSDT', 1188472],
    ]);
  });

  test('when the XRPUSDT depth-500 capture is normalized, then 1 snapshot + 49 deltas with 500 levels a side first', () => {
    const n = createNormalizer();
    const evs = fixtureLines('ws_orderbook.500.XRPUSDT.2024-12-01.jsonl').flatMap((l) => n.normalize(l, RECV)) as (BookSnapshotEvent | BookDeltaEvent)[];
    expect(evs).toHaveLength(50);
    expect(evs[0].type).toBe('book_snapshot');
    expect(evs[0].bids.length).toBe(1000);
    expect(evs[0].asks.length).toBe(1000);
    expect(evs.slice(1).every((e) => e.type === 'book_delta')).toBe(true);
    expect(n.counters.malformed.bad_number + n.counters.malformed.missing_field).toBe(0);
  });

  test('when a ticker snapshot with 2026 fields (fundingIntervalHour, preOpenPrice "") arrives, then known fields parse and unknown are ignored', () => {
    const n = createNormalizer();
    const ev = only<TickerEvent>(n.normalize(fixtureLines('ws_tickers.docs.jsonl')[0], RECV));
    expect(ev.kind).toBe('snapshot');
    expect(ev.ts).toBe(1760325052630);
    expect(ev.fields).toEqual({
      lastPrice: 66666.6,
      markPrice: 66666.6,
      indexPrice: 115418.19,
      price24hPcnt: -0.158315,
      prevPrice24h: 79206.2,
      highPrice24h: 79266.3,
      lowPrice24h: 65076.9,
      prevPrice1h: 66666.6,
      turnover24h: 4936790807.6521,
      volume24h: 73191.387,
      openInterest: 492373.72,
      openInterestValue: 32824881841.75,
      fundingIntervalHour: 8,
      fundingRate: -0.005,
      nextFundingTime: 1760342400000,
      bid1Price: 66666.6,
      bid1Size: 23789.165,
      ask1Price: 66666.7,
      ask1Size: 23775.469,
    });
  });

  test('when a ticker delta carries a few fields, then only those fields are present', () => {
    const n = createNormalizer();
    const ev = only<TickerEvent>(n.normalize(fixtureLines('ws_tickers.tardis.jsonl')[1], RECV));
    expect(ev.kind).toBe('delta');
    expect(Object.keys(ev.fields).sort()).toEqual(['ask1Price', 'ask1Size', 'bid1Price', 'bid1Size', 'fundingRate', 'openInterest', 'price24hPcnt']);
  });

  test('when a ticker delta carries one side only, then just that side is present', () => {
    const n = createNormalizer();
    const ev = only<TickerEvent>(
      n.normalize('{"topic":"tickers.ETHUSDT","type":"delta","data":{"symbol":"ETHUSDT","bid1Price":"3000.1","bid1Size":"2"},"cs":1,"ts":1}', RECV),
    );
    expect(ev.fields).toEqual({ bid1Price: 3000.1, bid1Size: 2 });
  });

  test('when a dated-future ticker has "" for funding, then those fields are absent, not NaN or 0', () => {
    const n = createNormalizer();
    const ev = only<TickerEvent>(n.normalize(fixtureLines('ws_tickers.docs.jsonl')[1], RECV));
    expect(ev.fields.fundingRate).toBeUndefined();
    expect(ev.fields.nextFundingTime).toBeUndefined();
    expect(ev.fields.lastPrice).toBe(109401.5);
  });

  test('when a kline frame arrives, then a candle with timeframe and confirm flag', () => {
    const n = createNormalizer();
    const ev = only<CandleEvent>(n.normalize(fixtureLines('ws_kline.docs.jsonl')[0], RECV));
    expect(ev).toEqual({
      type: 'candle',
      symbol: 'BTCUSDT',
      timeframe: '5m',
      ts: 1672324988882,
      recvTs: RECV,
      start: 1672324800000,
      end: 1672325099999,
      open: 16649.5,
      high: 16677,
      low: 16608,
      close: 16677,
      volume: 2.081,
      turnover: 34666.4005,
      confirmed: false,
    });
  });

  test('when a kline frame closes one candle and opens the next, then two candles (confirmed, forming)', () => {
    const n = createNormalizer();
    const k = (start: number, confirm: boolean) =>
      `{"start":${start},"end":${start + 59999},"interval":"1","open":"1","close":"2","high":"3","low":"0.5","volume":"10","turnover":"15","confirm":${confirm},"timestamp":${start + 60000}}`;
    const evs = n.normalize(`{"topic":"kline.1.SOLUSDT","data":[${k(60000, true)},${k(120000, false)}],"ts":120001,"type":"snapshot"}`, RECV) as CandleEvent[];
    expect(evs.map((e) => [e.timeframe, e.start, e.confirmed])).toEqual([
      ['1m', 60000, true],
      ['1m', 120000, false],
    ]);
  });

  test('when allLiquidation and the deprecated liquidation frames arrive, then liquidation events', () => {
    const n = createNormalizer();
    const a = only<LiquidationEvent>(n.normalize(fixtureLines('ws_allLiquidation.docs.jsonl')[0], RECV));
    expect(a).toEqual({ type: 'liquidation', symbol: 'ROSEUSDT', ts: 1739502302929, recvTs: RECV, price: 0.04499, size: 20000, side: 'Sell' });
    const b = only<LiquidationEvent>(n.normalize(fixtureLines('ws_liquidation_deprecated.tardis.jsonl')[0], RECV));
    expect(b).toEqual({ type: 'liquidation', symbol: 'GALAUSDT', ts: 1673251091822, recvTs: RECV, price: 0.03803, size: 1637, side: 'Buy' });
    only<LiquidationEvent>(n.normalize(fixtureLines('ws_allLiquidation.tardis.jsonl')[0], RECV));
  });

  test('when subscribe answers and pongs arrive (all documented variants), then control events', () => {
    const n = createNormalizer();
    const lines = fixtureLines('ws_connect.docs.jsonl');
    const evs = lines.flatMap((l) => n.normalize(l, RECV));
    const pongs = evs.filter((e) => e.type === 'pong');
    const acks = evs.filter((e) => e.type === 'subscribe_ack');
    expect(pongs).toHaveLength(4);
    expect(acks).toHaveLength(3);
    expect(acks[1]).toEqual({
      type: 'subscribe_ack',
      op: 'subscribe',
      success: true,
      retMsg: 'subscribe',
      reqId: '10001',
      connId: '2324d924-aa4d-45b0-a858-7b8be29ab52b',
      recvTs: RECV,
    });
    // auth request/answer, client requests (no `success`) and the options COMMAND_RESP: counted, not thrown.
    expect(n.counters.malformed).toMatchObject({ unknown_op: 2, missing_field: 3, unknown_message: 1 });
  });

  test('when a failed subscribe answer arrives, then success false with the reason', () => {
    const n = createNormalizer();
    const ev = only(
      n.normalize('{"success":false,"ret_msg":"error:handler not found,topic:orderbook.50.NOPEUSDT","conn_id":"x","req_id":"s-0-1","op":"subscribe"}', RECV),
    );
    expect(ev).toMatchObject({ type: 'subscribe_ack', success: false, reqId: 's-0-1', retMsg: expect.stringContaining('NOPEUSDT') });
  });

  test('when the misc 2024-2025 linear frames are normalized, then none is malformed', () => {
    const n = createNormalizer();
    const evs = fixtureLines('ws_misc_linear.rust_ws_tests_2024-2025.jsonl').flatMap((l) => n.normalize(l, RECV));
    expect(evs.map((e) => e.type)).toEqual(['subscribe_ack', 'subscribe_ack', 'ticker', 'ticker', 'trade', 'liquidation']);
    expect(Object.values(n.counters.malformed).every((v) => v === 0)).toBe(true);
    expect(n.counters.byTopic).toMatchObject({ control: 2, tickers: 2, publicTrade: 1, allLiquidation: 1 });
  });

  test('when a Buffer arrives, then it is decoded like a string', () => {
    const n = createNormalizer();
    const evs = n.normalize(Buffer.from(fixtureLines('ws_publicTrade.docs.jsonl')[0]), RECV);
    expect(evs[0]).toMatchObject({ type: 'trade', price: 16578.5 });
  });
});

describe('normalizer robustness', () => {
  test('when frames carry unknown extra fields in any key order, then they are accepted', () => {
    const n = createNormalizer();
    const evs = n.normalize(
      '{"data":[{"seq":9,"RPI":true,"p":"10.5","v":"2","S":"Sell","s":"AUSDT","T":5,"i":"x","BT":false,"newThing":{"a":1}}],"extra":[1,2],"ts":6,"type":"snapshot","topic":"publicTrade.AUSDT"}',
      RECV,
    );
    // RPI, BT and seq are kept (order flow tells block and RPI trades apart); unknown fields are ignored.
    expect(evs).toEqual([
      { type: 'trade', symbol: 'AUSDT', ts: 5, recvTs: RECV, price: 10.5, size: 2, side: 'Sell', id: 'x', blockTrade: false, rpi: true, seq: 9 },
    ]);
  });

  test('when a trade carries BT or RPI that is not a boolean, then the frame is malformed (bad_type), never guessed', () => {
    const n = createNormalizer();
    expect(n.normalize('{"topic":"publicTrade.AUSDT","type":"snapshot","ts":1,"data":[{"T":1,"S":"Buy","v":"1","p":"1","i":"a","BT":"yes"}]}', RECV)).toEqual(
      [],
    );
    expect(n.counters.malformed.bad_type).toBe(1);
  });

  test.each([
    ['not json', 'invalid_json'],
    ['{"topic":', 'invalid_json'],
    ['[1,2]', 'not_object'],
    ['"hello"', 'not_object'],
    ['null', 'not_object'],
    ['{"foo":1}', 'unknown_message'],
    ['{"topic":"spotLever.BTCUSDT","data":{}}', 'unknown_topic'],
    ['{"topic":"orderbook","ts":1,"type":"snapshot","data":{}}', 'unknown_topic'],
    ['{"topic":"kline.7.BTCUSDT","ts":1,"type":"snapshot","data":[]}', 'unknown_topic'],
    ['{"op":"auth","success":true}', 'unknown_op'],
    ['{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1}', 'missing_field'],
    ['{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"S":"Buy","v":"1","i":"a"}]}', 'missing_field'],
    ['{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"S":"Buy","v":"x","p":"1","i":"a"}]}', 'bad_number'],
    ['{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"S":"Hold","v":"1","p":"1","i":"a"}]}', 'bad_type'],
    ['{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1","NaN"]],"a":[],"u":2}}', 'bad_number'],
    ['{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["","1"]],"a":[],"u":2}}', 'bad_number'],
    ['{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1"]],"a":[],"u":2}}', 'bad_type'],
    ['{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[]}}', 'missing_field'],
    ['{"topic":"orderbook.50.BTCUSDT","type":"weird","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":1}}', 'bad_type'],
    ['{"topic":"tickers.BTCUSDT","type":"delta","ts":1,"data":{"lastPrice":"abc"}}', 'bad_number'],
    [
      '{"topic":"kline.1.BTCUSDT","type":"snapshot","ts":1,"data":[{"start":1,"end":2,"open":"1","close":"1","high":"1","low":"1","volume":"1","turnover":"1"}]}',
      'missing_field',
    ],
  ])('when %s arrives, then it is counted as %s and nothing is thrown', (raw, reason) => {
    const n = createNormalizer();
    expect(() => n.normalize(raw, RECV)).not.toThrow();
    expect(n.normalize(raw, RECV)).toEqual([]);
    expect(n.counters.malformed[reason as (typeof MALFORMED_REASONS)[number]]).toBe(2);
  });

  test('when a trade message has one bad record, then the whole message is dropped (atomic)', () => {
    const n = createNormalizer();
    const raw =
      '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"S":"Buy","v":"1","p":"1","i":"a"},{"T":1,"S":"Buy","v":"1","p":"oops","i":"b"}]}';
    expect(n.normalize(raw, RECV)).toEqual([]);
    const out: MarketEvent[] = [];
    expect(n.normalizeInto(raw, RECV, out)).toBe(0);
    expect(out).toEqual([]);
  });

  test('when a flood of malformed frames arrives, then the log is rate limited per reason', () => {
    const warn = jest.fn();
    const logger: Logger = { error: jest.fn(), warn, info: jest.fn(), debug: jest.fn(), child: () => logger };
    const n = createNormalizer({ logger, logIntervalMs: 60_000 });
    for (let i = 0; i < 1000; i++) n.normalize('garbage', RECV);
    for (let i = 0; i < 1000; i++) n.normalize('{"topic":"nope.X"}', RECV);
    expect(n.counters.malformed.invalid_json).toBe(1000);
    expect(n.counters.malformed.unknown_topic).toBe(1000);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  test('when random bytes are fed, then nothing throws and every frame is counted', () => {
    const n = createNormalizer();
    let seed = 1;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const pieces = ['{', '}', '[', ']', '"topic"', ':', '"orderbook.50.X"', ',', '"data"', '"b"', '1', '"ts"', 'null', '"op"', '"ping"'];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 20);
      for (let k = 0; k < len; k++) s += pieces[Math.floor(rnd() * pieces.length)];
      expect(() => n.normalize(s, RECV)).not.toThrow();
    }
    expect(n.counters.messages).toBe(2000);
  });
});
