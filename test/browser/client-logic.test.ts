import fc from 'fast-check';
import { type Status, type SymbolRow, formatPrice } from '@confluence/contracts';

/**
 * The dashboard's pure modules (status words, formatting, sorting, the minimal-move reorder), tested without a
 * browser. They are ES modules with browser-style `.js` imports, so the test loads the compiled output
 * (`npx tsc -b services/web/client`) through the web's package exports, which jest's swc transform turns into CommonJS.
 */
const statusText = require('@confluence/web/client/status-text') as typeof import('@confluence/web/client/status-text');
const format = require('@confluence/web/client/format') as typeof import('@confluence/web/client/format');
const model = require('@confluence/web/client/table-model') as typeof import('@confluence/web/client/table-model');
const table = require('@confluence/web/client/symbols-table') as typeof import('@confluence/web/client/symbols-table');

function status(over: Partial<Status>): Status {
  return {
    state: 'ok',
    simulated: false,
    feedDown: false,
    replayFinished: false,
    source: 'live',
    generation: 10,
    dataAgeMs: 500,
    heartbeatAgeMs: 500,
    feedAgeMs: 100,
    message: 'Live',
    cacheCheckedAt: 0,
    warmup: null,
    shards: null,
    rejected: [],
    now: 1_000_000,
    ...over,
  };
}

function row(symbol: string, score: number | null, over: Partial<SymbolRow> = {}): SymbolRow {
  return {
    symbol,
    score,
    direction: score === null ? null : score >= 60 ? 'Bullish' : score <= 40 ? 'Bearish' : 'Neutral',
    strength: null,
    confidence: 0.5,
    price: 1,
    change24h: 0,
    turnover24h: 1,
    volume24h: 1,
    fundingRate: 0,
    openInterest: 1,
    openInterestValue: 1,
    components: { technical: 50, volume: 50, orderflow: 50, orderbook: 50, structure: 50, sentiment: 50 },
    updatedAt: 0,
    dataOk: true,
    lastMove: null,
    ...over,
  };
}

const lines = (s: Status): string[] => {
  const v = statusText.describeStatus(s);
  return [...(v.headline ? [v.headline.text] : []), ...v.extras.map((e) => e.text)];
};

describe('status in plain words', () => {
  test('when fresh, then no banner line at all', () => {
    expect(lines(status({}))).toEqual([]);
  });

  test('when each state and flag is set, then the sentence says what it means, with the age', () => {
    expect(lines(status({ state: 'warming_up', warmup: { done: 7, total: 15 } }))).toEqual(['Analyzer warming up — 7/15 symbols backfilled']);
    expect(lines(status({ state: 'no_data', dataAgeMs: null }))).toEqual(["Waiting for the analyzer's first publish"]);
    expect(lines(status({ state: 'stale', dataAgeMs: 125_000 }))).toEqual(['Analyzer stale — showing data from 2 min ago']);
    expect(lines(status({ state: 'cache_unreachable', dataAgeMs: 40_000 }))).toEqual(['Cache unreachable — showing last known data from 40 s ago']);
    expect(lines(status({ feedDown: true, feedAgeMs: 40_400 }))).toEqual(['Bybit unreachable — retrying, last message 40 s ago']);
    // An access block is named as such, instead of (not beside) "unreachable"; repairs are their own line.
    expect(lines(status({ feedDown: true, exchangeBlocked: true }))).toEqual(["Bybit refuses this server's IP (HTTP 403) — retrying"]);
    expect(lines(status({ repairing: 3 }))).toEqual(['Repairing candles of 3 symbols after a gap']);
    expect(lines(status({ rejected: [{ key: 'confluence:v1:symbols', reason: 'newer_schema', message: 'schema 2 is newer' }] }))).toEqual([
      '1 value in the cache has an unknown schema — not shown',
    ]);
    expect(
      lines(
        status({
          shards: [
            { index: 0, count: 2, state: 'ok', heartbeatAgeMs: 100, symbolCount: 8 },
            { index: 1, count: 2, state: 'missing', heartbeatAgeMs: null, symbolCount: 0 },
          ],
        }),
      ),
    ).toEqual(['Shard 1/2 missing — its symbols are not in the table']);
  });

  test('when time passes between status events, then every age advances with it', () => {
    const later = statusText.advanceAges(status({ state: 'stale', dataAgeMs: 10_000, feedAgeMs: 1000 }), 5000);
    expect(later.dataAgeMs).toBe(15_000);
    expect(later.feedAgeMs).toBe(6000);
    expect(lines(later)).toEqual(['Analyzer stale — showing data from 15 s ago']);
  });

  test('when a state is unknown to this page, then the server sentence is shown', () => {
    expect(lines(status({ state: 'brand_new' as Status['state'], message: 'Something new' }))).toEqual(['Something new']);
  });
});

describe('formatting', () => {
  test('when numbers are formatted, then signs, units and precision suit a trading screen', () => {
    expect(format.fmtPct(0.0123)).toBe('+1.23%');
    expect(format.fmtPct(-0.05)).toBe('−5.00%');
    expect(format.fmtPct(0)).toBe('0.00%');
    expect(format.fmtFunding(0.0001)).toBe('+0.0100%');
    expect(format.fmtPrice(97412.5)).toBe('97,412.50');
    expect(format.fmtPrice(0.0012345)).toBe('0.0012345');
    expect(format.fmtCompact(1_234_567)).toBe('1.23M');
    expect(format.fmtCompact(21e9, '$')).toBe('$21.0B');
    expect(format.fmtScore(null)).toBe('—');
    expect(format.fmtAge(400)).toBe('<1 s');
    expect(format.fmtAge(65 * 60_000)).toBe('1 h 5 min');
    // Contribution points: never an exponent, and a small non-zero one does not read as 0.
    expect(format.fmtPoints(-0.05)).toBe('−0.05');
    expect(format.fmtPoints(5.94)).toBe('5.9');
    expect(format.fmtPoints(-2.66)).toBe('−2.7');
    expect(format.fmtPoints(0)).toBe('0');
  });
});

describe('prices at the tick size', () => {
  test('when PEPE-like and BTC-like prices are shown, then neighbouring ticks differ and thousands are separated', () => {
    expect(format.fmtPrice(0.0124117, 0.0000001)).toBe('0.0124117');
    expect(format.fmtPrice(0.0124118, 0.0000001)).toBe('0.0124118');
    expect(format.fmtPrice(97412.5, 0.1)).toBe('97,412.5');
    expect(format.fmtPrice(97412, 0.1)).toBe('97,412.0');
    // NEAR at 0.001: 5.180 stays 5.180 (no flip to 5.18); ADA at 0.0001 gets no fake fifth decimal.
    expect(format.fmtPrice(5.18, 0.001)).toBe('5.180');
    expect(format.fmtPrice(0.9512, 0.0001)).toBe('0.9512');
  });

  test('property: the dashboard and the analyzer (alert texts) format every price the same way', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-8, max: 1e6, noNaN: true }), fc.option(fc.constantFrom(0.1, 0.01, 0.5, 0.0001, 0.0000001, 0.005, 1)), (p, tick) => {
        return format.fmtPrice(p, tick ?? undefined) === formatPrice(p, tick ?? undefined);
      }),
    );
  });
});

describe('the pill and the not-live state', () => {
  test('when the exchange feed is down, then the pill is not a green "Live" and the data is not live', () => {
    expect(statusText.pillFor(status({}))).toEqual({ text: 'Live · <1 s old', tone: 'ok' });
    expect(statusText.pillFor(status({ feedDown: true, feedAgeMs: 31_000 }))).toEqual({ text: 'Bybit feed down · last message 31 s ago', tone: 'error' });
    expect(statusText.pillFor(status({ state: 'stale', dataAgeMs: 45_000 }))).toEqual({ text: 'Analyzer stale · data 45 s old', tone: 'warn' });
    expect(statusText.pillFor(status({ state: 'cache_unreachable', dataAgeMs: 45_000 }))).toEqual({ text: 'Cache down · data 45 s old', tone: 'error' });
    expect(statusText.notLiveReason(status({}))).toBeNull();
    expect(statusText.notLiveReason(status({ state: 'warming_up' }))).toBeNull();
    expect(statusText.notLiveReason(status({ feedDown: true, feedAgeMs: 31_000 }))).toBe('Bybit unreachable — retrying, last message 31 s ago');
    expect(statusText.notLiveReason(status({ state: 'stale', dataAgeMs: 45_000 }))).toBe('Analyzer stale — showing data from 45 s ago');
  });

  test('when the analyzer is behind, then the pill and the banner say how often a table comes, and the data is still live', () => {
    const behind = status({ behind: { cycleMs: 4_700, intervalMs: 1_000 }, dataAgeMs: 3_200 });
    expect(statusText.pillFor(behind)).toEqual({ text: 'Live, behind · a table every 4 s', tone: 'warn' });
    const v = statusText.describeStatus(behind);
    expect(v.headline).toBeNull();
    expect(v.extras.map((l) => [l.level, l.text])).toEqual([['warn', 'Analyzer behind — a table about every 4 s instead of every 1 s']]);
    expect(v.extras[0].detail).toMatch(/TOP_SYMBOLS|SHARD/);
    expect(statusText.notLiveReason(behind)).toBeNull();
  });
});

describe('table model', () => {
  test('when sorted by score, then missing scores go last in either order, ties by symbol', () => {
    const rows = [row('BBB', 50), row('AAA', null), row('CCC', 70), row('DDD', 50)];
    expect(model.sortRows(rows, 'score', 'desc').map((r) => r.symbol)).toEqual(['CCC', 'BBB', 'DDD', 'AAA']);
    expect(model.sortRows(rows, 'score', 'asc').map((r) => r.symbol)).toEqual(['BBB', 'DDD', 'CCC', 'AAA']);
  });

  test('when filtered, then direction and text both apply, case-insensitively', () => {
    const rows = [row('BTCUSDT', 70), row('ETHUSDT', 30), row('ETHBTC', 65)];
    expect(model.applyQuery(rows, { sort: 'symbol', order: 'asc', direction: 'Bullish', text: 'eth' }).map((r) => r.symbol)).toEqual(['ETHBTC']);
  });

  test('when the published label changes, then the new tone is reported; the table never re-thresholds a score', () => {
    expect(model.crossedInto('Neutral', 'Bullish')).toBe('bull');
    expect(model.crossedInto('Neutral', 'Bearish')).toBe('bear');
    expect(model.crossedInto('Bullish', 'Neutral')).toBe('neutral');
    expect(model.crossedInto('Bullish', 'Bullish')).toBeNull();
    expect(model.crossedInto(null, 'Bullish')).toBeNull();
    // A score of 61 still labelled Neutral (the engine's hysteresis) is neutral in colour.
    expect(model.toneOf('Neutral')).toBe('neutral');
  });

  test('when scores wobble inside the noise, then the order holds; a move past it re-sorts', () => {
    const held = new Map<string, number | string | null>();
    const order = (rows: SymbolRow[]) => model.stableSortRows(rows, 'score', 'desc', held).map((r) => r.symbol);
    expect(order([row('AAA', 55), row('BBB', 54.5), row('CCC', 40)])).toEqual(['AAA', 'BBB', 'CCC']);
    // BBB now leads by 0.7 (each moved less than a point): nothing moves.
    expect(order([row('AAA', 54.6), row('BBB', 55.3), row('CCC', 40.9)])).toEqual(['AAA', 'BBB', 'CCC']);
    expect(order([row('AAA', 55.4), row('BBB', 54.2), row('CCC', 40.2)])).toEqual(['AAA', 'BBB', 'CCC']);
    // BBB really moved (+2.5 from where it was placed): it goes first.
    expect(order([row('AAA', 55), row('BBB', 57), row('CCC', 40)])).toEqual(['BBB', 'AAA', 'CCC']);
    // CCC jumps from 40 to 70: first at once.
    expect(order([row('AAA', 55), row('BBB', 57), row('CCC', 70)])).toEqual(['CCC', 'BBB', 'AAA']);
  });

  test('property: the held order never disagrees with the live one by more than the noise', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 20 }), (gens) => {
        const held = new Map<string, number | string | null>();
        for (const scores of gens) {
          const rows = scores.map((v, i) => row(`S${i}USDT`, v));
          const out = model.stableSortRows(rows, 'score', 'desc', held);
          for (let i = 1; i < out.length; i++) if ((out[i].score as number) - (out[i - 1].score as number) > 2 + 1e-9) return false;
        }
        return true;
      }),
    );
  });
  test('when rows reorder, then the rows kept in place form a longest increasing run of old positions', () => {
    const cases: number[][] = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2, 5, 4], [4, -1, 0, 1, 2, 3], []];
    for (const positions of cases) {
      const stay = [...table.stableRows(positions)].sort((a, b) => a - b);
      const kept = stay.map((i) => positions[i]);
      expect(kept.every((p, i) => p >= 0 && (i === 0 || p > kept[i - 1]))).toBe(true);
      // Brute-force longest increasing subsequence length for comparison.
      const best = positions.map(() => 0);
      positions.forEach((p, i) => {
        if (p < 0) return;
        best[i] = 1 + Math.max(0, ...positions.slice(0, i).map((q, j) => (q >= 0 && q < p ? best[j] : 0)));
      });
      expect(stay.length).toBe(Math.max(0, ...best));
    }
  });
});

describe('one set of sort rules: the API and the dashboard order the same rows the same way', () => {
  const { applySymbolsQuery } = require('@confluence/web/query') as typeof import('@confluence/web/query');
  const rules = require('@confluence/contracts/rules') as typeof import('@confluence/contracts/rules');
  const serverOrder = (rows: SymbolRow[], sort: import('@confluence/contracts/rules').SortKey, order?: 'asc' | 'desc') =>
    applySymbolsQuery(rows, { sort, order }).map((r) => r.symbol);
  const clientOrder = (rows: SymbolRow[], sort: import('@confluence/contracts/rules').SortKey, order: 'asc' | 'desc') =>
    model.applyQuery(rows, { sort, order, direction: 'all', text: '' }).map((r) => r.symbol);

  test('when sorted by direction, OI and funding, then both use the dashboard rules: rank, quote currency, per 8 h', () => {
    const rows = [
      // Alphabetical direction order would be Bearish, Bullish, Neutral; by rank (desc) it is Bullish, Neutral, Bearish.
      row('AAAUSDT', 35, {
        openInterest: 1_000,
        price: 2,
        openInterestValue: null,
        fundingRate: 0.0001,
        funding: { rate8h: 0.0008, intervalMinutes: 60, nextFundingTime: null },
      }),
      row('BBBUSDT', 75, {
        openInterest: 10,
        price: 1_000,
        openInterestValue: null,
        fundingRate: 0.0005,
        funding: { rate8h: 0.0005, intervalMinutes: 480, nextFundingTime: null },
      }),
      row('CCCUSDT', 50, { openInterest: 100, price: 5, openInterestValue: null, fundingRate: 0.0002, funding: null }),
    ];
    for (const order of [serverOrder(rows, 'direction'), clientOrder(rows, 'direction', 'desc')]) expect(order).toEqual(['BBBUSDT', 'CCCUSDT', 'AAAUSDT']);
    // 10 contracts at 1,000 (10,000 USDT) outrank 1,000 contracts at 2 (2,000 USDT) and 100 at 5 (500 USDT).
    for (const order of [serverOrder(rows, 'openInterest'), clientOrder(rows, 'openInterest', 'desc')])
      expect(order).toEqual(['BBBUSDT', 'AAAUSDT', 'CCCUSDT']);
    // 0.01 % per hour is 0.08 % per 8 h: more than 0.05 % per 8 h, though its printed rate is smaller.
    for (const order of [serverOrder(rows, 'fundingRate'), clientOrder(rows, 'fundingRate', 'desc')]) expect(order).toEqual(['AAAUSDT', 'BBBUSDT', 'CCCUSDT']);
  });

  test('property: for every sort key and order, the API answers the order the dashboard shows', () => {
    const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
    const score = maybe(fc.integer({ min: 0, max: 100 }));
    const arbRow = fc
      .record({
        score,
        direction: maybe(fc.constantFrom('Bullish' as const, 'Bearish' as const, 'Neutral' as const)),
        price: maybe(fc.constantFrom(0.5, 1, 2, 100, 30_000)),
        openInterest: maybe(fc.constantFrom(1, 10, 1_000)),
        openInterestValue: fc.option(fc.constantFrom(10, 500, 20_000), { nil: undefined }),
        fundingRate: maybe(fc.constantFrom(-0.0001, 0, 0.0001, 0.0005)),
        rate8h: fc.option(fc.constantFrom(-0.0008, 0, 0.0004, 0.0008), { nil: undefined }),
        change24h: maybe(fc.constantFrom(-0.1, 0, 0.05)),
        components: fc.record({ technical: score, volume: score, orderflow: score, orderbook: score, structure: score, sentiment: score }),
        scoreChange15m: fc.option(maybe(fc.integer({ min: -20, max: 20 })), { nil: undefined }),
        directionSince: fc.option(maybe(fc.constantFrom(1_000, 2_000, 3_000)), { nil: undefined }),
        delta: fc.option(fc.integer({ min: -20, max: 20 }), { nil: undefined }),
      })
      .map((g) => ({
        ...g,
        funding: g.rate8h === undefined ? null : { rate8h: g.rate8h, intervalMinutes: 60, nextFundingTime: null },
        lastMove: g.delta === undefined ? null : { at: 0, from: 50, to: 50 + g.delta, delta: g.delta, summary: '', parts: [] },
      }));
    fc.assert(
      fc.property(fc.array(arbRow, { minLength: 1, maxLength: 12 }), (gen) => {
        const rows = gen.map(({ rate8h: _r, delta: _d, ...g }, i) => row(`S${String(i).padStart(2, '0')}USDT`, g.score, g as Partial<SymbolRow>));
        for (const key of rules.SORT_KEYS) {
          for (const order of ['asc', 'desc'] as const) {
            expect({ key, order, server: serverOrder(rows, key, order) }).toEqual({ key, order, server: clientOrder(rows, key, order) });
          }
          // Without `order` the API uses the order the dashboard's first click uses.
          expect(serverOrder(rows, key)).toEqual(clientOrder(rows, key, model.defaultOrder(key)));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('when the API is asked for a key, then it is one of the shared rules, and no inherited name passes as one', () => {
    expect(rules.SORT_KEYS).toEqual(expect.arrayContaining(['direction', 'openInterest', 'fundingRate', 'symbol', 'score', ...rules.COMPONENT_NAMES]));
    expect(rules.isSortKey('direction')).toBe(true);
    expect(rules.isSortKey('__proto__')).toBe(false);
    expect(rules.isSortKey('toString')).toBe(false);
  });
});
