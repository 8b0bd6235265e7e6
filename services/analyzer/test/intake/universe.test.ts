import fc from 'fast-check';
import { fnv1a32, inShard, isTradFi, selectUniverse, withHysteresis, type UniverseInstrument } from '../../src/intake/universe';
import { classify403 } from '../../src/intake/bybit/rest-client';
import { ConnectGate } from '../../src/intake/connect-gate';

const inst = (symbol: string, o: Partial<UniverseInstrument> = {}): UniverseInstrument => ({
  symbol,
  contractType: 'LinearPerpetual',
  status: 'Trading',
  quoteCoin: 'USDT',
  ...o,
});

const INSTRUMENTS: UniverseInstrument[] = [
  inst('BTCUSDT'),
  inst('ETHUSDT'),
  inst('SOLUSDT'),
  inst('XRPUSDT'),
  inst('BIOUSDT', { status: 'PreLaunch' }),
  inst('OLDUSDT', { status: 'Closed' }),
  inst('DELUSDT', { status: 'Delivering' }),
  inst('BTC-26DEC25', { contractType: 'LinearFutures', quoteCoin: 'USDC' }),
  inst('BTCUSDT-26DEC25', { contractType: 'LinearFutures' }),
  inst('BTCPERP', { quoteCoin: 'USDC' }),
  inst('DOGEUSDT'),
];
const TURNOVER = new Map([
  ['BTCUSDT', 5e9],
  ['ETHUSDT', 3e9],
  ['SOLUSDT', 1e9],
  ['XRPUSDT', 2e9],
  ['BIOUSDT', 9e12],
  ['OLDUSDT', 9e12],
  ['BTCPERP', 9e12],
  ['BTCUSDT-26DEC25', 9e12],
  // DOGEUSDT: no ticker → ranks last
]);

describe('universe selection (pure)', () => {
  test('when instruments state a tick size, then the selection carries it for each selected symbol only', () => {
    const r = selectUniverse(
      [
        inst('BTCUSDT', { priceFilter: { tickSize: 0.1 } }),
        inst('1000PEPEUSDT', { priceFilter: { tickSize: 0.0000001 } }),
        inst('XRPUSDT', { priceFilter: {} }),
        inst('ETHUSDT', { priceFilter: { tickSize: 0.01 } }),
      ],
      TURNOVER,
      { topSymbols: 0, symbols: ['BTCUSDT', '1000PEPEUSDT', 'XRPUSDT'] },
    );
    expect(Object.fromEntries(r.tickSizes)).toEqual({ BTCUSDT: 0.1, '1000PEPEUSDT': 0.0000001 });
  });

  test('when ranking, then only Trading linear USDT perpetuals count, by 24 h turnover descending', () => {
    expect(selectUniverse(INSTRUMENTS, TURNOVER, { topSymbols: 10 }).symbols).toEqual(['BTCUSDT', 'ETHUSDT', 'XRPUSDT', 'SOLUSDT', 'DOGEUSDT']);
  });

  test('when N is smaller than the eligible set, then the top N are taken', () => {
    expect(selectUniverse(INSTRUMENTS, TURNOVER, { topSymbols: 2 }).symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  test('when turnovers tie, then the order is by name (deterministic)', () => {
    const r = selectUniverse(
      [inst('BBUSDT'), inst('AAUSDT'), inst('CCUSDT')],
      new Map([
        ['AAUSDT', 1],
        ['BBUSDT', 1],
        ['CCUSDT', 1],
      ]),
      { topSymbols: 3 },
    );
    expect(r.symbols).toEqual(['AAUSDT', 'BBUSDT', 'CCUSDT']);
  });

  test('when an explicit list is given, then it is validated against instruments: unknown / not trading / not USDT perp are skipped with a reason', () => {
    const r = selectUniverse(INSTRUMENTS, TURNOVER, { topSymbols: 1, symbols: ['solusdt', 'NOPEUSDT', 'BIOUSDT', 'BTCPERP', 'BTCUSDT', 'SOLUSDT', 'bad-sym'] });
    expect(r.symbols).toEqual(['SOLUSDT', 'BTCUSDT']);
    expect(r.skipped).toEqual([
      { symbol: 'NOPEUSDT', reason: 'unknown_symbol' },
      { symbol: 'BIOUSDT', reason: 'not_trading' },
      { symbol: 'BTCPERP', reason: 'not_usdt_perpetual' },
      { symbol: 'BAD-SYM', reason: 'invalid_symbol' },
    ]);
  });

  test('FNV-1a matches the reference vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  test('when sharded, then each shard gets a deterministic slice and the shards together are exactly the unsharded selection', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[A-Z0-9]{2,8}USDT$/), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 100 }),
        (names, count, top) => {
          const instruments = names.map((n) => inst(n));
          const turnover = new Map(names.map((n, i) => [n, (i * 7919) % 1000]));
          const all = selectUniverse(instruments, turnover, { topSymbols: top }).symbols;
          const slices = Array.from(
            { length: count },
            (_, index) => selectUniverse(instruments, turnover, { topSymbols: top, shard: { index, count } }).symbols,
          );
          const union = slices.flat();
          expect(new Set(union).size).toBe(union.length); // disjoint
          expect([...union].sort()).toEqual([...all].sort()); // complete
          // Independent of rank: membership depends only on the name.
          slices.forEach((slice, index) => {
            for (const s of slice) expect(inShard(s, { index, count })).toBe(true);
          });
          // Deterministic.
          expect(selectUniverse(instruments, turnover, { topSymbols: top, shard: { index: 0, count } }).symbols).toEqual(slices[0]);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('when a shard is applied to an explicit list, then only its slice is kept', () => {
    const list = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'];
    const a = selectUniverse(INSTRUMENTS, TURNOVER, { topSymbols: 0, symbols: list, shard: { index: 0, count: 2 } }).symbols;
    const b = selectUniverse(INSTRUMENTS, TURNOVER, { topSymbols: 0, symbols: list, shard: { index: 1, count: 2 } }).symbols;
    expect([...a, ...b].sort()).toEqual([...list].sort());
    expect(a.filter((s) => b.includes(s))).toEqual([]);
  });

  test('when instruments state their funding interval, then the selection carries it for the selected symbols only', () => {
    const list = [inst('AAUSDT', { fundingInterval: 60 }), inst('BBUSDT', { fundingInterval: 240 }), inst('CCUSDT'), inst('DDUSDT', { fundingInterval: 480 })];
    const sel = selectUniverse(
      list,
      new Map([
        ['AAUSDT', 4],
        ['BBUSDT', 3],
        ['CCUSDT', 2],
        ['DDUSDT', 1],
      ]),
      { topSymbols: 3 },
    );
    expect(sel.symbols).toEqual(['AAUSDT', 'BBUSDT', 'CCUSDT']);
    expect([...sel.fundingIntervals]).toEqual([
      ['AAUSDT', 60],
      ['BBUSDT', 240],
    ]);
  });
});

describe('universe hysteresis and non-crypto perpetuals', () => {
  const ranked = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
  const t = (m: Record<string, number>) => (s: string) => m[s] ?? 0;
  const turn = t({ A: 100, B: 90, C: 80, D: 70, E: 60, F: 50, G: 40 });

  test('when there is no current universe, then the plain top N', () => {
    expect(withHysteresis(ranked, turn, 3, [])).toEqual(['A', 'B', 'C']);
  });

  test('when a member slips just below the cut, then it stays; when it falls below 1.5 × N, then it goes', () => {
    // D now ranks 3rd and C 4th, within ceil(1.5 × 3) = 5: C stays, and D (70 < 1.25 × 65) does not displace it.
    const slipped = ['A', 'B', 'D', 'C', 'E', 'F', 'G'];
    expect(withHysteresis(slipped, t({ A: 100, B: 90, D: 70, C: 65, E: 60 }), 3, ['A', 'B', 'C'])).toEqual(['A', 'B', 'C']);
    const fell = ['A', 'B', 'D', 'E', 'F', 'C', 'G'];
    expect(withHysteresis(fell, t({ A: 100, B: 90, D: 70, E: 60, F: 50, C: 45 }), 3, ['A', 'B', 'C'])).toEqual(['A', 'B', 'D']);
  });

  test("when a newcomer has at least 1.25 × the weakest member's turnover, then it takes that place", () => {
    const jumped = ['X', 'A', 'B', 'C'];
    expect(withHysteresis(jumped, t({ X: 200, A: 100, B: 90, C: 80 }), 3, ['A', 'B', 'C'])).toEqual(['X', 'A', 'B']);
  });

  test('when a selection runs every refresh on shuffled turnover, then the size never exceeds N and members are in the eligible list', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 1e9, noNaN: true }), { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 20 }),
        (rounds) => {
          let current: string[] = [];
          const names = Array.from({ length: 12 }, (_, i) => `S${i}USDT`);
          for (const r of rounds) {
            const m = new Map(names.map((s, i) => [s, r[i]]));
            const sel = selectUniverse(
              names.map((s) => inst(s)),
              m,
              { topSymbols: 5, current },
            );
            expect(sel.symbols.length).toBe(5);
            expect(new Set(sel.symbols).size).toBe(5);
            current = sel.ranked;
          }
        },
      ),
    );
  });

  test('when instruments carry a non-crypto symbolType (or are precious metals), then they are excluded unless included', () => {
    const list = [
      inst('BTCUSDT'),
      inst('XAUUSDT', { symbolType: 'commodity', baseCoin: 'XAU' }),
      inst('NVDAUSDT', { symbolType: 'stock' }),
      inst('XAGUSDT', { baseCoin: 'XAG' }),
      inst('SOLUSDT', { symbolType: 'innovation' }),
    ];
    expect(list.map(isTradFi)).toEqual([false, true, true, true, false]);
    const m = new Map([
      ['BTCUSDT', 5],
      ['XAUUSDT', 4],
      ['NVDAUSDT', 3],
      ['XAGUSDT', 2],
      ['SOLUSDT', 1],
    ]);
    expect(selectUniverse(list, m, { topSymbols: 3 }).symbols).toEqual(['BTCUSDT', 'SOLUSDT']);
    expect(selectUniverse(list, m, { topSymbols: 3, includeTradFi: true }).symbols).toEqual(['BTCUSDT', 'XAUUSDT', 'NVDAUSDT']);
  });
});

describe('403 classification and the connection gate', () => {
  const res = (body: string, headers: Record<string, string> = {}) => ({ status: 403, body, headers });

  test.each([
    ['<!DOCTYPE HTML><H1>403 ERROR</H1>The Amazon CloudFront distribution is configured to block access from your country.', {}, 'access_blocked'],
    ['{"retCode":10024,"retMsg":"Due to compliance requirements, the current IP is restricted in your region."}', {}, 'access_blocked'],
    ['Forbidden', { 'content-type': 'text/html' }, 'access_blocked'],
    ['access too frequent', {}, 'rate_limited'],
    ['', { 'x-bapi-limit-status': '0' }, 'rate_limited'],
    ['', {}, 'rate_limited'],
  ] as [string, Record<string, string>, string][])('when a 403 says %j, then it is %s', (body, headers, expected) => {
    expect(classify403(res(body, headers))).toBe(expected);
  });

  test('when attempts exceed the budget of the window, then the gate defers them until the oldest leaves the window', () => {
    let now = 0;
    const g = new ConnectGate(3, 1_000, () => now);
    expect([g.reserve(), g.reserve(), g.reserve()]).toEqual([0, 0, 0]);
    now = 400;
    expect(g.reserve()).toBe(600);
    now = 1_000;
    expect(g.reserve()).toBe(0);
    expect({ granted: g.granted, deferred: g.deferred, inWindow: g.inWindow }).toEqual({ granted: 4, deferred: 1, inWindow: 1 });
  });
  test('when TOP_SYMBOLS is "all" (LIMITS.rows), then every eligible instrument is tracked, refresh after refresh', () => {
    const names = Array.from({ length: 800 }, (_, k) => `S${String(k).padStart(3, '0')}USDT`);
    const list = [...names.map((s) => inst(s)), inst('OLDUSDT', { status: 'Closed' }), inst('XAUUSDT', { symbolType: 'commodity', baseCoin: 'XAU' })];
    const turnover = new Map(names.map((s, k) => [s, 1_000 - k]));
    const first = selectUniverse(list, turnover, { topSymbols: 2_000 });
    expect(first.symbols).toEqual(names);
    // A reshuffled ranking never drops a member when the cut is above the eligible count.
    const shuffled = new Map(names.map((s, k) => [s, (k * 7919) % 1_000]));
    expect(new Set(selectUniverse(list, shuffled, { topSymbols: 2_000, current: first.ranked }).symbols)).toEqual(new Set(names));
  });
});
