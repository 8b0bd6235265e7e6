import { tradeCount } from '@confluence/confluence';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@confluence/logger';
import { createIntake, type Intake, type IntakeOptions } from '../../src/intake/intake';
import { topicsForSymbol } from '@confluence/bybit-wire';
import { CANDLES_PER_TIMEFRAME } from '../../src/state/candles';
import { DEFAULT_LIMITS } from '../../src/state/market-store';
import { syntheticFrames } from '@confluence/testkit';
import { startFakeExchange, type FakeExchange } from './fake-exchange';
import { waitFor } from './helpers';

jest.setTimeout(30_000);

let fx: FakeExchange | undefined;
const intakes: Intake[] = [];
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'intake-test-'));
});

afterEach(async () => {
  const ex = fx;
  fx = undefined;
  try {
    await Promise.all(intakes.splice(0).map((i) => i.stop()));
    if (ex) await waitFor(() => ex.ws.clients().length === 0, 2_000, 'server sockets closed');
  } finally {
    await ex?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

function make(o: Partial<IntakeOptions>): Intake {
  const intake = createIntake({
    wsUrl: fx!.ws.url,
    restUrl: fx!.http.url,
    topSymbols: 3,
    universeRefreshMs: 60_000,
    logger: silentLogger(),
    source: 'sim',
    timing: {
      pingIntervalMs: 500,
      pongTimeoutMs: 1_000,
      backoffBaseMs: 20,
      backoffMaxMs: 200,
      resyncRetryMs: 500,
      warmupRetryBaseMs: 30,
      pollIntervalMs: 60_000,
    },
    ...o,
  });
  intakes.push(intake);
  return intake;
}

const book = (symbol: string, type: 'snapshot' | 'delta', u: number, ts: number, bids: [string, string][], asks: [string, string][]) =>
  JSON.stringify({ topic: `orderbook.50.${symbol}`, type, ts, data: { s: symbol, b: bids, a: asks, u, seq: u }, cts: ts });

/** The WebSocket pool and the decoding in the main thread, or in the intake thread (ANALYZER_INTAKE_THREAD). */
const POOLS = [
  ['pool in the main thread', false],
  ['pool in the intake thread', true],
] as const;

describe('intake against a fake exchange (sim source)', () => {
  test.each(POOLS)(
    'when started, then the top N universe is subscribed, warmed up, and live data reaches the snapshot; resync and reconnect work (%s)',
    async (_, intakeThread) => {
      fx = await startFakeExchange();
      let snapU = 100;
      fx.onSubscribe = (topic, socket) => {
        if (topic.startsWith('orderbook.')) socket.send(book(topic.split('.')[2], 'snapshot', ++snapU, Date.now(), [['10.0', '1']], [['10.1', '1']]));
      };
      const universes: (readonly string[])[] = [];
      const intake = make({ universeRefreshMs: 60_000, intakeThread });
      intake.on('universe', (s) => universes.push(s));
      await intake.start();
      expect(intake.symbols()).toEqual(['AAAUSDT', 'BBBUSDT', 'CCCUSDT']);
      expect(universes).toEqual([['AAAUSDT', 'BBBUSDT', 'CCCUSDT']]);
      await waitFor(() => fx!.subscribedTopics().length === 24, 5_000, 'subscriptions');
      await waitFor(() => intake.health().warmup.complete, 5_000, 'warm-up');

      const s = intake.snapshot('AAAUSDT')!;
      // The backfill fills the store: every closed candle it has room for (one slot stays for the forming candle).
      expect(s.candles['1m'].length).toBe(CANDLES_PER_TIMEFRAME - 1);
      expect(s.candles['4h'].length).toBe(CANDLES_PER_TIMEFRAME - 1);
      expect(s.candles['1m'].every((c) => c.confirmed)).toBe(true);
      // The fake exchange serves 200 / 100 / 50 points; the store keeps the newest its bounds allow.
      expect(s.openInterest).toHaveLength(DEFAULT_LIMITS.openInterestMax);
      expect(s.longShort).toHaveLength(DEFAULT_LIMITS.longShortMax);
      expect(s.funding).toHaveLength(DEFAULT_LIMITS.fundingMax);
      expect(s.book).toMatchObject({ synced: true, bids: [[10, 1]], asks: [[10.1, 1]] });

      // Live data.
      const now = Date.now();
      fx.push(
        'tickers.AAAUSDT',
        JSON.stringify({ topic: 'tickers.AAAUSDT', type: 'snapshot', ts: now, cs: 1, data: { symbol: 'AAAUSDT', lastPrice: '10.05', openInterest: '1234' } }),
      );
      fx.push(
        'publicTrade.AAAUSDT',
        JSON.stringify({ topic: 'publicTrade.AAAUSDT', type: 'snapshot', ts: now, data: [{ T: now, s: 'AAAUSDT', S: 'Sell', v: '3', p: '10.0', i: 'a' }] }),
      );
      await waitFor(() => tradeCount(intake.snapshot('AAAUSDT')!.trades) === 1 && intake.symbolStatus('AAAUSDT')!.warm, 3_000, 'live data');
      expect(intake.snapshot('AAAUSDT')!.ticker).toMatchObject({ lastPrice: 10.05, openInterest: 1234 });
      expect(intake.symbolStatus('AAAUSDT')).toMatchObject({ warm: true, bookSynced: true, lastTradeAt: now, reason: null });

      // A gap → resubscribe of the book topic → the fresh snapshot resyncs.
      const u0 = snapU;
      fx.push('orderbook.50.AAAUSDT', book('AAAUSDT', 'delta', 5_000, now, [['10.0', '2']], []));
      await waitFor(() => snapU > u0 && intake.symbolStatus('AAAUSDT')!.bookSynced, 3_000, 'resync');
      const ops = fx.ws.received.map((r) => `${r.msg.op}:${(r.msg.args ?? []).join(',')}`);
      expect(ops).toContain('unsubscribe:orderbook.50.AAAUSDT');
      expect(intake.health().totals.resyncs).toBe(1);

      // Server drops every socket → books wait for a snapshot → reconnect, resubscribe, synced again.
      const snapBefore = snapU;
      for (const c of fx.ws.clients()) c.terminate();
      await waitFor(() => snapU >= snapBefore + 3 && ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'].every((x) => intake.symbolStatus(x)!.bookSynced), 5_000, 'reconnect');
      // The intake thread reports its connections every 250 ms: wait for the report after the reconnect.
      await waitFor(() => intake.health().totals.reconnects >= 1 && intake.health().state === 'connected', 3_000, 'reconnect reported');
      const h = intake.health();
      expect(h.totals.messages).toBeGreaterThanOrEqual(5);
      expect(h.totals.byTopic.orderbook).toBeGreaterThanOrEqual(7);
      expect(h.lastMessageAt).not.toBeNull();
    },
  );

  test('when the intake thread dies, then its books are reset, it restarts, resubscribes every topic and the books sync again; counters keep adding up', async () => {
    fx = await startFakeExchange();
    let snapU = 100;
    fx.onSubscribe = (topic, socket) => {
      if (topic.startsWith('orderbook.')) socket.send(book(topic.split('.')[2], 'snapshot', ++snapU, Date.now(), [['10.0', '1']], [['10.1', '1']]));
    };
    const intake = make({ intakeThread: true });
    await intake.start();
    const symbols = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
    await waitFor(() => symbols.every((x) => intake.symbolStatus(x)?.bookSynced === true), 5_000, 'books synced');
    await waitFor(() => intake.health().totals.byTopic.orderbook >= 3, 3_000, 'frames counted');
    const before = intake.health().totals;
    const snapBefore = snapU;
    // Kill the thread from inside the pool, as a crash would.
    const pool = (intake as unknown as { pool: { worker: { terminate(): Promise<number> } } }).pool;
    const stillSynced = () => symbols.filter((x) => intake.symbolStatus(x)!.bookSynced).length;
    await pool.worker.terminate();
    // Not one resubscribed yet: the restart waits at least its backoff floor.
    await waitFor(() => stillSynced() === 0, 2_000, 'books reset');
    expect(snapU).toBe(snapBefore);
    await waitFor(() => snapU >= snapBefore + 3 && symbols.every((x) => intake.symbolStatus(x)!.bookSynced), 10_000, 'books synced after the restart');
    await waitFor(() => intake.health().state === 'connected', 3_000, 'connected again');
    const after = intake.health().totals;
    expect(after.messages).toBeGreaterThanOrEqual(before.messages + 3);
    expect(after.byTopic.orderbook).toBeGreaterThanOrEqual(before.byTopic.orderbook + 3);
    expect(after.reconnects).toBeGreaterThanOrEqual(before.reconnects + 1);
    expect([before.intakeThread, before.intakeThreadRestarts, after.intakeThreadRestarts]).toEqual([true, 0, 1]);
    expect(fx.subscribedTopics().sort()).toEqual(symbols.flatMap(topicsForSymbol).sort());
  });

  test('when the universe changes, then new symbols are subscribed and warmed, dropped ones unsubscribed with state removed', async () => {
    fx = await startFakeExchange();
    const universes: (readonly string[])[] = [];
    const intake = make({ universeRefreshMs: 200 });
    intake.on('universe', (s) => universes.push([...s]));
    await intake.start();
    await waitFor(() => fx!.subscribedTopics().length === 24, 5_000, 'subscriptions');
    fx.universe.delete('CCCUSDT');
    fx.universe.set('DDDUSDT', 9e9);
    await waitFor(() => universes.length === 2, 5_000, 'refresh');
    expect(universes[1]).toEqual(['DDDUSDT', 'AAAUSDT', 'BBBUSDT']); // by turnover
    expect(intake.snapshot('CCCUSDT')).toBeUndefined();
    expect(intake.symbolStatus('CCCUSDT')).toBeUndefined();
    await waitFor(() => fx!.subscribedTopics().includes('kline.240.DDDUSDT') && !fx!.subscribedTopics().includes('tickers.CCCUSDT'), 5_000, 'resubscribed');
    expect(fx.subscribedTopics().sort()).toEqual(['AAAUSDT', 'BBBUSDT', 'DDDUSDT'].flatMap(topicsForSymbol).sort());
    await waitFor(() => intake.health().warmup.complete && intake.health().warmup.total === 3, 5_000, 'DDD warmed');
    expect(intake.snapshot('DDDUSDT')!.candles['5m'].length).toBe(CANDLES_PER_TIMEFRAME - 1);
  });

  test('when a warm-up request keeps failing, then the symbol is reported failed and retried in the background until it succeeds', async () => {
    fx = await startFakeExchange();
    let failures = 3;
    fx.failWhen = (p, s) => p === '/v5/market/account-ratio' && s === 'BBBUSDT' && failures-- > 0;
    const intake = make({});
    await intake.start();
    await waitFor(() => intake.health().warmup.failed === 1, 5_000, 'failure reported');
    expect(intake.health().warmup.failedSymbols).toEqual(['BBBUSDT']);
    expect(intake.symbolStatus('BBBUSDT')!.warmup).toBe('failed');
    await waitFor(() => intake.health().warmup.complete, 10_000, 'eventually complete');
    expect(intake.health().warmup).toMatchObject({ done: 3, total: 3, failed: 0 });
    expect(intake.health().totals.restErrors).toBeGreaterThanOrEqual(3);
    expect(intake.snapshot('BBBUSDT')!.longShort).toHaveLength(DEFAULT_LIMITS.longShortMax);
  });

  test('when polling is due, then OI and account ratio are polled with a small limit', async () => {
    fx = await startFakeExchange();
    const intake = make({ topSymbols: 1, timing: { pollIntervalMs: 100, backoffBaseMs: 20 } });
    await intake.start();
    await waitFor(() => fx!.http.requests.filter((r) => r.path === '/v5/market/open-interest' && r.query.get('limit') === '3').length >= 2, 5_000, 'polls');
    expect(fx.http.requests.some((r) => r.path === '/v5/market/account-ratio' && r.query.get('limit') === '3')).toBe(true);
  });

  test.each(POOLS)('health is JSON-serialisable, has the documented shape, and stop() is idempotent and closes everything (%s)', async (_, intakeThread) => {
    fx = await startFakeExchange();
    const intake = make({ intakeThread });
    await intake.start();
    await waitFor(() => intake.health().state === 'connected' && intake.health().lastMessageAt !== null, 5_000, 'connected');
    const h = intake.health();
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);
    expect(h).toMatchObject({
      source: 'sim',
      state: 'connected',
      universe: { size: 3 },
      totals: { resyncs: 0, subscribeRejected: 0, rateLimited: 0 },
      replay: null,
    });
    expect(h.connections[0]).toEqual({
      id: 0,
      state: 'connected',
      topics: 24,
      reconnects: 0,
      lastMessageAt: expect.any(Number),
      messagesPerSec: expect.any(Number),
      lastError: null,
    });
    expect(Object.keys(h.totals.malformed)).toContain('invalid_json');
    await intake.stop();
    await intake.stop();
    expect(intake.health().state).toBe('closed');
    await waitFor(() => fx!.ws.clients().length === 0, 3_000, 'sockets closed');
  });

  test('when the REST universe is unreachable and no symbols are configured, then start() fails with a typed error', async () => {
    fx = await startFakeExchange();
    const intake = make({ restUrl: 'http://127.0.0.1:9', timing: { backoffBaseMs: 1, backoffMaxMs: 5, restRetryBaseMs: 1 } });
    await expect(intake.start()).rejects.toMatchObject({ code: 'universe_unavailable' });
  });
});

describe('record → replay', () => {
  test.each(POOLS)('when a sim session is recorded and replayed at max speed, then the final state is the same (%s)', async (_, intakeThread) => {
    const start = Date.now() - 150_000;
    fx = await startFakeExchange();
    const file = path.join(tmp, 'session.jsonl');
    // The synthetic frames' candles jump past the backfill; a live repair would fetch REST answers at moments a replay
    // cannot reproduce, and this test is about record → replay fidelity (repairs have their own tests).
    const live = make({ record: { file }, repairCandles: false, intakeThread });
    await live.start();
    await waitFor(() => fx!.subscribedTopics().length === 24 && live.health().warmup.complete, 5_000, 'ready');
    const symbols = live.symbols();
    // ~130 s of exchange time in 6,000 frames: crosses two or three minute boundaries.
    const frames = syntheticFrames({ symbols, count: 6_000, startTs: start, stepMs: 22, seed: 3 });
    const before = live.health().totals.messages;
    for (const f of frames) {
      const topic = /"topic":"([^"]+)"/.exec(f)![1];
      expect(fx.push(topic, f)).toBe(true);
    }
    await waitFor(() => live.health().totals.messages >= before + frames.length, 10_000, 'all frames received');
    const expected = Object.fromEntries(symbols.map((s) => [s, live.snapshot(s)]));
    const expectedStatus = Object.fromEntries(symbols.map((s) => [s, live.symbolStatus(s)]));
    await live.stop();

    const lines = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ k: 'meta', v: 1, source: 'sim', wsUrl: fx.ws.url, startedAt: expect.any(Number) });
    expect(lines.find((l) => l.k === 'ws')).toEqual({ t: expect.any(Number), k: 'ws', c: 0, m: expect.any(String) });
    expect(lines.find((l) => l.k === 'rest' && String(l.p).startsWith('/v5/market/kline?'))).toEqual({
      t: expect.any(Number),
      k: 'rest',
      p: expect.stringContaining('symbol='),
      s: 200,
      b: expect.any(String),
    });

    const replay = make({ source: 'replay', replay: { file, speed: Infinity }, symbols: undefined });
    await replay.start();
    await replay.finished();
    expect(replay.health()).toMatchObject({ state: 'closed', source: 'replay', replay: { finished: true, error: null } });
    expect([...replay.symbols()].sort()).toEqual([...symbols].sort());
    for (const s of symbols) {
      expect(replay.snapshot(s)).toEqual(expected[s]);
      expect(replay.symbolStatus(s)).toEqual(expectedStatus[s]);
    }
    expect(replay.health().totals.restErrors).toBe(0);
    // The data stays after the replay ended.
    expect(replay.snapshot(symbols[0])!.book!.synced).toBe(true);
  });

  test('when replaying at a finite speed, then recorded timing is followed; a missing REST answer is a counted error', async () => {
    const file = path.join(tmp, 'hand.jsonl');
    const t0 = 1_767_225_600_000;
    const trade = (i: number) =>
      JSON.stringify({
        t: t0 + i * 1000,
        k: 'ws',
        c: 0,
        m: JSON.stringify({
          topic: 'publicTrade.AUSDT',
          type: 'snapshot',
          ts: t0 + i * 1000,
          data: [{ T: t0 + i * 1000, s: 'AUSDT', S: 'Buy', v: '1', p: '1', i: String(i) }],
        }),
      });
    fs.writeFileSync(
      file,
      [JSON.stringify({ k: 'meta', v: 1, startedAt: t0, source: 'live', wsUrl: 'wss://x' }), ...[0, 1, 2, 3, 4].map(trade), ''].join('\n'),
    );
    fx = await startFakeExchange();
    const replay = make({ source: 'replay', replay: { file, speed: 10 } });
    const wall0 = Date.now();
    await replay.start();
    expect(replay.now()).toBe(t0);
    await replay.finished();
    expect(Date.now() - wall0).toBeGreaterThanOrEqual(380); // 4 s of recording at 10×
    expect(replay.now()).toBe(t0 + 4000);
    expect(tradeCount(replay.snapshot('AUSDT')!.trades)).toBe(5);
    const h = replay.health();
    expect(h.totals.restErrors).toBe(7); // no REST lines recorded: every warm-up request fails
    expect(h.warmup).toMatchObject({ total: 1, done: 0, failed: 1 });
    expect(replay.symbolStatus('AUSDT')).toMatchObject({ warm: false, reason: 'warmup_failed' });
  });

  test('when replayed market time crosses minute boundaries, then onMinute fires synchronously, in order, with state up to the boundary', async () => {
    const file = path.join(tmp, 'minutes.jsonl');
    const t0 = 1_767_225_600_000 + 30_000; // hh:00:30
    // :00:30, :00:50, :01:10, :01:40, :03:50, :04:00 → boundaries :01, then :02 and :03 in one jump, then :04.
    const times = [0, 20_000, 40_000, 70_000, 200_000, 210_000].map((d) => t0 + d);
    const line = (t: number, i: number) =>
      JSON.stringify({
        t,
        k: 'ws',
        c: 0,
        m: JSON.stringify({ topic: 'publicTrade.AUSDT', type: 'snapshot', ts: t, data: [{ T: t, s: 'AUSDT', S: 'Buy', v: '1', p: '1', i: String(i) }] }),
      });
    fs.writeFileSync(file, `${[JSON.stringify({ k: 'meta', v: 1, startedAt: t0, source: 'live', wsUrl: 'wss://x' }), ...times.map(line)].join('\n')}\n`);
    fx = await startFakeExchange();
    const replay = make({ source: 'replay', replay: { file, speed: Infinity } });
    const seen: { minuteTs: number; now: number; trades: number }[] = [];
    replay.onMinute((m) => seen.push({ minuteTs: m, now: replay.now(), trades: tradeCount(replay.snapshot('AUSDT')!.trades) }));
    await replay.start();
    await replay.finished();
    const m0 = 1_767_225_600_000;
    expect(seen).toEqual([
      { minuteTs: m0 + 60_000, now: m0 + 60_000, trades: 2 },
      { minuteTs: m0 + 120_000, now: m0 + 120_000, trades: 4 },
      { minuteTs: m0 + 180_000, now: m0 + 180_000, trades: 4 },
      { minuteTs: m0 + 240_000, now: m0 + 240_000, trades: 5 },
    ]);
    expect(replay.now()).toBe(t0 + 210_000);
  });
});
