import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { mulberry32, syntheticFrameStream } from '@confluence/testkit';
import { FastScanner } from '../../src/intake/bybit/fast-scan';
import { createNormalizer, type NormalizerCounters } from '../../src/intake/bybit/normalize';
import type { BookDeltaEvent, BookSnapshotEvent, MarketEvent, TickerEvent, TradeEvent } from '../../src/intake/events';
import { FIXTURES_DIR, fixtureLines } from './fixtures';

// The fast scanner (fast-scan.ts) must be invisible: for every text, the same events and the same counters as the
// general path (JSON.parse + validators). Each test runs frames through two normalizers, one with the fast path and
// one without, and compares after every frame.

const RECV = 1_700_000_000_123;
const FAST_TOPIC = /^\{"topic":"(orderbook|publicTrade|tickers)\./;

function observable(c: NormalizerCounters): Pick<NormalizerCounters, 'messages' | 'byTopic' | 'malformed'> {
  return { messages: c.messages, byTopic: c.byTopic, malformed: c.malformed };
}

/** A fast and a general-only normalizer fed the same frames. */
class Both {
  readonly fast = createNormalizer();
  readonly general = createNormalizer({ fastPath: false });

  /** Whether the fast path took the last frame fed. */
  tookFast = false;

  /** Feeds one frame to both and expects identical events and counters; returns the events; see `tookFast`. */
  run(text: string | Buffer, recvTs = RECV): MarketEvent[] {
    const before = this.fast.counters.fastDecoded;
    const a: MarketEvent[] = [];
    const b: MarketEvent[] = [];
    const na = this.fast.normalizeInto(text, recvTs, a);
    const nb = this.general.normalizeInto(text, recvTs, b);
    const ca = observable(this.fast.counters);
    const cb = observable(this.general.counters);
    // The cheap check first; on a difference, jest's diff shows the frame, the events and the counters.
    if (na !== nb || !isDeepStrictEqual(a, b) || !isDeepStrictEqual(ca, cb)) {
      expect({ text: String(text), n: na, events: a, counters: ca }).toStrictEqual({ text: String(text), n: nb, events: b, counters: cb });
    }
    this.tookFast = this.fast.counters.fastDecoded > before;
    return a;
  }

  /** Feeds one frame to both (see `run`); returns whether the fast path took it. */
  feed(text: string | Buffer, recvTs = RECV): boolean {
    this.run(text, recvTs);
    return this.tookFast;
  }
}

function fastTopicLines(): { file: string; line: string }[] {
  const files = fs.readdirSync(FIXTURES_DIR).filter((f) => f.startsWith('ws_') && f.endsWith('.jsonl'));
  return files.flatMap((file) => fixtureLines(file).map((line) => ({ file, line })));
}

function only<T extends MarketEvent>(events: MarketEvent[]): T {
  expect(events).toHaveLength(1);
  return events[0] as T;
}

describe('fast scanner: same events and counters as the general path', () => {
  test('when every ws fixture frame is normalized with and without the fast path, then events and counters are identical', () => {
    const both = new Both();
    let fastTaken = 0;
    let fastShaped = 0;
    for (const { line } of fastTopicLines()) {
      if (both.feed(line)) fastTaken++;
      if (FAST_TOPIC.test(line)) fastShaped++;
    }
    // Every book, trade and ticker fixture frame but the one options ticker (it starts with "id", not "topic").
    expect(fastShaped).toBeGreaterThan(60);
    expect(fastTaken).toBe(fastShaped);
    expect(both.fast.counters.fastDecoded).toBe(fastTaken);
  });

  test('when 50,000 synthetic frames are normalized with and without the fast path, then identical, and all book/trade/ticker frames fast', () => {
    const both = new Both();
    const symbols = Array.from({ length: 40 }, (_, i) => `SYM${i}USDT`);
    let fastShaped = 0;
    let i = 0;
    for (const frame of syntheticFrameStream({ symbols, count: 50_000, startTs: 1_767_225_600_000, seed: 11 })) {
      if (FAST_TOPIC.test(frame)) fastShaped++;
      both.feed(frame, RECV + i++);
    }
    expect(fastShaped).toBeGreaterThan(40_000);
    expect(both.fast.counters.fastDecoded).toBe(fastShaped);
    expect(both.fast.counters.messages).toBe(50_000);
  });

  test('when random decimal strings are book prices and sizes, then each number equals Number() bit for bit', () => {
    const rnd = mulberry32(2024);
    const both = new Both();
    const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rnd() * 10))).join('');
    let checked = 0;
    for (let f = 0; f < 400; f++) {
      const strs: string[] = [];
      for (let k = 0; k < 50; k++) {
        // Mostly inside Clinger's fast path, sometimes beyond it (17+ significant digits, 23+ fraction digits).
        const intDigits = 1 + Math.floor(rnd() * (rnd() < 0.9 ? 8 : 25));
        const fracDigits = rnd() < 0.2 ? 0 : 1 + Math.floor(rnd() * (rnd() < 0.9 ? 10 : 30));
        const lead = rnd() < 0.1 ? '0' : String(1 + Math.floor(rnd() * 9));
        strs.push(fracDigits === 0 ? lead + digits(intDigits - 1) : `${lead}${digits(intDigits - 1)}.${digits(fracDigits)}`);
      }
      // Each string is a bid size and, where it is > 0 (a valid price), an ask price.
      const prices = strs.filter((s) => Number(s) > 0);
      const bids = strs.map((s) => `["1","${s}"]`).join(',');
      const asks = prices.map((s) => `["${s}","1"]`).join(',');
      const text = `{"topic":"orderbook.50.NUMUSDT","type":"delta","ts":1,"data":{"s":"NUMUSDT","b":[${bids}],"a":[${asks}],"u":${f + 1},"seq":7}}`;
      const ev = only<BookDeltaEvent>(both.run(text));
      expect(both.tookFast).toBe(true);
      const same = (got: number, s: string) => {
        if (!Object.is(got, Number(s))) throw new Error(`${s}: ${got} ≠ ${Number(s)}`);
        checked++;
      };
      for (let k = 0; k < strs.length; k++) same(ev.bids[2 * k + 1], strs[k]);
      for (let k = 0; k < prices.length; k++) same(ev.asks[2 * k], prices[k]);
    }
    expect(checked).toBeGreaterThan(10_000);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Mutations: valid frames bent in the ways a scanner gets wrong. Both paths must agree on every mutant, including
// which malformed reason a broken frame is counted under.

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const index = (rnd: Rnd, n: number): number => Math.floor(rnd() * n);

const NUMBERS = [
  '1e5',
  '-1',
  '01',
  '',
  '0',
  '.5',
  '5.',
  'NaN',
  '123456789012345678901234567890',
  '-0',
  '+1',
  ' 1',
  '1 ',
  '0x10',
  'Infinity',
  '1.5e-3',
  '00',
  '0.0',
  '9007199254740993',
  '0.12345678901234567890123456',
  '1'.repeat(400),
  '1_0',
  '-',
  '1.2.3',
  '٣',
];
const KEYS = ['topic', 'type', 'ts', 'data', 'cts', 'cs', 's', 'b', 'a', 'u', 'seq', 'T', 'S', 'v', 'p', 'L', 'i', 'BT', 'RPI', 'lastPrice', 'bid1Size', 'x'];
const VALUES = ['1', '0', '"2.5"', '""', '"delta"', '"snapshot"', 'null', '[]', '{}', '"Buy"', 'true', '-3', '[["1","2"]]', '"tickers.X"', '1.5'];
const STRING_REPLACEMENTS = ['null', '5', 'true', 'false', '"x"', '""', '[]', '{}', '"Buy"', '"snapshot"', '"delta"', '1.5', '"0"', '"1"'];
const TOPICS = [
  'orderbook.50.BTC.USDT',
  'orderbook.0.X',
  'orderbook.050.X',
  'orderbook..X',
  'orderbook.50.',
  'orderbook.1.5.X',
  'orderbook.x.Y',
  'orderbook.1e1.X',
  'orderbook',
  'orderbook.50',
  'orderbook.-1.X',
  'orderbook.9007199254740993.X',
  'publicTrade.',
  'publicTrade.A.B',
  'publicTrade',
  'tickers.',
  'tickers.A.B',
  'kline.1.X',
  'publicTrade.orderbook.50.X',
  'orderbook.200.ÄÖ',
  'tickers.X\\u0041',
];

/** Parses, lets `edit` change one object of the frame (top, data or a data element), re-serializes. */
function editObject(s: string, rnd: Rnd, edit: (o: Record<string, unknown>) => void): string {
  let msg: unknown;
  try {
    msg = JSON.parse(s);
  } catch {
    return s;
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return s;
  const top = msg as Record<string, unknown>;
  const targets: Record<string, unknown>[] = [top];
  const data = top.data;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) targets.push(data as Record<string, unknown>);
  if (Array.isArray(data)) for (const d of data) if (d !== null && typeof d === 'object' && !Array.isArray(d)) targets.push(d as Record<string, unknown>);
  edit(pick(rnd, targets));
  return JSON.stringify(top);
}

function shuffleKeys(o: Record<string, unknown>, rnd: Rnd): void {
  const entries = Object.entries(o);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = index(rnd, i + 1);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) o[k] = v;
}

const MUTATIONS: readonly [string, (s: string, rnd: Rnd) => string][] = [
  ['delete a character', (s, rnd) => ((i) => s.slice(0, i) + s.slice(i + 1))(index(rnd, s.length))],
  ['duplicate or add a key first', (s, rnd) => insertAfter(s, rnd, '{', `"${pick(rnd, KEYS)}":${pick(rnd, VALUES)},`)],
  ['duplicate or add a key last', (s, rnd) => insertBefore(s, rnd, '}', `,"${pick(rnd, KEYS)}":${pick(rnd, VALUES)}`)],
  ['insert whitespace', (s, rnd) => ((i) => s.slice(0, i) + pick(rnd, [' ', '\n', '\t', '\r']) + s.slice(i))(index(rnd, s.length + 1))],
  ['escape a character', (s, rnd) => escapeOne(s, rnd)],
  [
    'insert a backslash escape',
    (s, rnd) => ((i) => s.slice(0, i) + pick(rnd, ['\\"', '\\\\', '\\/', '\\n', '\\u0041', '\\']) + s.slice(i))(index(rnd, s.length)),
  ],
  ['replace a number', (s, rnd) => replaceNumber(s, rnd)],
  ['truncate', (s, rnd) => s.slice(0, index(rnd, s.length))],
  ['append garbage', (s, rnd) => s + pick(rnd, [' ', 'x', '}', ',', '\n', '\r\n', '\u0000', ']', '{}', '0', ' \t'])],
  ['change key order', (s, rnd) => editObject(s, rnd, (o) => shuffleKeys(o, rnd))],
  ['delete a member', (s, rnd) => editObject(s, rnd, (o) => delete o[pick(rnd, Object.keys(o))])],
  ['replace a string value', (s, rnd) => replaceString(s, rnd)],
  ['replace the topic', (s, rnd) => s.replace(/^\{"topic":"[^"]*"/, `{"topic":"${pick(rnd, TOPICS)}"`)],
  [
    'change an enum',
    (s, rnd) => s.replace(pick(rnd, ['"Buy"', '"Sell"', '"snapshot"', '"delta"', 'false', 'true']), pick(rnd, ['"buy"', '"Snapshot"', '"x"', 'null', '0'])),
  ],
];

function positions(s: string, c: string): number[] {
  const out: number[] = [];
  for (let i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) out.push(i);
  return out;
}

function insertAfter(s: string, rnd: Rnd, c: string, what: string): string {
  const ps = positions(s, c);
  if (ps.length === 0) return s;
  const i = pick(rnd, ps) + 1;
  return s.slice(0, i) + what + s.slice(i);
}

function insertBefore(s: string, rnd: Rnd, c: string, what: string): string {
  const ps = positions(s, c);
  if (ps.length === 0) return s;
  const i = pick(rnd, ps);
  return s.slice(0, i) + what + s.slice(i);
}

/** Replaces a letter or digit by its \u escape: the same text to JSON.parse inside a string, broken JSON outside. */
function escapeOne(s: string, rnd: Rnd): string {
  const candidates: number[] = [];
  for (let i = 0; i < s.length; i++) if (/[A-Za-z0-9.]/.test(s[i])) candidates.push(i);
  if (candidates.length === 0) return s;
  const i = pick(rnd, candidates);
  return `${s.slice(0, i)}\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}${s.slice(i + 1)}`;
}

function replaceNumber(s: string, rnd: Rnd): string {
  // Quoted decimals ("1.95") and bare numbers (ts, u, seq, T) alike.
  const found = [...s.matchAll(/"(-?[0-9][0-9.]*)"|(?<=[:[,])(-?[0-9][0-9.]*)(?=[,\]}])/g)];
  if (found.length === 0) return s;
  const m = pick(rnd, found);
  const quoted = m[1] !== undefined;
  const n = pick(rnd, NUMBERS);
  const repl = quoted || rnd() < 0.3 ? `"${n}"` : n;
  const at = m.index ?? 0;
  return s.slice(0, at) + repl + s.slice(at + m[0].length);
}

function replaceString(s: string, rnd: Rnd): string {
  const found = [...s.matchAll(/(?<=[:[,])"[^"\\]*"/g)];
  if (found.length === 0) return s;
  const m = pick(rnd, found);
  const at = m.index ?? 0;
  return s.slice(0, at) + pick(rnd, STRING_REPLACEMENTS) + s.slice(at + m[0].length);
}

/** Valid frames of every handled shape, some with the optional members (RPI, no seq, no cts, empty arrays). */
function seedFrames(): string[] {
  const fixtures = fastTopicLines()
    .map((l) => l.line.trimEnd())
    .filter((l) => FAST_TOPIC.test(l) && l.length < 3000);
  const symbols = ['AUSDT', 'BUSDT', 'CUSDT'];
  const synthetic = [...syntheticFrameStream({ symbols, count: 400, startTs: 1_767_225_600_000, seed: 5 })].filter((f) => FAST_TOPIC.test(f));
  const hand = [
    '{"topic":"orderbook.1.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[["2.5","0"]],"u":0}}',
    '{"topic":"orderbook.200.ETHUSDT","type":"snapshot","ts":5,"data":{"a":[["1","1"]],"b":[["0.5","3"]],"u":1,"seq":9},"cts":4}',
    '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,' +
      '"data":[{"T":1,"s":"BTCUSDT","S":"Sell","v":"0","p":"1.5","L":"","i":"","BT":true,"RPI":true,"seq":3}]}',
    '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[]}',
    '{"topic":"publicTrade.BTCUSDT","data":[{"T":1,"S":"Buy","v":"2","p":"3"}]}',
    '{"topic":"tickers.BTCUSDT","ts":3,"data":{}}',
    '{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","fundingRate":"-0.0001","price24hPcnt":"-0","nextFundingTime":""},"cs":1,"ts":2}',
  ];
  return [...fixtures, ...synthetic, ...hand];
}

describe('fast scanner under mutation', () => {
  test('when 6,000 seeded mutants of valid frames are normalized with and without the fast path, then identical events and counters', () => {
    const rnd = mulberry32(1337);
    const seeds = seedFrames();
    const both = new Both();
    const byMutation: Record<string, { fast: number; general: number }> = {};
    for (let n = 0; n < 6_000; n++) {
      let text = pick(rnd, seeds);
      const steps = rnd() < 0.8 ? 1 : 2 + index(rnd, 2);
      let name = '';
      for (let k = 0; k < steps; k++) {
        const [label, mutate] = pick(rnd, MUTATIONS);
        text = mutate(text, rnd);
        name = label;
      }
      const took = both.feed(text, RECV + n);
      byMutation[name] ??= { fast: 0, general: 0 };
      byMutation[name][took ? 'fast' : 'general']++;
    }
    // The run exercised both paths: mutants the scanner still takes (extra cts, key order, size "0"…) and ones it
    // leaves to the general path, many of which are malformed.
    const fast = Object.values(byMutation).reduce((a, m) => a + m.fast, 0);
    expect(fast).toBeGreaterThan(600);
    expect(6_000 - fast).toBeGreaterThan(2_000);
    expect(byMutation['change key order'].fast).toBeGreaterThan(50);
    expect(byMutation['insert whitespace'].general).toBeGreaterThan(50);
    const malformed = both.general.counters.malformed;
    expect(malformed.invalid_json).toBeGreaterThan(500);
    expect(malformed.bad_number).toBeGreaterThan(50);
    expect(malformed.missing_field).toBeGreaterThan(20);
    expect(malformed.unknown_topic).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('fast scanner edge cases', () => {
  test('when a book snapshot, a delta, a trade and a ticker arrive, then the fast path takes each', () => {
    const both = new Both();
    expect(both.feed(fixtureLines('ws_orderbook.1_50.tardis.jsonl')[0])).toBe(true);
    expect(both.feed(fixtureLines('ws_orderbook.docs.jsonl')[0])).toBe(true);
    expect(both.feed(fixtureLines('ws_publicTrade.docs.jsonl')[0])).toBe(true);
    expect(both.feed(fixtureLines('ws_tickers.tardis.jsonl')[0])).toBe(true);
    expect(both.fast.counters.fastDecoded).toBe(4);
    expect(both.general.counters.fastDecoded).toBe(0);
    expect(both.fast.counters.byTopic).toMatchObject({ orderbook: 2, publicTrade: 1, tickers: 1 });
  });

  test('when a fast-pathed book frame has no seq, then the event carries seq: undefined as an own property', () => {
    const both = new Both();
    const text = '{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":7,"data":{"s":"BTCUSDT","b":[["1.5","2"]],"a":[["1.6","0"]],"u":3}}';
    const ev = only<BookSnapshotEvent>(both.run(text));
    expect(both.tookFast).toBe(true);
    expect(Object.hasOwn(ev, 'seq')).toBe(true);
    expect(ev).toStrictEqual({
      type: 'book_snapshot',
      symbol: 'BTCUSDT',
      depth: 50,
      ts: 7,
      recvTs: RECV,
      bids: [1.5, 2],
      asks: [1.6, 0],
      u: 3,
      seq: undefined,
    });
  });

  test('when a key is duplicated, then the general path decides and the last value wins', () => {
    const both = new Both();
    const text = '{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":7,"data":{"s":"BTCUSDT","b":[],"a":[],"u":3,"u":4}}';
    expect(only<BookDeltaEvent>(both.run(text)).u).toBe(4);
    expect(both.tookFast).toBe(false);
  });

  test('when a frame has whitespace or an escaped key, then the general path decides with the same events', () => {
    const both = new Both();
    expect(both.feed('{"topic":"orderbook.50.X","type":"delta", "ts":7,"data":{"b":[],"a":[],"u":3}}')).toBe(false);
    expect(both.feed('{"topic":"orderbook.50.X","type":"delta","\\u0074s":7,"data":{"b":[],"a":[],"u":3}}')).toBe(false);
    expect(both.feed('{"topic":"orderbook.50.X","type":"delta","ts":7,"data":{"b":[],"a":[],"u":3}}\r\n')).toBe(true);
    expect(both.fast.counters.byTopic.orderbook).toBe(3);
    expect(both.fast.counters.malformed.invalid_json + both.fast.counters.malformed.missing_field).toBe(0);
  });

  test('when a price is "0" or a size is negative, then the general path counts bad_number and nothing is emitted', () => {
    const both = new Both();
    expect(both.feed('{"topic":"orderbook.50.X","type":"delta","ts":7,"data":{"b":[["0","1"]],"a":[],"u":3}}')).toBe(false);
    expect(both.feed('{"topic":"publicTrade.X","data":[{"T":1,"S":"Buy","v":"-1","p":"3"}]}')).toBe(false);
    expect(both.fast.counters.malformed.bad_number).toBe(2);
    expect(both.fast.counters.messages).toBe(2);
  });

  test('when a trade has RPI, no id and an empty tick direction, then id "", rpi true, tickDirection undefined', () => {
    const both = new Both();
    const text = '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":5,"S":"Sell","v":"0.5","p":"100","L":"","RPI":true}]}';
    const ev = only<TradeEvent>(both.run(text));
    expect(both.tookFast).toBe(true);
    expect(ev).toStrictEqual({
      type: 'trade',
      symbol: 'BTCUSDT',
      ts: 5,
      recvTs: RECV,
      price: 100,
      size: 0.5,
      side: 'Sell',
      id: '',
      blockTrade: undefined,
      rpi: true,
      seq: undefined,
      tickDirection: undefined,
    });
  });

  test('when a ticker has "" and negative fields and no type, then a snapshot with just the numeric fields', () => {
    const both = new Both();
    const text = '{"topic":"tickers.X","ts":2,"data":{"symbol":"X","fundingRate":"-0.005","nextFundingTime":"","preOpenPrice":"","lastPrice":"1.25"}}';
    const ev = only<TickerEvent>(both.run(text));
    expect(both.tookFast).toBe(true);
    expect(ev).toStrictEqual({ type: 'ticker', symbol: 'X', kind: 'snapshot', ts: 2, recvTs: RECV, fields: { lastPrice: 1.25, fundingRate: -0.005 } });
  });

  test('when numbers exceed the exact fast path (17+ digits, 23+ decimals, ≥ 2^53), then they still equal Number()', () => {
    const both = new Both();
    const strs = ['9007199254740993', '12345678901234567890.5', '0.12345678901234567890123456789', '1.7976931348623157', '0.1', '0.3', '123456.789'];
    const levels = strs.map((s) => `["1","${s}"]`).join(',');
    const text = `{"topic":"orderbook.50.X","type":"delta","ts":7,"data":{"b":[${levels}],"a":[],"u":3}}`;
    const ev = only<BookDeltaEvent>(both.run(text));
    expect(both.tookFast).toBe(true);
    expect(strs.map((s, k) => Object.is(ev.bids[2 * k + 1], Number(s)))).toEqual(strs.map(() => true));
  });

  test('when a frame arrives as a Buffer onto a non-empty out, then the fast path appends and returns the count', () => {
    const n = createNormalizer();
    const out: MarketEvent[] = [{ type: 'pong', reqId: undefined, recvTs: 1 }];
    const text = fixtureLines('ws_publicTrade.tardis.jsonl')[0];
    expect(n.normalizeInto(Buffer.from(text, 'utf8'), RECV, out)).toBe(3);
    expect(out).toHaveLength(4);
    expect(n.counters.fastDecoded).toBe(1);
  });
});

describe('fast scanner failure', () => {
  afterEach(() => jest.restoreAllMocks());

  test('when the scanner throws half-way through a frame, then the general path decodes it and nothing it pushed is kept', () => {
    const frame = fixtureLines('ws_orderbook.docs.jsonl')[0];
    const expected = createNormalizer({ fastPath: false }).normalize(frame, RECV);
    const broken = createNormalizer();
    jest.spyOn(FastScanner.prototype, 'scan').mockImplementation((_text, _recvTs, out) => {
      out.push({ type: 'pong', reqId: 'half-built', recvTs: RECV });
      throw new Error('scanner bug');
    });
    const out: MarketEvent[] = [];
    expect(broken.normalizeInto(frame, RECV, out)).toBe(expected.length);
    expect(out).toStrictEqual(expected);
    expect(broken.counters).toMatchObject({ fastDecodeErrors: 1, fastDecoded: 0, messages: 1 });
    expect(Object.values(broken.counters.malformed).every((n) => n === 0)).toBe(true);
  });
});
