import fc from 'fast-check';
import {
  type Kind,
  SUB_SIGNAL_FORMULAS,
  SUB_SIGNAL_LABELS,
  subSignalLabel,
  subSignalNote,
  subSignalReason,
  LIMITS,
  SCHEMA_VERSION,
  computeOverview,
  createKeys,
  decodeEnvelope,
  decodeSymbolsLenient,
  encodeEnvelope,
  encodeEnvelopeJson,
  formatPrice,
  isValidSymbol,
  makeEnvelope,
  tickDecimals,
} from '@confluence/contracts';
import { META, buildOverviewEnvelope, buildRow, buildSymbolsEnvelope } from '@confluence/testkit';

describe('keys', () => {
  test('when no prefix is given, then keys live under confluence:v1:', () => {
    const keys = createKeys();
    expect(keys.symbols()).toBe('confluence:v1:symbols');
    expect(keys.symbol('BTCUSDT')).toBe('confluence:v1:symbol:BTCUSDT');
    expect(keys.history('ETHUSDT')).toBe('confluence:v1:history:ETHUSDT');
    expect(keys.heartbeat()).toBe('confluence:v1:heartbeat');
  });

  test('when a prefix is configured, then every key uses it', () => {
    const keys = createKeys('staging:v1:');
    expect(keys.overview()).toBe('staging:v1:overview');
  });

  test('when a shard is given, then table, overview and heartbeat keys carry it and detail keys do not', () => {
    const keys = createKeys();
    expect(keys.symbols({ index: 1, count: 3 })).toBe('confluence:v1:symbols:shard:1of3');
    expect(keys.heartbeat({ index: 0, count: 1 })).toBe('confluence:v1:heartbeat');
  });

  test('when a symbol or prefix is invalid, then building a key throws instead of writing a bad key', () => {
    const keys = createKeys();
    expect(() => keys.symbol('btc usdt')).toThrow(/invalid symbol/);
    expect(() => keys.symbol('<script>')).toThrow(/invalid symbol/);
    expect(() => createKeys('has space')).toThrow(/invalid key prefix/);
  });

  test('symbol validation follows ^[A-Z0-9]{2,30}$', () => {
    expect(isValidSymbol('BTCUSDT')).toBe(true);
    expect(isValidSymbol('1000PEPEUSDT')).toBe(true);
    expect(isValidSymbol('B')).toBe(false);
    expect(isValidSymbol('A'.repeat(31))).toBe(false);
    expect(isValidSymbol('btcusdt')).toBe(false);
    expect(isValidSymbol(42)).toBe(false);
  });
});

describe('envelopes', () => {
  test('when an envelope is encoded and decoded, then it round-trips', () => {
    const env = buildSymbolsEnvelope(3);
    const decoded = decodeEnvelope('symbols', encodeEnvelope(env));
    expect(decoded).toEqual({ ok: true, envelope: env });
  });

  test('property: any valid row set round-trips through JSON and validation', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 30 }), fc.double({ min: 0, max: 100, noNaN: true }), (ids, score) => {
        const env = makeEnvelope('symbols', META, { rows: ids.map((i) => buildRow(i, { score })), pending: [], dropped: 0 });
        const decoded = decodeEnvelope('symbols', JSON.stringify(env));
        return decoded.ok && JSON.stringify(decoded.envelope) === JSON.stringify(env);
      }),
    );
  });

  test('when the value is not JSON, then it is rejected as not_json', () => {
    expect(decodeEnvelope('symbols', '{"schema":1,')).toMatchObject({ ok: false, reason: 'not_json' });
  });

  test('when the schema version is newer, then it is reported as newer_schema, not guessed at', () => {
    const env = { ...buildSymbolsEnvelope(1), schema: SCHEMA_VERSION + 1, data: { totally: 'different' } };
    expect(decodeEnvelope('symbols', JSON.stringify(env))).toMatchObject({ ok: false, reason: 'newer_schema', schema: SCHEMA_VERSION + 1 });
  });

  test('when the kind does not match the key, then it is rejected', () => {
    expect(decodeEnvelope('overview', JSON.stringify(buildSymbolsEnvelope(1)))).toMatchObject({ ok: false, reason: 'wrong_kind' });
  });

  test('when a row has an invalid symbol or a score out of range, then the data is rejected', () => {
    const bad = buildSymbolsEnvelope(2);
    bad.data.rows[1] = { ...bad.data.rows[1], symbol: '<script>alert(1)</script>' };
    expect(decodeEnvelope('symbols', JSON.stringify(bad))).toMatchObject({ ok: false, reason: 'bad_data' });
    const bad2 = buildSymbolsEnvelope(1);
    bad2.data.rows[0] = { ...bad2.data.rows[0], score: 101 };
    expect(decodeEnvelope('symbols', JSON.stringify(bad2))).toMatchObject({ ok: false, reason: 'bad_data' });
  });
});

describe('overview', () => {
  test('when rows are given, then breadth counts and movers follow them', () => {
    const rows = [
      buildRow(1, { symbol: 'AAUSDT', score: 75, direction: 'Bullish', change24h: 0.05, fundingRate: 0.0003 }),
      buildRow(2, { symbol: 'BBUSDT', score: 30, direction: 'Bearish', change24h: -0.02, fundingRate: -0.0001 }),
      buildRow(3, { symbol: 'CCUSDT', score: 50, direction: 'Neutral', change24h: 0.01, fundingRate: 0.0001 }),
      buildRow(4, { symbol: 'DDUSDT', score: null, direction: null, change24h: null }),
    ];
    const o = computeOverview(rows);
    expect(o.breadth).toEqual({ bullish: 1, bearish: 1, neutral: 1, meanScore: 51.7 });
    expect(o.symbolCount).toBe(4);
    expect(o.scoredCount).toBe(3);
    expect(o.gainers.map((m) => m.symbol)).toEqual(['AAUSDT', 'CCUSDT']);
    expect(o.losers.map((m) => m.symbol)).toEqual(['BBUSDT']);
    expect(o.strongest[0].symbol).toBe('AAUSDT');
    expect(o.weakest[0].symbol).toBe('BBUSDT');
    expect(o.fundingHighest[0].symbol).toBe('AAUSDT');
    expect(o.fundingLowest[0].symbol).toBe('BBUSDT');
  });
});

describe('encodeEnvelopeJson', () => {
  test('when data is already serialised, then the bytes equal a normal encode', () => {
    const env = buildSymbolsEnvelope(3);
    expect(encodeEnvelopeJson('symbols', META, JSON.stringify(env.data))).toBe(encodeEnvelope(env));
  });
});

describe('bounds of the schemas', () => {
  const meta = META;
  const cell = {
    samples: 1,
    directional: 1,
    hits: 1,
    hitRate: 1,
    baseRate: 0.5,
    skill: 0.5,
    skill95: null,
    blocks: 1,
    verdict: 'too_few',
    meanReturn: 0.01,
    medianReturn: 0.01,
  };
  const calibration = (horizons: string[], band = '≥70') => ({
    horizons,
    bands: [{ band, byHorizon: Object.fromEntries(horizons.map((h) => [h, cell])) }],
    components: [],
    totalSamples: 1,
    resolvedSamples: 1,
    since: null,
    method: { nonOverlapping: true, resamples: 400, minSamples: 30, minBlocks: 8, blockMinutes: { '1h': 120 } },
  });
  const decode = (kind: Kind, data: unknown) => decodeEnvelope(kind, JSON.stringify({ ...makeEnvelope(kind, meta, data as never) }));

  test('when a calibration value has the shape the analyzer writes, then it is accepted', () => {
    expect(decode('calibration', calibration(['15m', '1h', '4h'])).ok).toBe(true);
  });

  test('when a poisoned calibration names 10,000 horizons or a 1 MB band, then it is rejected as bad_data', () => {
    const many = decode('calibration', calibration(Array.from({ length: 10_000 }, (_, i) => `h${i}`)));
    expect(many).toMatchObject({ ok: false, reason: 'bad_data' });
    const long = decode('calibration', calibration(['1h'], 'x'.repeat(1_000_000)));
    expect(long).toMatchObject({ ok: false, reason: 'bad_data' });
  });

  test('when a list is longer than its bound, then the value is rejected (rows, timeline minutes, history points, alerts, movers)', () => {
    expect(decode('timeline', { minutes: Array.from({ length: LIMITS.timelineMinutes + 1 }, (_, i) => i * 60_000) })).toMatchObject({
      ok: false,
      reason: 'bad_data',
    });
    expect(decode('timeline', { minutes: Array.from({ length: 1441 }, (_, i) => i * 60_000) }).ok).toBe(true);
    expect(decode('history', { symbol: 'BTCUSDT', points: Array.from({ length: LIMITS.historyPoints + 1 }, (_, i) => [i, 50, 1]) })).toMatchObject({
      ok: false,
    });
    expect(decode('snapshot', { minute: 0, rows: Array.from({ length: LIMITS.rows + 1 }, (_, i) => buildRow(i)) })).toMatchObject({ ok: false });
    const overview = buildOverviewEnvelope(5).data;
    expect(decode('overview', { ...overview, gainers: Array.from({ length: LIMITS.movers + 1 }, () => overview.strongest[0]) })).toMatchObject({ ok: false });
    const table = JSON.stringify(
      makeEnvelope('symbols', meta, { rows: Array.from({ length: LIMITS.rows + 1 }, (_, i) => buildRow(i)), pending: [], dropped: 0 }),
    );
    expect(decodeSymbolsLenient(table)).toMatchObject({ ok: false, reason: 'bad_data' });
  });
});

describe('tick size and prices', () => {
  test('when a row carries a tick size, then it validates; an older producer without one still validates; a zero or negative one is rejected', () => {
    const env = buildSymbolsEnvelope(2);
    env.data.rows[0] = { ...env.data.rows[0], tickSize: 0.0000001 };
    const decoded = decodeEnvelope('symbols', JSON.stringify(env));
    expect(decoded.ok && decoded.envelope.data.rows.map((r) => r.tickSize)).toEqual([0.0000001, undefined]);
    for (const bad of [0, -0.1]) {
      const b = buildSymbolsEnvelope(1);
      b.data.rows[0] = { ...b.data.rows[0], tickSize: bad };
      expect(decodeEnvelope('symbols', JSON.stringify(b))).toMatchObject({ ok: false, reason: 'bad_data' });
    }
  });

  test('when a price is formatted at its tick size, then neighbouring ticks differ and thousands are separated', () => {
    expect(tickDecimals(0.1)).toBe(1);
    expect(tickDecimals(0.0000001)).toBe(7);
    expect(tickDecimals(0.005)).toBe(3);
    expect(tickDecimals(1)).toBe(0);
    expect(formatPrice(0.0124117, 0.0000001)).toBe('0.0124117');
    expect(formatPrice(0.0124118, 0.0000001)).toBe('0.0124118');
    expect(formatPrice(97412.5, 0.1)).toBe('97,412.5');
    expect(formatPrice(5.18, 0.001)).toBe('5.180');
    expect(formatPrice(0.3, 0.0001)).toBe('0.3000');
    expect(formatPrice(null, 0.1)).toBe('—');
    // No tick size known: a fixed number of decimals by magnitude, trailing zeros kept.
    expect(formatPrice(5.18)).toBe('5.1800');
    expect(formatPrice(97412.5)).toBe('97,412.50');
  });

  test('property: two prices one tick apart never format the same', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 10_000_000 }), (mant, exp, steps) => {
        const tick = mant * 10 ** -exp;
        const a = steps * tick;
        return formatPrice(a, tick) !== formatPrice(a + tick, tick);
      }),
    );
  });
});

describe('sub-signal catalogue', () => {
  it('when a producer writes a standard formula, then the detail carries null and a reader shows the formula again', () => {
    const formula = SUB_SIGNAL_FORMULAS.cci;
    expect(subSignalReason('cci', true, formula)).toBeNull();
    expect(subSignalNote({ name: 'cci', score: 61, reason: null })).toBe(formula);
    // A note of its own (a special case, why it is unavailable) is carried and shown as it is.
    expect(subSignalReason('cci', true, 'flat typical prices: CCI undefined → 50')).toBe('flat typical prices: CCI undefined → 50');
    expect(subSignalReason('cci', false, 'no 5m candles yet')).toBe('no 5m candles yet');
    expect(subSignalNote({ name: 'cci', score: null, reason: 'no 5m candles yet' })).toBe('no 5m candles yet');
    // Unavailable without a note, or a name this build does not know: nothing to show.
    expect(subSignalNote({ name: 'cci', score: null, reason: null })).toBeNull();
    expect(subSignalNote({ name: 'newSignal', score: 50, reason: null })).toBeNull();
  });

  it('when a sub-signal is named, then the label sent with it wins, else the catalogue words, else the identifier', () => {
    expect(subSignalLabel({ name: 'topImbalance' })).toBe('touch imbalance');
    expect(subSignalLabel({ name: 'topImbalance', label: 'top of book' })).toBe('top of book');
    expect(subSignalLabel({ name: 'newSignal' })).toBe('newSignal');
    for (const name of Object.keys(SUB_SIGNAL_FORMULAS)) expect(SUB_SIGNAL_LABELS).toHaveProperty(name);
  });
});
