// The WebSocket protocol over real loopback sockets, with a manual clock so every market step is
// triggered by the test (fast and deterministic).
import { createSimulator, type SimAddress, type Simulator } from '../src';
import { snapshotFirst } from '../src/ws-server';
import { BookReplica, getJson, SimWsClient, type Frame } from './sim-client';

const START = Date.UTC(2026, 0, 15, 10, 37, 24, 500);

let sim: Simulator;
let addr: SimAddress;
const clients: SimWsClient[] = [];

async function connect(url = addr.wsUrl): Promise<SimWsClient> {
  const c = await SimWsClient.connect(url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sim = createSimulator({ seed: 42, symbols: 20, manualClock: true, startTime: START });
  addr = await sim.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await sim.stop();
});

const isAnswer = (op: string) => (f: Frame) => f.op === op && 'success' in f;

describe('simulator WebSocket', () => {
  test('when subscribing, then the answer has Bybit linear shape', async () => {
    const c = await connect();
    const answer = await c.request('subscribe', ['publicTrade.BTCUSDT']);
    expect(Object.keys(answer).sort()).toEqual(['conn_id', 'op', 'req_id', 'ret_msg', 'success']);
    expect(answer).toMatchObject({ success: true, ret_msg: '', req_id: 't1', op: 'subscribe' });
    expect(typeof answer.conn_id).toBe('string');
  });

  test('when pinging, then the pong has op "ping" and ret_msg "pong"', async () => {
    const c = await connect();
    const pong = await c.request('ping');
    expect(pong).toMatchObject({ success: true, ret_msg: 'pong', req_id: 't1', op: 'ping' });
    expect(typeof pong.conn_id).toBe('string');
  });

  test('when following a book, then a snapshot comes first and deltas continue u by one, never crossed', async () => {
    const c = await connect();
    const topic = 'orderbook.50.ETHUSDT';
    await c.request('subscribe', [topic]);
    const first = await c.waitFor((f) => f.topic === topic);
    expect(first.type).toBe('snapshot');
    expect(first).toHaveProperty('cts');
    const book = new BookReplica();
    book.apply(first);
    expect(book.bids.size).toBe(50);
    for (let i = 0; i < 30; i++) {
      const seen = c.frames.length;
      sim.step();
      const delta = await c.waitFor((f) => f.topic === topic, 2000, seen);
      const data = delta.data as { u: number; seq: number; s: string };
      expect(delta.type).toBe('delta');
      expect(data.u).toBe(book.u + 1);
      book.apply(delta);
      expect(book.bestBid()).toBeLessThan(book.bestAsk());
    }
    // With the manual clock nothing moved since the last delta, so REST shows the same book.
    const rest = await getJson<{ b: [string, string][]; a: [string, string][] }>(`${addr.restUrl}/v5/market/orderbook?category=linear&symbol=ETHUSDT&limit=50`);
    expect(new Map(rest.body.result.b)).toEqual(book.bids);
    expect(new Map(rest.body.result.a)).toEqual(book.asks);
  });

  test('when a symbol is one that answers late, then its first snapshot arrives before the subscribe answer', async () => {
    const early = sim.symbols().find((s) => snapshotFirst(s));
    const late = sim.symbols().find((s) => !snapshotFirst(s));
    if (early === undefined || late === undefined) throw new Error('expected both kinds among 20 symbols');
    const c = await connect();
    await c.request('subscribe', [`tickers.${early}`, `tickers.${late}`]);
    await c.waitFor((f) => f.topic === `tickers.${late}`);
    const order = c.frames.map((f) => (f.topic as string | undefined) ?? (f.op as string));
    expect(order.indexOf(`tickers.${early}`)).toBeLessThan(order.indexOf('subscribe'));
    expect(order.indexOf(`tickers.${late}`)).toBeGreaterThan(order.indexOf('subscribe'));
  });

  test('when ticker deltas are merged into the snapshot, then the result equals the REST ticker', async () => {
    const c = await connect();
    const topic = 'tickers.SOLUSDT';
    await c.request('subscribe', [topic]);
    const snapshot = await c.waitFor((f) => f.topic === topic && f.type === 'snapshot');
    expect(snapshot).toHaveProperty('cs');
    expect(snapshot).toHaveProperty('ts');
    const merged = { ...(snapshot.data as Record<string, string>) };
    const fieldCount = Object.keys(merged).length;
    let smallest = fieldCount;
    for (let i = 0; i < 20; i++) {
      const seen = c.frames.length;
      sim.step();
      const delta = await c.waitFor((f) => f.topic === topic, 2000, seen).catch(() => undefined);
      if (delta === undefined) continue;
      expect(delta.type).toBe('delta');
      const data = delta.data as Record<string, string>;
      expect(data.symbol).toBe('SOLUSDT');
      smallest = Math.min(smallest, Object.keys(data).length);
      Object.assign(merged, data);
    }
    expect(smallest).toBeLessThan(fieldCount);
    const rest = await getJson<{ list: Record<string, string>[] }>(`${addr.restUrl}/v5/market/tickers?category=linear&symbol=SOLUSDT`);
    expect(merged).toEqual(rest.body.result.list[0]);
    for (const v of Object.values(merged)) expect(typeof v).toBe('string');
  });

  test('when a candle closes, then one kline message carries the confirmed candle and the new one', async () => {
    const c = await connect();
    const topic = 'kline.1.BTCUSDT';
    await c.request('subscribe', [topic]);
    const first = await c.waitFor((f) => f.topic === topic);
    const [open] = first.data as { start: number; end: number; confirm: boolean }[];
    expect(open.confirm).toBe(false);
    expect(open.end - open.start).toBe(59_999);
    sim.step(650);
    const closing = await c.waitFor((f) => f.topic === topic && (f.data as { confirm: boolean }[]).some((k) => k.confirm));
    const [done, next] = closing.data as { start: number; confirm: boolean; open: string; close: string }[];
    expect(done).toMatchObject({ start: open.start, confirm: true });
    expect(next).toMatchObject({ start: open.start + 60_000, confirm: false, open: done.close });
  });

  test('when trades happen, then publicTrade batches carry Bybit trade fields in time order', async () => {
    const c = await connect();
    await c.request('subscribe', ['publicTrade.BTCUSDT']);
    sim.step(20);
    const frame = await c.waitFor((f) => f.topic === 'publicTrade.BTCUSDT');
    const trades = frame.data as Record<string, unknown>[];
    expect(Object.keys(trades[0]).sort()).toEqual(['BT', 'L', 'RPI', 'S', 'T', 'i', 'p', 's', 'seq', 'v']);
    expect(trades[0]).toMatchObject({ s: 'BTCUSDT', BT: expect.any(Boolean), seq: expect.any(Number) });
    expect(['Buy', 'Sell']).toContain(trades[0].S);
    expect(trades[0].p).toMatch(/^\d+\.\d{2}$/);
    const times = trades.map((t) => t.T as number);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('when liquidations happen, then allLiquidation frames carry T, s, S, v, p', async () => {
    const c = await connect();
    await c.request(
      'subscribe',
      sim.symbols().map((s) => `allLiquidation.${s}`),
    );
    const isLiquidation = (f: Frame): boolean => typeof f.topic === 'string' && f.topic.startsWith('allLiquidation.');
    // Liquidations are rare (a few per symbol-hour of market time): step until one shows up.
    for (let i = 0; i < 40 && !c.frames.some(isLiquidation); i++) {
      sim.step(100);
      await c.request('ping');
    }
    const frame = await c.waitFor(isLiquidation);
    const [liq] = frame.data as Record<string, unknown>[];
    expect(Object.keys(liq).sort()).toEqual(['S', 'T', 'p', 's', 'v']);
  });

  test('when a topic is invalid, then the whole request fails and the answer names it', async () => {
    const c = await connect();
    const bad = await c.request('subscribe', ['publicTrade.FOOUSDT', 'tickers.BTCUSDT']);
    expect(bad).toMatchObject({ success: false, op: 'subscribe' });
    expect(bad.ret_msg).toContain('publicTrade.FOOUSDT');
    const unknown = await c.request('subscribe', ['candles.1.BTCUSDT']);
    expect(unknown.ret_msg).toContain('candles.1.BTCUSDT');
    // Nothing of the failed request was subscribed, so the valid topic can be subscribed now.
    expect(await c.request('subscribe', ['tickers.BTCUSDT'])).toMatchObject({ success: true });
    expect(await c.request('subscribe', ['tickers.BTCUSDT'])).toMatchObject({ success: false });
  });

  test('when args exceed 21,000 characters on one connection, then the subscribe fails', async () => {
    const c = await connect();
    expect(await c.request('subscribe', ['publicTrade.BTCUSDT'])).toMatchObject({ success: true });
    const tooLong = await c.request('subscribe', ['x'.repeat(21_000 - 'publicTrade.BTCUSDT'.length + 1)]);
    expect(tooLong).toMatchObject({ success: false });
    expect(tooLong.ret_msg).toContain('21000');
  });

  test('when unsubscribing, then no more frames arrive for the topic', async () => {
    const c = await connect();
    await c.request('subscribe', ['orderbook.50.BTCUSDT']);
    await c.waitFor((f) => f.topic === 'orderbook.50.BTCUSDT');
    const answer = await c.request('unsubscribe', ['orderbook.50.BTCUSDT']);
    expect(answer).toMatchObject({ success: true, op: 'unsubscribe' });
    const seen = c.frames.length;
    sim.step(10);
    const pong = await c.request('ping');
    expect(pong.ret_msg).toBe('pong');
    expect(c.frames.slice(seen).filter((f) => f.topic === 'orderbook.50.BTCUSDT')).toEqual([]);
  });

  test('when a request is not understood, then the answer says so without closing the connection', async () => {
    const c = await connect();
    c.send('not json');
    await c.waitFor((f) => f.success === false && String(f.ret_msg).includes('JSON'));
    c.send({ op: 'dance', req_id: 'x' });
    const answer = await c.waitFor(isAnswer('dance'));
    expect(answer).toMatchObject({ success: false, req_id: 'x' });
    expect((await c.request('ping')).ret_msg).toBe('pong');
  });

  test('when a connection never pings, then it is closed after the idle timeout', async () => {
    const idleSim = createSimulator({ symbols: 2, manualClock: true, startTime: START, idleTimeoutMs: 200 });
    const idleAddr = await idleSim.start();
    try {
      const c = await connect(idleAddr.wsUrl);
      const started = Date.now();
      await c.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(idleSim.state().counters.idleClosed).toBe(1);
    } finally {
      await idleSim.stop();
    }
  });
});
