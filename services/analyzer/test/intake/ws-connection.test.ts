import { silentLogger } from '@confluence/logger';
import { createNormalizer } from '../../src/intake/bybit/normalize';
import { WsConnection, type DisconnectInfo, type WsTiming } from '../../src/intake/bybit/ws-connection';
import { WsPool } from '../../src/intake/bybit/ws-pool';
import { topicsForSymbol } from '@confluence/bybit-wire';
import type { DataEvent } from '../../src/intake/events';
import { defaultAnswer, startWs, waitFor, type TestWsServer } from './helpers';

const FAST: Partial<WsTiming> = {
  pingIntervalMs: 60_000,
  pongTimeoutMs: 60_000,
  staleTimeoutMs: 60_000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  subscribeRetryBaseMs: 40,
  subscribeRetryMaxMs: 200,
  stableAfterMs: 60_000,
};

let server: TestWsServer | undefined;
const conns: WsConnection[] = [];
const pools: WsPool[] = [];

function connect(url: string, timing: Partial<WsTiming> = FAST, random?: () => number) {
  const normalizer = createNormalizer();
  const data: DataEvent[] = [];
  const disconnects: DisconnectInfo[] = [];
  const conn = new WsConnection({
    id: 0,
    url,
    logger: silentLogger(),
    timing,
    decode: (raw, t) => normalizer.normalize(raw, t),
    onData: (ev) => data.push(ev),
    random,
  });
  conn.on('disconnect', (d) => disconnects.push(d));
  conns.push(conn);
  return { conn, data, disconnects, normalizer };
}

const trade = (symbol: string) =>
  JSON.stringify({ topic: `publicTrade.${symbol}`, type: 'snapshot', ts: 1, data: [{ T: 1, s: symbol, S: 'Buy', v: '1', p: '2', i: 'x' }] });

afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.stop()));
  await Promise.all(pools.splice(0).map((p) => p.stop()));
  const s = server;
  server = undefined;
  if (s) {
    try {
      // Every client socket was closed by stop() (the server side finishes its close handshake just after).
      await waitFor(() => s.clients().length === 0, 2_000, 'server sockets closed');
    } finally {
      await s.close();
    }
  }
});

describe('WsConnection against a local WebSocketServer', () => {
  test('when 25 topics are subscribed, then requests carry at most 10 args each, with distinct req_ids, and all get confirmed', async () => {
    server = await startWs();
    const { conn } = connect(server.url);
    const topics = Array.from({ length: 25 }, (_, i) => `tickers.S${i}USDT`);
    conn.subscribe(topics);
    conn.start();
    await waitFor(() => topics.every((t) => conn.isConfirmed(t)), 3_000, 'all confirmed');
    const subs = server.received.filter((r) => r.msg.op === 'subscribe').map((r) => r.msg);
    expect(subs.map((m) => m.args!.length)).toEqual([10, 10, 5]);
    expect(new Set(subs.map((m) => m.req_id)).size).toBe(3);
    expect(subs.flatMap((m) => m.args)).toEqual(topics);
    expect(conn.state).toBe('connected');
  });

  test('when a data snapshot arrives before the subscribe answer, then the data is delivered and the ack still confirms', async () => {
    server = await startWs((msg, socket) => {
      if (msg.op === 'subscribe') {
        socket.send(trade('AUSDT'));
        setTimeout(() => defaultAnswer(msg, socket), 30);
      } else defaultAnswer(msg, socket);
    });
    const { conn, data } = connect(server.url);
    conn.subscribe(['publicTrade.AUSDT']);
    conn.start();
    await waitFor(() => data.length === 1, 3_000, 'data');
    expect(conn.isConfirmed('publicTrade.AUSDT')).toBe(false);
    await waitFor(() => conn.isConfirmed('publicTrade.AUSDT'), 3_000, 'ack');
  });

  test('when one topic of a batch is rejected, then the batch is split, the bad topic counted, logged and retried with backoff until accepted', async () => {
    let rejectBad = 2; // reject the bad topic on its first two single-topic attempts
    server = await startWs((msg, socket) => {
      if (msg.op === 'subscribe' && msg.args!.includes('tickers.BADUSDT')) {
        if (msg.args!.length > 1 || rejectBad-- > 0) {
          socket.send(
            JSON.stringify({ success: false, ret_msg: 'error:handler not found,topic:tickers.BADUSDT', conn_id: 'c', req_id: msg.req_id, op: 'subscribe' }),
          );
          return;
        }
      }
      defaultAnswer(msg, socket);
    });
    const { conn } = connect(server.url);
    const rejected: string[] = [];
    conn.on('subscribe_rejected', (r) => rejected.push(r.topic));
    conn.subscribe(['tickers.AUSDT', 'tickers.BADUSDT', 'tickers.BUSDT']);
    conn.start();
    await waitFor(() => conn.isConfirmed('tickers.AUSDT') && conn.isConfirmed('tickers.BUSDT'), 3_000, 'good topics');
    await waitFor(() => conn.isConfirmed('tickers.BADUSDT'), 5_000, 'bad topic finally accepted');
    expect(rejected).toEqual(['tickers.BADUSDT', 'tickers.BADUSDT']);
    expect(conn.subscribeRejected).toBe(2);
    expect(conn.state).toBe('connected'); // not fatal
    const badAttempts = server.received.filter((r) => r.msg.op === 'subscribe' && r.msg.args!.length === 1 && r.msg.args![0] === 'tickers.BADUSDT');
    expect(badAttempts).toHaveLength(3);
  });

  test('when the ping interval passes, then a ping with req_id is sent and the pong keeps the connection', async () => {
    server = await startWs();
    const { conn } = connect(server.url, { ...FAST, pingIntervalMs: 30, pongTimeoutMs: 200 });
    conn.start();
    await waitFor(() => server!.received.filter((r) => r.msg.op === 'ping').length >= 4, 3_000, 'pings');
    const pings = server.received.filter((r) => r.msg.op === 'ping').map((r) => r.msg);
    expect(pings.every((p) => typeof p.req_id === 'string' && p.req_id.length > 0)).toBe(true);
    expect(conn.reconnects).toBe(0);
    expect(server.connections).toBe(1);
  });

  test('when no pong comes within the timeout, then the socket is terminated, reconnected and every topic resubscribed', async () => {
    let answerPings = false;
    server = await startWs((msg, socket) => {
      if (msg.op === 'ping' && !answerPings) return;
      defaultAnswer(msg, socket);
    });
    const { conn, disconnects } = connect(server.url, { ...FAST, pingIntervalMs: 30, pongTimeoutMs: 60 });
    conn.subscribe(['tickers.AUSDT', 'orderbook.50.AUSDT']);
    conn.start();
    await waitFor(() => server!.connections >= 2, 3_000, 'reconnect');
    answerPings = true;
    await waitFor(() => conn.state === 'connected' && conn.isConfirmed('orderbook.50.AUSDT'), 3_000, 'resubscribed');
    expect(disconnects[0]).toMatchObject({ connId: 0, topics: ['tickers.AUSDT', 'orderbook.50.AUSDT'] });
    expect(disconnects[0].reason).toMatch(/pong/);
    const subsOnSecond = server.received.filter((r) => r.msg.op === 'subscribe' && r.socket === server!.clients()[0]);
    expect(subsOnSecond.flatMap((r) => r.msg.args)).toEqual(['tickers.AUSDT', 'orderbook.50.AUSDT']);
  });

  test('when the server keeps dropping the connection, then it reconnects with growing backoff and resubscribes', async () => {
    const openedAt: number[] = [];
    server = await startWs();
    server.wss.on('connection', (socket) => {
      openedAt.push(Date.now());
      if (openedAt.length <= 4) setTimeout(() => socket.terminate(), 5);
    });
    // random() = 1 → the delay is exactly the ceiling: 20, 40, 80, 160 ms.
    const { conn, disconnects } = connect(server.url, FAST, () => 1);
    conn.subscribe(['tickers.AUSDT']);
    conn.start();
    await waitFor(() => openedAt.length >= 5 && conn.isConfirmed('tickers.AUSDT'), 5_000, 'fifth connection');
    const gaps = openedAt.slice(1).map((t, i) => t - openedAt[i]);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[3]).toBeGreaterThan(gaps[2]);
    expect(gaps[3]).toBeGreaterThanOrEqual(160);
    expect(conn.reconnects).toBe(4);
    expect(disconnects).toHaveLength(4);
  });

  test('when no data at all arrives for the stale timeout, then the connection is treated as dead and reconnects', async () => {
    server = await startWs();
    const { conn, disconnects } = connect(server.url, { ...FAST, staleTimeoutMs: 80 });
    conn.subscribe(['tickers.AUSDT']);
    conn.start();
    await waitFor(() => disconnects.length >= 1, 3_000, 'stale disconnect');
    expect(disconnects[0].reason).toMatch(/no data/);
    await waitFor(() => server!.connections >= 2, 3_000, 'reconnected');
  });

  test('when topics are unsubscribed or resubscribed, then the right requests are sent', async () => {
    server = await startWs();
    const { conn } = connect(server.url);
    conn.subscribe(['tickers.AUSDT', 'orderbook.50.AUSDT']);
    conn.start();
    await waitFor(() => conn.isConfirmed('orderbook.50.AUSDT'), 3_000, 'confirmed');
    conn.resubscribe('orderbook.50.AUSDT');
    conn.unsubscribe(['tickers.AUSDT']);
    await waitFor(() => server!.received.filter((r) => r.msg.op === 'unsubscribe').length === 2, 3_000, 'unsubscribes');
    const ops = server.received.filter((r) => r.msg.op !== 'ping').map((r) => `${r.msg.op}:${r.msg.args!.join(',')}`);
    expect(ops).toEqual([
      'subscribe:tickers.AUSDT,orderbook.50.AUSDT',
      'unsubscribe:orderbook.50.AUSDT',
      'subscribe:orderbook.50.AUSDT',
      'unsubscribe:tickers.AUSDT',
    ]);
    expect(conn.topics()).toEqual(['orderbook.50.AUSDT']);
  });
});

describe('WsPool', () => {
  test('when many symbols are added, then topics spread over connections within the per-connection caps, one symbol per connection', async () => {
    server = await startWs();
    const normalizer = createNormalizer();
    const pool = new WsPool({
      url: server.url,
      logger: silentLogger(),
      timing: FAST,
      maxTopicsPerConnection: 40,
      decode: (r, t) => normalizer.normalize(r, t),
      onData: () => undefined,
    });
    pools.push(pool);
    const symbols = Array.from({ length: 12 }, (_, i) => `SYM${i}USDT`);
    for (const s of symbols) pool.addSymbol(s, topicsForSymbol(s));
    pool.start();
    const conns = pool.connections();
    expect(conns).toHaveLength(3); // 8 topics per symbol, 5 symbols (40 topics) per connection
    expect(conns.map((c) => c.topicCount)).toEqual([40, 40, 16]);
    await waitFor(() => pool.stats().every((s) => s.state === 'connected'), 3_000, 'connected');
    await waitFor(() => server!.received.filter((r) => r.msg.op === 'subscribe').length === 10, 3_000, 'subscribes');
    for (const r of server.received) if (r.msg.op === 'subscribe') expect(r.msg.args!.length).toBeLessThanOrEqual(10);
    for (const s of symbols) expect(conns.find((c) => c.topics().includes(`tickers.${s}`))).toBe(pool.connectionOf(s));
    // Removing all symbols of one connection closes it.
    for (const s of symbols.slice(10)) pool.removeSymbol(s);
    expect(pool.connections()).toHaveLength(2);
    await waitFor(() => server!.clients().length === 2, 3_000, 'third socket closed');
  });

  test('when the args budget binds before the topic cap, then a new connection is opened', () => {
    const pool = new WsPool({
      url: 'ws://127.0.0.1:9',
      logger: silentLogger(),
      maxTopicsPerConnection: 1000,
      maxArgsCharsPerConnection: 21_000,
      decode: () => [],
      onData: () => undefined,
    });
    pools.push(pool);
    // ~30 chars per topic → 8 topics ≈ 250 chars per symbol: 21,000 chars hold ~84 symbols.
    for (let i = 0; i < 100; i++) pool.addSymbol(`LONGSYMBOLNAME${i}USDT`, topicsForSymbol(`LONGSYMBOLNAME${i}USDT`));
    const conns = pool.connections();
    expect(conns.length).toBe(2);
    for (const c of conns) expect(c.topics().reduce((n, t) => n + t.length + 3, 0)).toBeLessThanOrEqual(21_000);
  });
});
