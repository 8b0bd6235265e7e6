import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TradeColumns } from '@confluence/confluence';
import type { Timeframe } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { createIntake, type Intake, type IntakeOptions } from '../../src/intake/intake';
import { TIMEFRAME_MS } from '../../src/intake/events';
import { waitFor as waitUntil } from './helpers';

/** Polls `check` (every 5 ms) until it returns a value, with a deadline; resolves with that value. */
async function waitFor<T>(check: () => T | null | false | undefined, timeoutMs: number, what: string): Promise<T> {
  let value: T | null | false | undefined;
  await waitUntil(
    () => {
      value = check();
      return Boolean(value);
    },
    timeoutMs,
    what,
  );
  return value as T;
}

/**
 * Issue 15: what a long live run against Bybit breaks, reproduced against the project's Bybit simulator (its real
 * wire format over real WebSocket and HTTP on loopback), in process so each test can look at the intake's state.
 * The simulator runs on a manual clock: the market moves only when a test steps it, so every run is the same.
 */
const SIM = path.join(__dirname, '..', '..', '..', '..', 'services', 'simulator', 'src', 'simulator.ts');

jest.setTimeout(90_000);

interface SimFlow {
  buyVolume: number;
  sellVolume: number;
  ordinaryTrades: number;
  blockTrades: number;
  rpiTrades: number;
}
interface SimState {
  time: number;
  counters: { upgradeRequests: number; upgradesRefused: number; restMaxPerSecond: number; restRequests: number };
  symbols: Record<string, { trades: number; flow: SimFlow; status: string }>;
}
interface Sim {
  start(): Promise<{ wsUrl: string; restUrl: string }>;
  stop(): Promise<void>;
  step(n?: number): void;
  now(): number;
  symbols(): string[];
  state(symbol?: string): SimState;
  wsOutage(ms: number, status?: 403 | 503): void;
  restFault(f: { status?: number; retCode?: number; count: number; geoBlock?: boolean }): void;
  burst(symbol: string, tradesPerSecond: number): void;
  emptySnapshot(symbol: string): void;
  instrumentStatus(symbol: string, status: string): void;
  clockOffset(ms: number): void;
  turnover(symbol: string, turnover24h: number | null): void;
  reset(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSimulator } = require(SIM) as { createSimulator(o: object): Sim };

const FAST = {
  pingIntervalMs: 200,
  pongTimeoutMs: 5_000,
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  resyncRetryMs: 500,
  subscribeRetryBaseMs: 100,
  restRetryBaseMs: 10,
  warmupRetryBaseMs: 50,
  restBackoff403Ms: 200,
};

let sim: Sim | undefined;
let intake: Intake | undefined;

afterEach(async () => {
  await intake?.stop();
  await sim?.stop();
  intake = undefined;
  sim = undefined;
});

/** A manual-clock simulator starting just after a minute boundary, and an intake on it. */
async function setup(simOpts: object, intakeOpts: Partial<IntakeOptions>): Promise<{ sim: Sim; intake: Intake; urls: { wsUrl: string; restUrl: string } }> {
  const startTime = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
  const s = createSimulator({ port: 0, seed: 15, symbols: 6, tickMs: 100, manualClock: true, startTime, ...simOpts });
  sim = s;
  const urls = await s.start();
  const i = createIntake({
    wsUrl: urls.wsUrl,
    restUrl: urls.restUrl,
    topSymbols: 2,
    universeRefreshMs: 3_600_000,
    logger: silentLogger(),
    source: 'sim',
    ...intakeOpts,
    timing: { ...FAST, ...intakeOpts.timing },
  });
  intake = i;
  await i.start();
  return { sim: s, intake: i, urls };
}

/** Steps the simulator until the intake is warm and synced for every tracked symbol. */
async function untilWarm(s: Sim, i: Intake): Promise<void> {
  await waitFor(
    () => {
      s.step(1);
      return i.health().warmup.complete && i.symbols().length > 0 && i.symbols().every((x) => i.symbolStatus(x)?.warm && i.symbolStatus(x)?.bookSynced);
    },
    30_000,
    'warm and synced',
  );
}

/** The simulator's own (uninterrupted) record of a timeframe over REST: [start, o, h, l, c, v, turnover], oldest first. */
async function simKlines(restUrl: string, symbol: string, interval: string): Promise<number[][]> {
  const res = await fetch(`${restUrl}/v5/market/kline?category=linear&symbol=${symbol}&interval=${interval}&limit=200`);
  const body = (await res.json()) as { result: { list: string[][] } };
  return body.result.list.map((r) => r.map(Number)).reverse();
}

function flowOf(t: TradeColumns): { n: number; buy: number; sell: number } {
  let buy = 0;
  let sell = 0;
  for (let k = t.head; k < t.tail; k++) {
    if (t.buy[k]) buy += t.size[k];
    else sell += t.size[k];
  }
  return { n: t.tail - t.head, buy, sell };
}

describe('issue 15: a long live run against the simulator', () => {
  test('when the WebSocket is down for 3 minutes (REST still answering), then the symbols are repairing until the gap is backfilled and the candles equal the uninterrupted record', async () => {
    const { sim: s, intake: i, urls } = await setup({}, {});
    await untilWarm(s, i);
    s.step(50);
    const symbols = [...i.symbols()];
    s.wsOutage(Infinity);
    await waitFor(() => i.health().state !== 'connected', 10_000, 'intake sees the outage');
    // Three minutes of market time pass while the intake is cut off: candles close that it never sees.
    s.step(1_800);
    // REST fails at first, so the repair cannot finish yet and its state is observable.
    s.restFault({ status: 500, count: 1_000_000 });
    s.wsOutage(0);
    await waitFor(
      () => {
        s.step(1);
        return i.health().state === 'connected';
      },
      20_000,
      'reconnected',
    );
    const during = await waitFor(
      () => {
        s.step(1);
        const h = i.health();
        const st = symbols.map((x) => i.symbolStatus(x)!);
        return h.symbols.repairing === symbols.length && h.warmup.repairFailures > 0 && st.every((x) => x.reason === 'repairing' && x.repairing.includes('1m'))
          ? h
          : null;
      },
      20_000,
      'every symbol repairing',
    );
    expect(during.warmup.repairing).toBe(symbols.length);
    s.restFault({ count: 0 });
    await waitFor(
      () => {
        s.step(1);
        return i.health().symbols.repairing === 0 && symbols.every((x) => i.symbolStatus(x)!.reason === null);
      },
      30_000,
      'repaired',
    );
    expect(i.health().warmup.repairsDone).toBeGreaterThan(0);

    for (const symbol of symbols) {
      const snap = i.snapshot(symbol)!;
      for (const [tf, interval] of [
        ['1m', '1'],
        ['5m', '5'],
        ['30m', '30'],
        ['4h', '240'],
      ] as [Timeframe, string][]) {
        const truth = new Map((await simKlines(urls.restUrl, symbol, interval)).map((r) => [r[0], r]));
        const closed = snap.candles[tf].filter((c) => c.confirmed);
        // No candle missing: closed candles follow each other interval by interval.
        for (let k = 1; k < closed.length; k++) expect(closed[k].start - closed[k - 1].start).toBe(TIMEFRAME_MS[tf]);
        let compared = 0;
        for (const c of closed) {
          const t = truth.get(c.start);
          if (!t) continue;
          compared++;
          expect([c.start, c.open, c.high, c.low, c.close, c.volume, c.turnover]).toEqual(t);
        }
        expect(compared).toBeGreaterThan(tf === '1m' ? 150 : 10);
      }
      // The three minutes of the outage (and the minute it began in) are there, with the record's values.
      const minutes = snap.candles['1m'].filter((c) => c.confirmed).slice(-4);
      expect(minutes).toHaveLength(4);
    }
  });

  test('when Bybit answers 403 with an HTML page, then it is an access block (counted, first bytes kept), not a rate limit, and it clears once answers get through', async () => {
    const startTime = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    const s = createSimulator({ port: 0, seed: 15, symbols: 6, tickMs: 100, manualClock: true, startTime });
    sim = s;
    const urls = await s.start();
    s.restFault({ geoBlock: true, count: 3 });
    const i = createIntake({
      wsUrl: urls.wsUrl,
      restUrl: urls.restUrl,
      topSymbols: 2,
      universeRefreshMs: 3_600_000,
      logger: silentLogger(),
      source: 'sim',
      timing: FAST,
    });
    intake = i;
    const started = i.start();
    const blocked = await waitFor(
      () => {
        const h = i.health();
        return h.accessBlock !== null && h.totals.accessBlocked >= 1 ? h : null;
      },
      20_000,
      'access block reported',
    );
    expect(blocked.accessBlock!.message).toBe("Bybit refuses this server's IP (HTTP 403)");
    expect(blocked.accessBlock!.sample).toMatch(/^<!DOCTYPE HTML.*403 ERROR/s);
    expect(blocked.totals.restErrors).toBeGreaterThanOrEqual(1);
    expect(blocked.totals.rateLimited).toBe(0);
    // It keeps trying (with backoff) rather than giving up: the start completes once answers get through.
    await started;
    await untilWarm(s, i);
    const after = i.health();
    expect(after.accessBlock).toBeNull();
    expect(after.totals.accessBlocked).toBe(3);

    // A 403 "access too frequent" is still a rate limit, never an access block.
    await i.stop();
    const j = createIntake({
      wsUrl: urls.wsUrl,
      restUrl: urls.restUrl,
      topSymbols: 2,
      universeRefreshMs: 3_600_000,
      logger: silentLogger(),
      source: 'sim',
      timing: FAST,
    });
    intake = j;
    s.restFault({ status: 403, count: 2 });
    await j.start();
    await untilWarm(s, j);
    expect(j.health().totals.rateLimited).toBe(2);
    expect(j.health().totals.accessBlocked).toBe(0);
    expect(j.health().accessBlock).toBeNull();
  });

  test('when the WebSocket handshake is refused with HTTP 403, then that is an access block too, and it clears once connections open', async () => {
    const { sim: s, intake: i } = await setup({}, {});
    await untilWarm(s, i);
    s.wsOutage(Infinity, 503);
    await waitFor(() => i.health().connections.every((c) => c.state !== 'connected'), 10_000, 'down');
    // Down is not blocked: a 503 (or a dead host) stays "unreachable".
    await waitFor(() => i.health().totals.reconnects >= 2, 10_000, 'refused attempts');
    expect(i.health().accessBlock).toBeNull();
    s.wsOutage(0);
    await waitFor(() => i.health().state === 'connected', 10_000, 'back');
    s.wsOutage(Infinity, 403);
    const blocked = await waitFor(() => i.health().accessBlock, 10_000, 'ws access block');
    expect(blocked).toMatchObject({ status: 403, message: "Bybit refuses this server's IP (HTTP 403)" });
    s.wsOutage(0);
    await waitFor(() => i.health().state === 'connected' && i.health().accessBlock === null, 10_000, 'block cleared');
  });

  test('when one symbol trades at 400 trades/s for 30 s, then the window holds every trade and order flow equals the ordinary aggressor trades (block and RPI trades kept apart)', async () => {
    const { sim: s, intake: i } = await setup({}, {});
    await untilWarm(s, i);
    const symbol = i.symbols()[0];
    // Everything published so far has arrived once the intake's newest trade is the simulator's newest.
    const caughtUp = () =>
      waitFor(
        () => i.symbolStatus(symbol)!.lastTradeAt === (s as unknown as { recentTrades(x: string, n: number): { T: number }[] }).recentTrades(symbol, 1)[0]?.T,
        30_000,
        'all trades received',
      );
    await caughtUp();
    const before = s.state(symbol).symbols[symbol];
    const t0 = flowOf(i.snapshot(symbol)!.trades);
    s.burst(symbol, 400);
    s.step(300); // 30 s of market time: 12,000 trades, more than twice the old 5,000-trade cap
    s.burst(symbol, 0);
    await caughtUp();
    const after = s.state(symbol).symbols[symbol];
    const published = after.trades - before.trades;
    expect(published).toBeGreaterThanOrEqual(12_000);
    const ordinary = after.flow.ordinaryTrades - before.flow.ordinaryTrades;
    const blockAndRpi = published - ordinary;
    expect(blockAndRpi).toBeGreaterThan(0);
    const got = flowOf(i.snapshot(symbol)!.trades);
    expect(got.n - t0.n).toBe(ordinary);
    const buy = got.buy - t0.buy;
    const sell = got.sell - t0.sell;
    expect(buy).toBeCloseTo(after.flow.buyVolume - before.flow.buyVolume, 6);
    expect(sell).toBeCloseTo(after.flow.sellVolume - before.flow.sellVolume, 6);
    const snap = i.snapshot(symbol)!;
    expect(snap.trades.tail - snap.trades.head).toBe(t0.n + ordinary);
  });

  test('when ranks churn, then a member that slips a place stays, one that falls far goes with its state kept, comes back without a warm-up, and stock/commodity perpetuals stay out by default', async () => {
    const { sim: s, intake: i, urls } = await setup({ tradfi: true }, { topSymbols: 3, universeRefreshMs: 300 });
    await untilWarm(s, i);
    // XAUUSDT ranks third by turnover among the simulated instruments but is a commodity perpetual.
    expect(s.symbols().slice(0, 4)).toContain('XAUUSDT');
    const initial = [...i.symbols()];
    expect(initial).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    const refreshed = async () => {
      const at = i.health().universe.refreshedAt!;
      await waitFor(() => i.health().universe.refreshedAt! > at, 10_000, 'a universe refresh');
    };
    // XRPUSDT edges just past SOLUSDT: without hysteresis SOL would be dropped and its state thrown away.
    s.turnover('XRPUSDT', 2.7e9);
    s.turnover('SOLUSDT', 2.6e9);
    await refreshed();
    await refreshed();
    expect([...i.symbols()].sort()).toEqual([...initial].sort());
    // SOLUSDT falls far below the cut (rank 6 > 1.5 × 3): it goes, XRPUSDT comes in; SOL's state is kept.
    s.turnover('SOLUSDT', 1);
    await waitFor(() => !i.symbols().includes('SOLUSDT') && i.symbols().includes('XRPUSDT'), 10_000, 'SOL out, XRP in');
    expect(i.health().universe.retained).toBe(1);
    s.turnover('SOLUSDT', 9e9);
    await waitFor(() => i.symbols().includes('SOLUSDT'), 10_000, 'SOL back');
    // Back with its candles and slow series at once (a new symbol would start 'pending' with nothing).
    const st = i.symbolStatus('SOLUSDT')!;
    expect(st.warmup).toBe('done');
    const back = i.snapshot('SOLUSDT')!;
    expect(back.candles['1m'].length).toBeGreaterThanOrEqual(199);
    expect(back.openInterest.length).toBeGreaterThan(0);
    await waitFor(
      () => {
        s.step(1);
        return i.symbolStatus('SOLUSDT')!.warm && i.symbolStatus('SOLUSDT')!.reason === null;
      },
      20_000,
      'SOL warm again',
    );
    // XRPUSDT, the weakest member, made room for it: now XRP's state is the one kept.
    expect(i.symbols()).not.toContain('XRPUSDT');
    expect(i.health().universe.retained).toBe(1);
    expect(i.symbols()).not.toContain('XAUUSDT');

    // With the setting, stock and commodity perpetuals are ranked like the rest.
    await i.stop();
    s.turnover('SOLUSDT', null);
    const j = createIntake({
      wsUrl: urls.wsUrl,
      restUrl: urls.restUrl,
      topSymbols: 3,
      universeRefreshMs: 3_600_000,
      logger: silentLogger(),
      source: 'sim',
      timing: FAST,
      includeTradFi: true,
    });
    intake = j;
    await j.start();
    expect(j.symbols()).toEqual(['BTCUSDT', 'ETHUSDT', 'XAUUSDT']);
  });

  test('when a book gets an empty u=1 snapshot and the instrument goes to Settling, then the book is never a synced empty book and the symbol is removed, never scored', async () => {
    const { sim: s, intake: i } = await setup({}, { topSymbols: 3, timing: { resyncRetryMs: 60_000 } });
    await untilWarm(s, i);
    const [a, b] = i.symbols();
    // A tick-size change: an empty snapshot while the instrument keeps trading.
    s.emptySnapshot(a);
    await waitFor(
      () => {
        s.step(1);
        return i.health().totals.emptySnapshots === 1;
      },
      10_000,
      'empty snapshot seen',
    );
    for (let k = 0; k < 20; k++) {
      s.step(1);
      const st = i.symbolStatus(a)!;
      expect(st.bookSynced).toBe(false);
      expect(st.reason).toBe('book_empty');
      expect(i.snapshot(a)!.book!.synced).toBe(false);
    }
    // A delisting: the instrument leaves Trading and the stream sends an empty snapshot.
    s.instrumentStatus(b, 'Settling');
    s.emptySnapshot(b);
    await waitFor(
      () => {
        s.step(1);
        return !i.symbols().includes(b);
      },
      15_000,
      'settling symbol removed',
    );
    expect(i.snapshot(b)).toBeUndefined();
    expect(i.health().universe.removedNotTrading).toEqual([expect.objectContaining({ symbol: b, status: 'Settling' })]);
  });

  test('when every connection keeps failing, then the pool-wide cap bounds connection attempts', async () => {
    const { sim: s, intake: i } = await setup({}, { topSymbols: 4, maxTopicsPerConnection: 8, wsConnectsPer5Min: 10 });
    await untilWarm(s, i);
    expect(i.health().connections.length).toBe(4);
    const before = s.state().counters.upgradeRequests;
    const granted = i.health().totals.connectAttempts;
    expect(granted).toBe(4);
    s.wsOutage(Infinity);
    // Four sockets with a 20-100 ms backoff would try hundreds of times a minute; the cap allows 6 more in 5 minutes.
    await waitFor(() => i.health().totals.connectDeferred >= 4, 20_000, 'attempts deferred');
    const attempts = s.state().counters.upgradeRequests - before;
    expect(attempts).toBeLessThanOrEqual(10 - granted);
    expect(i.health().totals.connectAttempts).toBe(10);
  });

  test('when the exchange clock runs 90 s ahead, then the offset is measured and the market clock is exchange time', async () => {
    const startTime = Date.now() + 90_000;
    const { sim: s, intake: i } = await setup({ startTime }, {});
    const c = i.health().clock;
    expect(c.samples).toBe(1);
    expect(Math.abs(c.offsetMs! - 90_000)).toBeLessThan(5_000 + c.rttMs!);
    expect(Math.abs(i.now() - (Date.now() + c.offsetMs!))).toBeLessThan(50);
    await untilWarm(s, i);
    // Event ages against exchange time: the newest trade is seconds old, not 90 s in the future.
    const snap = i.snapshot(i.symbols()[0])!;
    const newest = snap.trades.ts[snap.trades.tail - 1];
    expect(Math.abs(i.now() - newest)).toBeLessThan(15_000);
  });

  test('when the REST budget is set to 5 requests/s, then the simulator never sees more in any second', async () => {
    const { sim: s, intake: i } = await setup({}, { topSymbols: 4, restBudget: { ratePerSec: 5, maxInFlight: 2 } });
    await untilWarm(s, i);
    expect(i.health().rest).toEqual({ ratePerSec: 5, maxInFlight: 2 });
    // 4 symbols × 7 warm-up requests, plus universe and clock: well over one second's budget.
    expect(s.state().counters.restRequests).toBeGreaterThan(25);
    expect(s.state().counters.restMaxPerSecond).toBeLessThanOrEqual(5 + 1);
  });
});

describe('live intake shutdown', () => {
  test('when the intake stops while its first clock sync is still in flight, then no timer of it outlives the stop', async () => {
    // A Bybit look-alike whose server-time answer never comes: the intake is stopped in the middle of its first step.
    let asked = false;
    const server = http.createServer((req) => {
      if (req.url?.startsWith('/v5/market/time')) asked = true;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const i = createIntake({
      wsUrl: 'ws://127.0.0.1:9/v5/public/linear',
      restUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      topSymbols: 2,
      universeRefreshMs: 3_600_000,
      logger: silentLogger(),
      source: 'sim',
      timing: FAST,
    });
    try {
      const started = i.start().catch(() => undefined);
      await waitFor(() => asked, 10_000, 'the clock sync request');
      await i.stop();
      await started;
      // Condition with a deadline, polled without timers of our own (they would be counted).
      const deadline = Date.now() + 5_000;
      while (timers() > before && Date.now() < deadline) await new Promise<void>((r) => setImmediate(r));
      expect(timers()).toBeLessThanOrEqual(before);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
