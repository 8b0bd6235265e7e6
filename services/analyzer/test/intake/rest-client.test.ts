import { silentLogger } from '@confluence/logger';
import { BybitRestClient, createHttpTransport, RestError, type RestTiming } from '../../src/intake/bybit/rest-client';
import { RateLimiter } from '../../src/intake/rate-limiter';
import { fixtureLines } from './fixtures';
import { ok, sendJson, startHttp, waitFor, type HttpHandler, type TestHttpServer } from './helpers';

const FAST: Partial<RestTiming> = { timeoutMs: 2_000, retryBaseMs: 10, retryMaxMs: 50, backoff403Ms: 80, maxAttempts: 4, maxRateLimited: 4 };

let server: TestHttpServer | undefined;
let client: BybitRestClient | undefined;

async function setup(handler: HttpHandler, timing: Partial<RestTiming> = FAST, limiter: RateLimiter | null = null) {
  server = await startHttp(handler);
  client = new BybitRestClient({ transport: createHttpTransport(server.url), logger: silentLogger(), limiter, timing });
  return { server, client };
}

afterEach(async () => {
  client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

describe('REST client', () => {
  test('when instruments span several pages, then the cursor is followed until empty and passed back verbatim', async () => {
    const pages = [
      { list: [{ symbol: 'AUSDT', contractType: 'LinearPerpetual', status: 'Trading', quoteCoin: 'USDT' }], nextPageCursor: 'first%3DA%26last%3DA' },
      { list: [{ symbol: 'BUSDT', contractType: 'LinearPerpetual', status: 'Trading', quoteCoin: 'USDT' }], nextPageCursor: 'first%3DB%26last%3DB' },
      { list: [{ symbol: 'CUSDT', contractType: 'LinearPerpetual', status: 'Closed', quoteCoin: 'USDT' }], nextPageCursor: '' },
    ];
    const { server, client } = await setup(({ query }, res) => {
      const cursor = query.get('cursor');
      const i = cursor === null ? 0 : pages.findIndex((p) => p.nextPageCursor === cursor) + 1;
      sendJson(res, ok({ category: 'linear', ...pages[i] }));
    });
    const list = await client.instruments();
    expect(list.map((i) => [i.symbol, i.status])).toEqual([
      ['AUSDT', 'Trading'],
      ['BUSDT', 'Trading'],
      ['CUSDT', 'Closed'],
    ]);
    expect(server.requests.map((r) => [r.path, r.query.get('category'), r.query.get('limit'), r.query.get('cursor')])).toEqual([
      ['/v5/market/instruments-info', 'linear', '1000', null],
      ['/v5/market/instruments-info', 'linear', '1000', 'first%3DA%26last%3DA'],
      ['/v5/market/instruments-info', 'linear', '1000', 'first%3DB%26last%3DB'],
    ]);
  });

  test('when the real docs instruments answer is served, then it parses', async () => {
    const body = fixtureLines('http_instruments_info.docs.jsonl')[0];
    const { client } = await setup((_r, res) => sendJson(res, body));
    const list = await client.instruments();
    expect(list[0]).toMatchObject({ symbol: 'BTCUSDT', contractType: 'LinearPerpetual', status: 'Trading', quoteCoin: 'USDT', fundingInterval: 480 });
  });

  test('when klines come newest first, then they are returned oldest first with the forming one unconfirmed (by server time)', async () => {
    const t = 1_700_000_000_000;
    const { client } = await setup((_r, res) =>
      sendJson(
        res,
        ok(
          {
            symbol: 'AUSDT',
            category: 'linear',
            list: [
              [String(t + 120_000), '3', '3', '3', '3', '1', '3'],
              [String(t + 60_000), '2', '2', '2', '2', '1', '2'],
              [String(t), '1', '1', '1', '1', '1', '1'],
            ],
          },
          t + 150_000,
        ),
      ),
    );
    const candles = await client.klines('AUSDT', '1', 3);
    expect(candles.map((c) => [c.start - t, c.close, c.confirmed])).toEqual([
      [0, 1, true],
      [60_000, 2, true],
      [120_000, 3, false],
    ]);
  });

  test('when OI, account ratio and funding are fetched (docs answers), then they parse to oldest-first points', async () => {
    const bodies: Record<string, string> = {
      '/v5/market/open-interest': fixtureLines('http_open_interest.docs.jsonl')[0],
      '/v5/market/account-ratio': fixtureLines('http_account_ratio.docs.jsonl')[0],
      '/v5/market/funding/history': fixtureLines('http_funding_history.docs.jsonl')[0],
    };
    const { client } = await setup(({ path }, res) => sendJson(res, bodies[path]));
    const oi = await client.openInterest('BTCUSD', '5min', 5);
    expect(oi[0]).toEqual({ ts: 1780617600000, openInterest: 63942311 });
    expect(oi.map((p) => p.ts)).toEqual([...oi.map((p) => p.ts)].sort((a, b) => a - b));
    expect(await client.accountRatio('BTCUSDT', '5min', 2)).toEqual([
      { ts: 1696258800000, buyRatio: 0.4927, sellRatio: 0.5073 },
      { ts: 1696262400000, buyRatio: 0.49, sellRatio: 0.51 },
    ]);
    expect(await client.fundingHistory('ETHPERP', 1)).toEqual([{ ts: 1672041600000, rate: 0.0001 }]);
  });

  test('when HTTP 403 comes, then the retry succeeds', async () => {
    const { server, client } = await setup(
      ({ n }, res) => (n === 1 ? sendJson(res, 'access too frequent', 403) : sendJson(res, ok({ list: [] }))),
      FAST,
      new RateLimiter(),
    );
    await expect(client.tickers()).resolves.toEqual([]);
    expect(server.requests).toHaveLength(2);
    expect(client.counters.rateLimited).toBe(1);
    expect(client.counters.errors).toBe(0);
  });

  test('when HTTP 403 comes, then every request waits out the long backoff: one from another caller is held in the shared limiter', async () => {
    const limiter = new RateLimiter();
    const { server, client } = await setup((_r, res) => sendJson(res, 'access too frequent', 403), { ...FAST, backoff403Ms: 60_000 }, limiter);
    const first = client.tickers();
    await waitFor(() => client.counters.rateLimited === 1, 5_000, 'the 403 answer');
    // The pause (60 s) is set before the client starts waiting; a second caller is queued, not sent.
    const second = client.tickers();
    expect(limiter.pending).toBe(1);
    expect(limiter.active).toBe(0);
    expect(server.requests).toHaveLength(1);
    client.close();
    await expect(first).rejects.toMatchObject({ code: 'closed' });
    await expect(second).rejects.toMatchObject({ code: 'closed' });
    expect(server.requests).toHaveLength(1);
  });

  test('when HTTP 429 comes, then it backs off and retries', async () => {
    const { server, client } = await setup(({ n }, res) => (n <= 2 ? sendJson(res, 'too many', 429) : sendJson(res, ok({ list: [] }))));
    await expect(client.tickers()).resolves.toEqual([]);
    expect(server.requests).toHaveLength(3);
    expect(client.counters.rateLimited).toBe(2);
  });

  test('when retCode 10006 comes with X-Bapi-Limit-Reset-Timestamp, then it waits until the reset and retries', async () => {
    let resetAt = 0;
    const { server, client } = await setup(({ n }, res) => {
      if (n === 1) {
        resetAt = Date.now() + 150;
        sendJson(res, { retCode: 10006, retMsg: 'Too many visits!', result: {}, retExtInfo: {}, time: Date.now() }, 200, {
          'X-Bapi-Limit-Reset-Timestamp': String(resetAt),
        });
      } else sendJson(res, ok({ list: [] }));
    });
    await client.tickers();
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].at).toBeGreaterThanOrEqual(resetAt - 5);
    expect(client.counters.rateLimited).toBe(1);
  });

  test('when rate limiting never ends, then it gives up with a rate_limited error', async () => {
    const { client } = await setup((_r, res) => sendJson(res, 'too many', 429), { ...FAST, maxRateLimited: 2 });
    await expect(client.tickers()).rejects.toMatchObject({ code: 'rate_limited' });
    expect(client.counters.errors).toBe(1);
  });

  test('when retCode ≠ 0 (10001 parameter error) comes with HTTP 200, then it is an error and not retried', async () => {
    const { server, client } = await setup((_r, res) => sendJson(res, { retCode: 10001, retMsg: 'params error', result: {}, retExtInfo: {}, time: 1 }));
    const err = await client.tickers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect(err).toMatchObject({ code: 'retcode', retCode: 10001 });
    expect(server.requests).toHaveLength(1);
    expect(client.counters.errors).toBe(1);
  });

  test('when transient failures (10016, 10000, 502) come, then it retries with backoff and succeeds', async () => {
    const { server, client } = await setup(({ n }, res) => {
      if (n === 1) sendJson(res, { retCode: 10016, retMsg: 'server error', result: {}, time: 1 });
      else if (n === 2) sendJson(res, { retCode: 10000, retMsg: 'timeout', result: {}, time: 1 });
      else if (n === 3) sendJson(res, 'bad gateway', 502);
      else sendJson(res, ok({ list: [{ symbol: 'AUSDT', turnover24h: '12.5' }] }));
    });
    await expect(client.tickers()).resolves.toEqual([{ symbol: 'AUSDT', turnover24h: 12.5, lastPrice: undefined, volume24h: undefined }]);
    expect(server.requests).toHaveLength(4);
    expect(client.counters.retries).toBe(3);
  });

  test('when the server does not answer, then each attempt times out and the error is a timeout', async () => {
    const { server, client } = await setup(() => undefined, { ...FAST, timeoutMs: 100, maxAttempts: 2 });
    await expect(client.tickers()).rejects.toMatchObject({ code: 'timeout' });
    // Two attempts, each abandoned by the client (the server never answered either).
    expect(server.requests).toHaveLength(2);
    expect(client.counters).toMatchObject({ retries: 1, errors: 1 });
  });

  test('when the server is down, then it is a network error after retries', async () => {
    const s = await startHttp(() => undefined);
    const url = s.url;
    await s.close();
    client = new BybitRestClient({ transport: createHttpTransport(url), logger: silentLogger(), limiter: null, timing: { ...FAST, maxAttempts: 2 } });
    await expect(client.tickers()).rejects.toMatchObject({ code: 'network' });
  });

  test('when many requests are queued, then the limiter keeps at most 4 in flight and starts no more than its rate allows', async () => {
    // The limiter's clock is the test's: requests can only start as fast as this clock hands out tokens.
    let clock = 1_000_000;
    let inFlight = 0;
    let maxInFlight = 0;
    const limiter = new RateLimiter({ ratePerSec: 50, burst: 5, maxInFlight: 4, now: () => clock });
    const { server, client } = await setup(
      (_r, res) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          sendJson(res, ok({ list: [] }));
        }, 20);
      },
      FAST,
      limiter,
    );
    const all = Promise.all(Array.from({ length: 20 }, () => client.tickers()));
    // The burst (5 tokens) goes out with the clock standing still, and then nothing more can start.
    await waitFor(() => server.requests.length === 5 && limiter.active === 0, 5_000, 'the burst of 5');
    expect(limiter.pending).toBe(15);
    // Each 100 ms of limiter time at 50/s buys exactly 5 more (the bucket holds no more than the burst).
    for (const started of [10, 15]) {
      clock += 100;
      await waitFor(() => server.requests.length === started && limiter.active === 0, 5_000, `${started} started`);
      expect(limiter.pending).toBe(20 - started);
    }
    clock += 100;
    await all;
    expect(server.requests).toHaveLength(20);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  test('when closed, then waiting and later requests fail with closed', async () => {
    const { client } = await setup((_r, res) => sendJson(res, 'x', 403), { ...FAST, backoff403Ms: 60_000 });
    const p = client.tickers();
    await waitFor(() => client.counters.rateLimited === 1, 5_000, 'the 403 answer');
    client.close();
    await expect(p).rejects.toMatchObject({ code: 'closed' });
    await expect(client.tickers()).rejects.toMatchObject({ code: 'closed' });
  });

  test('when an answer arrives, then onResponse sees the path with query and the raw body', async () => {
    const seen: [string, number, string][] = [];
    server = await startHttp((_r, res) => sendJson(res, ok({ list: [] })));
    client = new BybitRestClient({
      transport: createHttpTransport(server.url),
      logger: silentLogger(),
      limiter: null,
      timing: FAST,
      onResponse: (p, r) => seen.push([p, r.status, r.body]),
    });
    await client.klines('AUSDT', '5', 300);
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toBe('/v5/market/kline?category=linear&symbol=AUSDT&interval=5&limit=300');
    expect(seen[0][1]).toBe(200);
    expect(JSON.parse(seen[0][2]).retCode).toBe(0);
  });

  test('when a 403 is an HTML page, then it is an access block: an error (counted), logged once with the body, cleared by the next answer', async () => {
    const page =
      '<!DOCTYPE HTML><HTML><BODY><H1>403 ERROR</H1>The Amazon CloudFront distribution is configured to block access from your country.</BODY></HTML>';
    let blocked = true;
    server = await startHttp((_r, res) => {
      if (blocked) {
        res.writeHead(403, { 'content-type': 'text/html' });
        res.end(page);
      } else sendJson(res, ok({ list: [] }));
    });
    const lines: { level: string; message: string; meta: Record<string, unknown> }[] = [];
    const logger = { ...silentLogger(), error: (message: string, meta: Record<string, unknown> = {}) => lines.push({ level: 'error', message, meta }) };
    const events: (string | null)[] = [];
    client = new BybitRestClient({
      transport: createHttpTransport(server.url),
      logger,
      limiter: null,
      timing: FAST,
      onAccessBlock: (b) => events.push(b ? b.message : null),
    });
    for (let k = 0; k < 3; k++)
      await expect(client.tickers()).rejects.toMatchObject({ code: 'access_blocked', status: 403, message: "Bybit refuses this server's IP (HTTP 403)" });
    expect(client.counters).toMatchObject({ errors: 3, accessBlocked: 3, rateLimited: 0 });
    expect(client.accessBlock()).toMatchObject({ status: 403, sample: expect.stringContaining('configured to block access') });
    expect(lines).toHaveLength(1);
    expect(String(lines[0].meta.body)).toContain('<H1>403 ERROR</H1>');
    blocked = false;
    await expect(client.tickers()).resolves.toEqual([]);
    expect(client.accessBlock()).toBeNull();
    expect(events).toEqual(["Bybit refuses this server's IP (HTTP 403)", null]);
  });

  test('when the server time is asked, then the offset is its time minus the local midpoint, from timeNano', async () => {
    const ahead = 42_000;
    const { client } = await setup((_r, res) => {
      const t = Date.now() + ahead;
      sendJson(res, ok({ timeSecond: String(Math.floor(t / 1000)), timeNano: `${t}123456` }, t));
    });
    const m = await client.serverTime();
    expect(Math.abs(m.offsetMs - ahead)).toBeLessThanOrEqual(m.rttMs + 5);
    expect(m.rttMs).toBeGreaterThanOrEqual(0);
  });
});
