import http from 'node:http';
import zlib from 'node:zlib';
import fc from 'fast-check';
import request from 'supertest';
import { type Cache, createCache } from '@confluence/cache';
import { DEFAULT_KEY_PREFIX, createKeys, makeEnvelope } from '@confluence/contracts';
import { loadWebConfig } from '@confluence/config';
import { silentLogger } from '@confluence/logger';
import { startMemcached, type Memcached, waitFor, freePort, META, buildOverviewEnvelope, buildSymbolsEnvelope, heartbeatData } from '@confluence/testkit';
import { createApp, type WebApp } from '../src/app';

const keys = createKeys(DEFAULT_KEY_PREFIX);

async function publish(cache: Cache, generation: number, n = 20): Promise<void> {
  const meta = { ...META, generation, producedAt: Date.now() };
  await cache.set(keys.symbols(), JSON.stringify(buildSymbolsEnvelope(n, meta)), 60);
  await cache.set(keys.overview(), JSON.stringify(buildOverviewEnvelope(n, meta)), 60);
  await cache.set(keys.heartbeat(), JSON.stringify(makeEnvelope('heartbeat', meta, heartbeatData(Date.now(), generation, 20))), 60);
}

describe('web API against a real memcached', () => {
  let mc: Memcached;
  let cache: Cache;
  let app: WebApp;
  let url: string;

  beforeAll(async () => {
    mc = await startMemcached();
    cache = createCache({ servers: [mc.address], timeoutMs: 500 });
    const config = loadWebConfig({ MEMCACHED_SERVERS: mc.address, WEB_PORT: '0', WEB_POLL_MS: '50', WEB_RATE_LIMIT_PER_MIN: '0' });
    app = createApp(config, { logger: silentLogger() });
    url = (await app.start()).url;
    await publish(cache, 100);
    await waitFor(async () => (await request(url).get('/api/status')).body.status.state === 'ok', { what: 'ok' });
  });

  afterAll(async () => {
    await app?.stop();
    cache?.close();
    await mc?.stop();
  });

  test('when the table is published, then /api/symbols serves every row with the status and generation', async () => {
    const res = await request(url).get('/api/symbols').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.generation).toBe(100);
    expect(res.body.status.state).toBe('ok');
    expect(res.body.status.simulated).toBe(true);
    expect(res.body.data.rows).toHaveLength(20);
  });

  test('when sorted and filtered, then rows follow the query', async () => {
    const res = await request(url).get('/api/symbols?sort=score&order=asc&direction=Bearish').expect(200);
    const scores = res.body.data.rows.map((r: { score: number }) => r.score);
    expect(scores.length).toBeGreaterThan(0);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => a - b));
    expect(res.body.data.rows.every((r: { direction: string }) => r.direction === 'Bearish')).toBe(true);
    const q = await request(url).get('/api/symbols?q=sym1').expect(200);
    expect(q.body.data.rows.every((r: { symbol: string }) => r.symbol.includes('SYM1'))).toBe(true);
  });

  test('when a parameter is unknown or malformed, then a 400 with the error shape', async () => {
    for (const path of [
      '/api/symbols?sort=drop%20table',
      '/api/symbols?limit=0',
      '/api/symbols?bogus=1',
      '/api/symbols?sort=score&sort=price',
      '/api/symbols/btc-usdt',
      '/api/overview?x=1',
    ]) {
      const res = await request(url).get(path);
      expect([400, 404]).toContain(res.status);
      expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  test('when a symbol is valid but not tracked, then 404 unknown_symbol', async () => {
    const res = await request(url).get('/api/symbols/NOPEUSDT').expect(404);
    expect(res.body.error.code).toBe('unknown_symbol');
  });

  test('property: hostile path and query strings never produce a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), async (a, b) => {
        const seg = encodeURIComponent(a);
        for (const path of [
          `/api/symbols/${seg}`,
          `/api/symbols/${seg}/history`,
          `/api/symbols?sort=${seg}&q=${encodeURIComponent(b)}`,
          `/api/symbols?${seg}=${encodeURIComponent(b)}`,
          `/api/timeline/${seg}`,
        ]) {
          const res = await request(url).get(path);
          if (res.status >= 500) throw new Error(`${path} → ${res.status} ${res.text}`);
          if (res.status >= 400 && !res.body.error) throw new Error(`${path} → ${res.status} without error shape`);
        }
      }),
      { numRuns: 60 },
    );
    for (const raw of ['/api/symbols/%E0%A4%A', '/api/symbols/%', '/api/symbols/..%2F..%2Fetc%2Fpasswd', `/api/symbols/${'A'.repeat(3000)}`]) {
      const res = await request(url).get(raw);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error).toBeDefined();
    }
  });

  test('when a row with a hostile symbol is in the table, then that row is dropped and counted, the rest served', async () => {
    const env = buildSymbolsEnvelope(3, { ...META, generation: 101, producedAt: Date.now() });
    (env.data.rows[1] as { symbol: string }).symbol = '<script>alert(1)</script>';
    const meta = { ...META, generation: 101, producedAt: Date.now() };
    await cache.set(keys.symbols(), JSON.stringify(env), 60);
    await cache.set(keys.overview(), JSON.stringify(buildOverviewEnvelope(3, meta)), 60);
    await cache.set(keys.heartbeat(), JSON.stringify(makeEnvelope('heartbeat', meta, heartbeatData(Date.now(), 101, 20))), 60);
    const res = await waitFor(async () => {
      const r = await request(url).get('/api/symbols');
      return r.body.generation === 101 ? r : null;
    });
    expect(res.body.data.rows.map((r: { symbol: string }) => r.symbol)).toEqual(['SYM0USDT', 'SYM2USDT']);
    expect(res.body.status.rejected.some((x: { reason: string }) => x.reason === 'bad_rows')).toBe(true);
    await publish(cache, 102);
    await waitFor(async () => (await request(url).get('/api/symbols')).body.generation === 102);
  });

  test('when a value has an unknown schema version, then it is reported in the status and not rendered', async () => {
    await cache.set(keys.calibration(), JSON.stringify({ ...makeEnvelope('alerts', META, { alerts: [] }), schema: 99, kind: 'calibration' }), 60);
    // The calibration push (every 2 s) may have just read the key and hold its earlier absence for ON_DEMAND_TTL_MS.
    const rejectedNow = async () => {
      const res = await request(url).get('/api/calibration').expect(200);
      expect(res.body.data).toBeNull();
      return (res.body.status.rejected as Array<{ key: string; reason: string }>).some((r) => r.key === keys.calibration() && r.reason === 'newer_schema');
    };
    await waitFor(rejectedNow);
    await cache.delete(keys.calibration());
  });

  test('when the overview is of another generation than the table, then the reader keeps the previous consistent pair', async () => {
    const meta = { ...META, generation: 200, producedAt: Date.now() };
    await cache.set(keys.symbols(), JSON.stringify(buildSymbolsEnvelope(5, meta)), 60);
    await cache.set(keys.heartbeat(), JSON.stringify(makeEnvelope('heartbeat', meta, heartbeatData(Date.now(), 200, 20))), 60);
    // overview still at 102: never combined with table 200
    await app.reader.pollOnce();
    const res = await request(url).get('/api/symbols').expect(200);
    expect(res.body.generation).toBe(102);
    await cache.set(keys.overview(), JSON.stringify(buildOverviewEnvelope(5, meta)), 60);
    await waitFor(async () => (await request(url).get('/api/symbols')).body.generation === 200);
    const ov = await request(url).get('/api/overview').expect(200);
    expect(ov.body.generation).toBe(200);
    await publish(cache, 300);
    await waitFor(async () => (await request(url).get('/api/symbols')).body.generation === 300);
  });

  test('when the page is requested, then strict security headers are set and no inline script is allowed', async () => {
    const res = await request(url).get('/').expect(200);
    const csp = res.headers['content-security-policy'];
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('when an API answer or a health check is requested, then it may not be rendered, framed or sniffed', async () => {
    for (const path of ['/api/symbols', '/api/status', '/api/nope', '/healthz']) {
      const res = await request(url).get(path);
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  test('when the SSE stream is opened, then the current status and snapshot arrive at once', async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}/api/stream`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      text += Buffer.from(value ?? new Uint8Array()).toString();
      return text.includes('event: snapshot');
    });
    controller.abort();
    expect(text).toMatch(/event: status\ndata: \{"state":"ok"/);
    expect(text).toMatch(/id: 300\nevent: snapshot/);
  });

  test('when a new generation is published, then an SSE client receives it without asking', async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}/api/stream`, { signal: controller.signal, headers: { 'Last-Event-ID': '300' } });
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString();
      }
    })().catch(() => undefined);
    await waitFor(() => text.includes('event: status'));
    expect(text).not.toMatch(/id: 300/);
    await publish(cache, 301);
    await waitFor(() => text.includes('id: 301\nevent: snapshot'), { timeoutMs: 5000 });
    controller.abort();
    await reading;
  });

  test('when the dashboard is loaded, then the page is revalidated every time and its hashed modules are kept for good', async () => {
    const page = await request(url).get('/').expect(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    // Revalidation answers 304 while the build is the same.
    await request(url)
      .get('/')
      .set('If-None-Match', page.headers.etag as string)
      .expect(304);
    const scripts = [...page.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    // One external module script, under a content-hashed name; no inline script (the CSP allows only 'self').
    expect(scripts).toHaveLength(1);
    const entry = /^<script type="module" src="(\/js\/main-[A-Z0-9]{8}\.js)">$/.exec(scripts[0])?.[1];
    expect(entry).toBeDefined();
    const js = await request(url)
      .get(entry as string)
      .expect(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-type']).toMatch(/javascript/);
    // The bundle carries the shared rules itself and loads the chart library on demand, from its own route.
    expect(js.text).toContain('/vendor/lightweight-charts.mjs');
    expect(js.text).not.toMatch(/^import\s.*from\s*["']@confluence/m);
    expect((await request(url).get('/vendor/lightweight-charts.mjs').expect(200)).headers['content-type']).toMatch(/javascript/);
    // Unhashed names (the tsc output the unit tests load, or an old deploy's modules) are not served at all.
    for (const p of ['/js/main.js', '/js/table-model.js', '/js/types.js']) await request(url).get(p).expect(404);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
  });
});

/** A GET that asks for gzip and hands back the raw (still encoded) response. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(url, { headers }, resolve).on('error', reject));
}

async function readAll(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('web compression', () => {
  let mc: Memcached;
  let cache: Cache;
  let app: WebApp;
  let url: string;

  beforeAll(async () => {
    mc = await startMemcached();
    cache = createCache({ servers: [mc.address], timeoutMs: 500 });
    app = createApp(loadWebConfig({ MEMCACHED_SERVERS: mc.address, WEB_PORT: '0', WEB_POLL_MS: '50', WEB_RATE_LIMIT_PER_MIN: '0' }), {
      logger: silentLogger(),
    });
    url = (await app.start()).url;
    await publish(cache, 500, 40);
    await waitFor(async () => (await request(url).get('/api/status')).body.status.state === 'ok', { what: 'ok' });
  });
  afterAll(async () => {
    await app?.stop();
    cache?.close();
    await mc?.stop();
  });

  test('when a client accepts gzip, then the table, a filtered table and the overview come gzipped and decode to the same JSON', async () => {
    for (const p of ['/api/symbols', '/api/symbols?sort=score', '/api/overview']) {
      const plainRes = await rawGet(url + p);
      expect(plainRes.headers['content-encoding']).toBeUndefined();
      const plain = await readAll(plainRes);
      const gz = await rawGet(url + p, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers.vary).toMatch(/Accept-Encoding/i);
      const body = await readAll(gz);
      console.log(`${p}: ${plain.length} B plain, ${body.length} B gzipped`);
      expect(body.length).toBeLessThan(plain.length / 2);
      const decoded = JSON.parse(zlib.gunzipSync(body).toString());
      expect(decoded.generation).toBe(JSON.parse(plain.toString()).generation);
      expect(decoded.data).toEqual(JSON.parse(plain.toString()).data);
    }
  });

  test('when the stream is gzipped, then every event still arrives as it is published (the encoder is flushed)', async () => {
    const res = await rawGet(`${url}/api/stream`, { 'accept-encoding': 'gzip' });
    const plain = await rawGet(`${url}/api/stream`);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    let text = '';
    let plainText = '';
    let wireBytes = 0;
    const gunzip = zlib.createGunzip();
    gunzip.on('data', (d: Buffer) => (text += d.toString()));
    res.on('data', (d: Buffer) => (wireBytes += d.length));
    res.pipe(gunzip);
    plain.on('data', (d: Buffer) => (plainText += d.toString()));
    try {
      await waitFor(() => text.includes('id: 500\nevent: snapshot'), { timeoutMs: 5000, what: 'the first snapshot through gzip' });
      for (const g of [501, 502, 503]) {
        await publish(cache, g, 40);
        await waitFor(() => text.includes(`id: ${g}\nevent: snapshot`), { timeoutMs: 5000, what: `generation ${g} through gzip without more data behind it` });
      }
      await waitFor(() => plainText.includes('id: 503\nevent: snapshot'), { timeoutMs: 5000, what: 'the plain stream' });
      console.log(`stream, 4 generations of 40 rows: ${Buffer.byteLength(plainText)} B plain, ${wireBytes} B gzipped`);
      expect(wireBytes).toBeLessThan(Buffer.byteLength(plainText) / 2);
    } finally {
      res.destroy();
      plain.destroy();
    }
  });
});

describe('web auth and limits', () => {
  let mc: Memcached;
  let app: WebApp;
  let url: string;
  const TOKEN = 'a-long-enough-secret-token';

  beforeAll(async () => {
    mc = await startMemcached();
    app = createApp(loadWebConfig({ MEMCACHED_SERVERS: mc.address, WEB_PORT: '0', WEB_AUTH_TOKEN: TOKEN, WEB_RATE_LIMIT_PER_MIN: '5' }), {
      logger: silentLogger(),
    });
    url = (await app.start()).url;
  });
  afterAll(async () => {
    await app?.stop();
    await mc?.stop();
  });

  test('when a token is configured, then the API needs it, health checks do not, and /?token= sets a cookie', async () => {
    await request(url).get('/healthz').expect(200);
    const denied = await request(url).get('/api/status').expect(401);
    expect(denied.body.error.code).toBe('unauthorized');
    await request(url).get('/api/status').set('Authorization', 'Bearer wrong-token-wrong-token').expect(401);
    await request(url).get('/api/status').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    const login = await request(url).get(`/?token=${TOKEN}`).expect(302);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    await request(url).get('/api/status').set('Cookie', cookie.split(';')[0]).expect(200);
  });

  test('when a client exceeds the rate limit, then 429 with the error shape', async () => {
    let last = 0;
    let body: { error?: { code: string } } = {};
    for (let i = 0; i < 8; i++) {
      const r = await request(url).get('/api/status').set('Authorization', `Bearer ${TOKEN}`);
      last = r.status;
      body = r.body;
    }
    expect(last).toBe(429);
    expect(body.error?.code).toBe('rate_limited');
  });

  test('when a request body is too large, then 413 before any work', async () => {
    const res = await request(url).post('/api/status').set('Authorization', `Bearer ${TOKEN}`).set('Content-Type', 'application/json').send('x'.repeat(20_000));
    expect(res.status).toBe(413);
  });
});

describe('web when memcached is down at start', () => {
  test('when nothing answers, then status is cache_unreachable and requests do not hang', async () => {
    const port = await freePort();
    const app = createApp(loadWebConfig({ MEMCACHED_SERVERS: `127.0.0.1:${port}`, WEB_PORT: '0', MEMCACHED_TIMEOUT_MS: '200' }), { logger: silentLogger() });
    const { url } = await app.start();
    try {
      await waitFor(async () => (await request(url).get('/api/status')).body.status.state === 'cache_unreachable');
      const res = await request(url).get('/api/symbols').expect(503);
      expect(res.body.error.code).toBe('cache_unreachable');
      // A detail request is answered too, with the error body (no table was ever read, so the symbol is not tracked).
      const detail = await request(url).get('/api/symbols/BTCUSDT');
      expect(detail.status).toBe(404);
      expect(detail.body.error.code).toBe('unknown_symbol');
    } finally {
      await app.stop();
    }
  });
});
