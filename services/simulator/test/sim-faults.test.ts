// Every fault control, driven through HTTP as a test in another process would, and observed as a
// WebSocket or REST client sees it.
import { createSimulator, type SimAddress, type Simulator } from '../src';
import { BookReplica, eventually, getJson, postJson, SimWsClient, type Frame } from './sim-client';

const START = Date.UTC(2026, 0, 15, 10, 37, 24, 500);

let sim: Simulator;
let addr: SimAddress;
const clients: SimWsClient[] = [];

async function connect(): Promise<SimWsClient> {
  const c = await SimWsClient.connect(addr.wsUrl);
  clients.push(c);
  return c;
}

const control = (name: string, body: unknown = {}) => postJson(`${addr.restUrl}/sim/control/${name}`, body);

/** Steps the market once and returns the next frame of `topic`. */
async function stepAndNext(c: SimWsClient, topic: string): Promise<Frame> {
  const seen = c.frames.length;
  sim.step();
  return c.waitFor((f) => f.topic === topic, 2000, seen);
}

beforeAll(async () => {
  sim = createSimulator({ seed: 42, symbols: 20, manualClock: true, startTime: START });
  addr = await sim.start();
});

afterEach(async () => {
  await control('reset');
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await sim.stop();
});

describe('simulator fault controls', () => {
  test('when drop is posted, then every connection is cut without a close frame', async () => {
    const a = await connect();
    const b = await connect();
    const res = await control('drop');
    expect(res.body).toMatchObject({ ok: true, dropped: 2 });
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
  });

  test('when pongs are stalled, then pings go unanswered until the stall ends', async () => {
    const c = await connect();
    await control('stall-pongs', { ms: 400 });
    const stalledAt = Date.now();
    c.send({ op: 'ping', req_id: 'during' });
    await expect(c.waitFor((f) => f.req_id === 'during', 250)).rejects.toThrow(/no matching frame/);
    await eventually(() => (Date.now() - stalledAt > 400 ? true : undefined), 2000);
    expect((await c.request('ping')).ret_msg).toBe('pong');
    expect(sim.state().counters.pongsWithheld).toBeGreaterThanOrEqual(1);
  });

  test('when a gap is injected, then the next delta skips one u', async () => {
    const c = await connect();
    const topic = 'orderbook.50.BTCUSDT';
    await c.request('subscribe', [topic]);
    const snapshot = await c.waitFor((f) => f.topic === topic);
    const u0 = (snapshot.data as { u: number }).u;
    await control('gap', { symbol: 'BTCUSDT' });
    const gapped = await stepAndNext(c, topic);
    expect((gapped.data as { u: number }).u).toBe(u0 + 2);
    const after = await stepAndNext(c, topic);
    expect((after.data as { u: number }).u).toBe(u0 + 3);
  });

  test('when a crossed book is injected, then one delta crosses it and the next heals it', async () => {
    const c = await connect();
    const topic = 'orderbook.50.ETHUSDT';
    await c.request('subscribe', [topic]);
    const book = new BookReplica();
    book.apply(await c.waitFor((f) => f.topic === topic));
    await control('crossed', { symbol: 'ETHUSDT' });
    book.apply(await stepAndNext(c, topic));
    expect(book.bestBid()).toBeGreaterThan(book.bestAsk());
    book.apply(await stepAndNext(c, topic));
    expect(book.bestBid()).toBeLessThan(book.bestAsk());
  });

  test('when malformed frames are requested, then clients receive every kind of breakage', async () => {
    const c = await connect();
    await c.request('subscribe', ['orderbook.50.SOLUSDT']);
    const seen = c.frames.length;
    const res = await control('malformed', { count: 6 });
    expect(res.body).toMatchObject({ ok: true, sent: 6 });
    await eventually(() => (c.frames.length >= seen + 6 ? true : undefined));
    const bad = c.frames.slice(seen, seen + 6);
    expect(bad.filter((f) => 'raw' in f)).toHaveLength(2);
    expect(bad.some((f) => f.topic === 'mystery.BTCUSDT')).toBe(true);
    expect(bad.some((f) => f.op === 'frobnicate')).toBe(true);
    expect(bad.some((f) => f.topic === 'orderbook.50.SOLUSDT' && f.data === undefined)).toBe(true);
    expect(bad.some((f) => typeof f.ts === 'string')).toBe(true);
    expect((await c.request('ping')).ret_msg).toBe('pong');
  });

  test('when a reject pattern is set, then matching subscribes fail until reset', async () => {
    const c = await connect();
    await control('reject', { pattern: 'ETHUSDT' });
    const rejected = await c.request('subscribe', ['tickers.ETHUSDT']);
    expect(rejected).toMatchObject({ success: false });
    expect(rejected.ret_msg).toContain('tickers.ETHUSDT');
    expect(await c.request('subscribe', ['tickers.BTCUSDT'])).toMatchObject({ success: true });
    await control('reset');
    expect(await c.request('subscribe', ['tickers.ETHUSDT'])).toMatchObject({ success: true });
  });

  test('when REST faults are set, then the next calls fail as configured and later ones succeed', async () => {
    const url = `${addr.restUrl}/v5/market/time`;
    await control('rest-fault', { status: 429, count: 2 });
    expect((await fetch(url)).status).toBe(429);
    expect((await fetch(url)).status).toBe(429);
    expect((await fetch(url)).status).toBe(200);

    await control('rest-fault', { status: 403, count: 1 });
    const forbidden = await fetch(url);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toContain('access too frequent');

    await control('rest-fault', { retCode: 10016, count: 1 });
    expect((await getJson(url)).body).toMatchObject({ retCode: 10016 });

    await control('rest-fault', { count: 1 });
    const limited = await fetch(url);
    expect(limited.status).toBe(200);
    expect(limited.headers.get('x-bapi-limit-status')).toBe('0');
    expect(((await limited.json()) as { retCode: number }).retCode).toBe(10006);
    expect((await getJson(url)).body.retCode).toBe(0);
  });

  test('when a price jump is posted, then the next step trades there and moves the book', async () => {
    const c = await connect();
    await c.request('subscribe', ['publicTrade.XRPUSDT', 'tickers.XRPUSDT']);
    await control('price', { symbol: 'XRPUSDT', price: 3.5 });
    const trades = await stepAndNext(c, 'publicTrade.XRPUSDT');
    expect((trades.data as { p: string }[]).every((t) => t.p === '3.5000')).toBe(true);
    const state = (await fetch(`${addr.restUrl}/sim/state?symbol=XRPUSDT`).then((r) => r.json())) as {
      symbols: Record<string, { lastPrice: string; bestBid: string; bestAsk: string }>;
    };
    const x = state.symbols.XRPUSDT;
    expect(x.lastPrice).toBe('3.5000');
    expect(Number(x.bestBid)).toBeLessThanOrEqual(3.5);
    expect(Number(x.bestAsk)).toBeGreaterThanOrEqual(3.5);
  });

  test('when a regime is forced, then state reports it and aggressor flow follows it', async () => {
    type Trades = { list: { execId: string; side: string }[] };
    const recent = async (): Promise<Trades['list']> =>
      (await getJson<Trades>(`${addr.restUrl}/v5/market/recent-trade?category=linear&symbol=DOGEUSDT&limit=1000`)).body.result.list;
    const res = await control('regime', { symbol: 'DOGEUSDT', regime: 'down', strength: 6 });
    expect(res.body.ok).toBe(true);
    const before = (await recent())[0]?.execId;
    sim.step(400);
    const trades = await recent();
    const seenAt = before === undefined ? -1 : trades.findIndex((t) => t.execId === before);
    const fresh = seenAt < 0 ? trades : trades.slice(0, seenAt);
    expect(fresh.length).toBeGreaterThan(100);
    expect(fresh.filter((t) => t.side === 'Sell').length / fresh.length).toBeGreaterThan(0.65);
    const state = (await fetch(`${addr.restUrl}/sim/state?symbol=DOGEUSDT`).then((r) => r.json())) as { symbols: Record<string, unknown> };
    expect(state.symbols.DOGEUSDT).toMatchObject({ regime: 'down', strength: 6 });
  });

  test('when paused, then market traffic stops while pings still work, and resumes after', async () => {
    const c = await connect();
    await c.request('subscribe', ['publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT']);
    await c.waitFor((f) => f.topic === 'orderbook.50.BTCUSDT');
    await control('pause', { paused: true });
    const steps = sim.state().steps;
    const seen = c.frames.length;
    sim.step(20);
    expect((await c.request('ping')).ret_msg).toBe('pong');
    expect(c.frames.slice(seen).filter((f) => typeof f.topic === 'string')).toEqual([]);
    expect(sim.state().steps).toBe(steps);
    await control('pause', { paused: false });
    const delta = await stepAndNext(c, 'orderbook.50.BTCUSDT');
    expect(delta.type).toBe('delta');
  });

  test('when a WebSocket outage is on, then connections drop and upgrades get 503 while REST still answers klines; off again, connecting works', async () => {
    const c = await connect();
    const before = sim.state().counters.upgradeRequests;
    expect(await control('ws-outage', { on: true })).toMatchObject({ status: 200, body: { ok: true } });
    expect((await c.closed).code).toBe(1006);
    await expect(SimWsClient.connect(addr.wsUrl)).rejects.toThrow(/503/);
    const k = await getJson<{ list: string[][] }>(`${addr.restUrl}/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=3`);
    expect(k.body.retCode).toBe(0);
    expect(k.body.result.list).toHaveLength(3);
    expect(sim.state().counters).toMatchObject({ upgradeRequests: before + 1, upgradesRefused: 1 });
    expect(sim.state().faults.wsOutage).toBe(true);
    await control('ws-outage', { on: false });
    await connect();
  });

  test('when a geo block is set, then REST answers HTTP 403 with an HTML page; a plain 403 stays "access too frequent"', async () => {
    await control('rest-fault', { geoBlock: true, count: 1 });
    const blocked = await fetch(`${addr.restUrl}/v5/market/time`);
    expect(blocked.status).toBe(403);
    expect(blocked.headers.get('content-type')).toMatch(/text\/html/);
    expect(await blocked.text()).toMatch(/configured to block access from your country/);
    await control('rest-fault', { status: 403, count: 1 });
    const limited = await fetch(`${addr.restUrl}/v5/market/time`);
    expect([limited.status, await limited.text()]).toEqual([403, 'access too frequent']);
  });

  test('when a burst is on, then the symbol trades exactly at that rate, and flow counts ordinary, block and RPI trades apart', async () => {
    const before = sim.state('ETHUSDT').symbols.ETHUSDT;
    await control('burst', { symbol: 'ETHUSDT', tradesPerSecond: 500 });
    sim.step(20); // 2 s of market time
    const after = sim.state('ETHUSDT').symbols.ETHUSDT;
    expect(after.trades - before.trades).toBe(1_000);
    expect(after.burstTradesPerSecond).toBe(500);
    const f = after.flow;
    // Every trade is ordinary, or block and/or RPI (2 % of trades are RPI: some are among these 1,000).
    expect(f.ordinaryTrades + f.blockTrades + f.rpiTrades).toBeGreaterThanOrEqual(after.trades);
    expect(f.rpiTrades - before.flow.rpiTrades).toBeGreaterThan(0);
    expect(f.buyVolume + f.sellVolume).toBeGreaterThan(before.flow.buyVolume + before.flow.sellVolume);
    await control('burst', { symbol: 'ETHUSDT', tradesPerSecond: 0 });
    expect(sim.state('ETHUSDT').symbols.ETHUSDT.burstTradesPerSecond).toBeNull();
  });

  test('when an empty snapshot is requested, then the next book frame is a snapshot with u = 1 and no levels', async () => {
    const c = await connect();
    const topic = 'orderbook.50.SOLUSDT';
    await c.request('subscribe', [topic]);
    await c.waitFor((f) => f.topic === topic);
    await control('empty-snapshot', { symbol: 'SOLUSDT' });
    const f = await stepAndNext(c, topic);
    expect(f).toMatchObject({ type: 'snapshot', data: { s: 'SOLUSDT', b: [], a: [], u: 1 } });
  });

  test('when an instrument status or the clock is changed, then instruments-info and the server time say so', async () => {
    await control('instrument-status', { symbol: 'XRPUSDT', status: 'Settling' });
    const r = await getJson<{ list: { symbol: string; status: string }[] }>(`${addr.restUrl}/v5/market/instruments-info?category=linear&symbol=XRPUSDT`);
    expect(r.body.result.list[0]).toMatchObject({ symbol: 'XRPUSDT', status: 'Settling' });
    const s = await getJson<{ list: { symbol: string }[] }>(`${addr.restUrl}/v5/market/instruments-info?category=linear&status=Settling`);
    expect(s.body.result.list.map((i) => i.symbol)).toEqual(['XRPUSDT']);
    await control('instrument-status', { symbol: 'XRPUSDT', status: 'Trading' });
    expect(await control('instrument-status', { symbol: 'XRPUSDT', status: 'Gone' })).toMatchObject({ status: 400 });
    expect(await control('clock', { offsetMs: 'soon' })).toMatchObject({ status: 400 });
    expect(await control('burst', { symbol: 'BTCUSDT', tradesPerSecond: -1 })).toMatchObject({ status: 400 });
    expect(await control('ws-outage', {})).toMatchObject({ status: 400 });
  });

  test('when controls are misused, then they answer 400 or 404 with a reason', async () => {
    expect(await control('gap', { symbol: 'NOPE' })).toMatchObject({ status: 400, body: { ok: false } });
    expect(await control('price', { symbol: 'BTCUSDT', price: -1 })).toMatchObject({ status: 400 });
    expect(await control('regime', { symbol: 'BTCUSDT', regime: 'sideways' })).toMatchObject({ status: 400 });
    expect(await control('explode')).toMatchObject({ status: 404 });
  });

  test('when reading state, then counters reflect connections, pings and injected faults', async () => {
    const c = await connect();
    await c.request('ping');
    await control('gap', { symbol: 'BTCUSDT' });
    const state = (await fetch(`${addr.restUrl}/sim/state`).then((r) => r.json())) as {
      counters: { connections: number; pings: number; faultsInjected: Record<string, number> };
      faults: { pendingGaps: string[] };
      symbols: Record<string, { regime: string; lastTradeId: string }>;
    };
    expect(state.counters.connections).toBe(1);
    expect(state.counters.pings).toBeGreaterThan(0);
    expect(state.counters.faultsInjected.drop).toBe(1);
    expect(state.faults.pendingGaps).toEqual(['BTCUSDT']);
    expect(Object.keys(state.symbols)).toHaveLength(20);
  });
});
