import net from 'node:net';
import request from 'supertest';
import { type Cache, createCache } from '@confluence/cache';
import { loadWebConfig } from '@confluence/config';
import { type LogMeta, type Logger, silentLogger } from '@confluence/logger';
import { type Memcached, rawRequest, startMemcached, waitFor, publishGeneration } from '@confluence/testkit';
import { createApp, type WebApp } from '../src/app';
import { tokenMatcher } from '../src/security';

const TOKEN = 'a-long-enough-secret-token';
const ERROR_SHAPE = { error: { code: expect.any(String), message: expect.any(String) } };

/** A logger that keeps every line, to look for secrets in what would have been written. */
function recordingLogger(lines: string[]): Logger {
  const rec = (level: string) => (message: string, meta?: LogMeta) => void lines.push(JSON.stringify({ level, message, ...meta }));
  const l: Logger = { error: rec('error'), warn: rec('warn'), info: rec('info'), debug: rec('debug'), child: () => l };
  return l;
}

let mc: Memcached;
let cache: Cache;

beforeAll(async () => {
  mc = await startMemcached();
  cache = createCache({ servers: [mc.address], timeoutMs: 500 });
  await publishGeneration(cache, 100, { extras: true });
});
afterAll(async () => {
  cache?.close();
  await mc?.stop();
});

async function startWith(env: Record<string, string>, logger: Logger = silentLogger()): Promise<{ app: WebApp; url: string; port: number }> {
  const app = createApp(loadWebConfig({ MEMCACHED_SERVERS: mc.address, WEB_PORT: '0', WEB_POLL_MS: '50', WEB_RATE_LIMIT_PER_MIN: '0', ...env }), { logger });
  const { url, port } = await app.start();
  await waitFor(async () => (await request(url).get('/healthz')).body.state === 'ok', { what: 'web ok' });
  return { app, url, port };
}

describe('token: constant-time comparison', () => {
  test('when tokens are compared, then only the exact token matches, whatever the length given', () => {
    const matches = tokenMatcher(TOKEN);
    expect(matches(TOKEN)).toBe(true);
    for (const wrong of [undefined, '', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase(), 'x'.repeat(5000), `${TOKEN}\u0000`])
      expect(matches(wrong)).toBe(false);
  });
});

describe('web with authentication on', () => {
  let app: WebApp;
  let url: string;
  let port: number;
  const lines: string[] = [];

  beforeAll(async () => {
    ({ app, url, port } = await startWith({ WEB_AUTH_TOKEN: TOKEN, WEB_AUTH_FAILURES_PER_MIN: '10000', LOG_LEVEL: 'debug' }, recordingLogger(lines)));
  });
  afterAll(() => app?.stop());

  test('when a cookie, Authorization header, ?token= or Last-Event-ID is malformed, then 401/400 with the error shape on every route', async () => {
    const routes = ['/', '/api/symbols', '/api/symbols/SYM1USDT', '/api/stream', '/static/dashboard.css', '/js/main.js', '/metrics'];
    const cookies = [
      'confluence_token=%E0%A4%A',
      'confluence_token=%',
      'confluence_token=%zz%',
      'confluence_token="unterminated',
      'confluence_token=',
      'confluence_token=a b',
      '=;;=;confluence_token',
      'confluence_token=%00',
    ];
    const auths = ['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer%20x', `Bearer ${TOKEN} extra`, 'Bearer \u00ff\u00fe', `Bearer ${'x'.repeat(4000)}`];
    let checked = 0;
    for (const route of routes) {
      for (const cookie of cookies) {
        const res = await request(url).get(route).set('Cookie', cookie);
        expect([route, cookie, res.status]).toEqual([route, cookie, 401]);
        expect(res.body).toEqual(ERROR_SHAPE);
        checked++;
      }
      for (const auth of auths) {
        const res = await request(url).get(route).set('Authorization', auth);
        expect([route, auth.slice(0, 40), res.status]).toEqual([route, auth.slice(0, 40), 401]);
        expect(res.body).toEqual(ERROR_SHAPE);
        checked++;
      }
    }
    for (const q of ['%E0%A4%A', '%', `${TOKEN}%00`, `${TOKEN}&token=${TOKEN}`, '']) {
      const res = await request(url).get(`/?token=${q}`);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(ERROR_SHAPE);
      checked++;
    }
    // With a good token, a Last-Event-ID that is not a generation number is a 400, never a stream or a 5xx.
    for (const id of ['abc', '-1', '1'.repeat(30), '1 2', '%E0%A4%A']) {
      const res = await rawRequest(
        port,
        `GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nLast-Event-ID: ${id}\r\nConnection: close\r\n\r\n`,
      );
      expect([id, res.status]).toEqual([id, 400]);
      expect(JSON.parse(res.body)).toEqual(ERROR_SHAPE);
      checked++;
    }
    expect(checked).toBe(routes.length * (cookies.length + auths.length) + 10);
    // A malformed cookie next to a good one does not lock the user out; a good cookie among others works.
    await request(url)
      .get('/api/status')
      .set('Cookie', `other=%E0%A4%A; confluence_token=${encodeURIComponent(TOKEN)}`)
      .expect(200);
  });

  test('when the page is opened with ?token=, then the cookie is HttpOnly and SameSite=Strict and the browser lands on the clean URL', async () => {
    const login = await request(url).get(`/?token=${TOKEN}`).expect(302);
    expect(login.headers.location).toBe('/');
    expect(login.headers['referrer-policy']).toBe('no-referrer');
    expect(login.headers['cache-control']).toBe('no-store');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const page = await request(url).get('/').set('Cookie', cookie.split(';')[0]).expect(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // Already logged in, the token in the address is still taken out of it.
    const again = await request(url).get(`/?token=${TOKEN}`).set('Cookie', cookie.split(';')[0]).expect(302);
    expect(again.headers.location).toBe('/');
    // Without a trusted proxy, a client's own X-Forwarded-Proto claim does not make the cookie Secure.
    const claimed = await request(url).get(`/?token=${TOKEN}`).set('X-Forwarded-Proto', 'https').expect(302);
    expect(String(claimed.headers['set-cookie'])).not.toMatch(/Secure/);
  });

  test('when requests carry the token (or a wrong one) in every place, then no log line contains it', async () => {
    await request(url).get(`/?token=${TOKEN}`);
    await request(url).get(`/api/nope?token=${TOKEN}`);
    await request(url).get(`/api/symbols?token=${TOKEN}`).set('Authorization', `Bearer ${TOKEN}`);
    await request(url).get('/api/symbols/%E0%A4%A').set('Cookie', `confluence_token=${TOKEN}`);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(encodeURIComponent(TOKEN));
  });
});

describe('web behind a TLS proxy', () => {
  test('when WEB_TRUST_PROXY names the proxy and it says https, then the cookie is also Secure', async () => {
    const { app, url } = await startWith({ WEB_AUTH_TOKEN: TOKEN, WEB_TRUST_PROXY: 'loopback' });
    try {
      const tls = await request(url).get(`/?token=${TOKEN}`).set('X-Forwarded-Proto', 'https').expect(302);
      const cookie = String(tls.headers['set-cookie']);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Secure/);
      const plain = await request(url).get(`/?token=${TOKEN}`).expect(302);
      expect(String(plain.headers['set-cookie'])).not.toMatch(/Secure/);
    } finally {
      await app.stop();
    }
  });
});

describe('failed authentication and the rate limit', () => {
  test('when a client keeps sending wrong tokens, then it is limited (429) before the token is even checked, and other clients are not', async () => {
    const { app, url } = await startWith({ WEB_AUTH_TOKEN: TOKEN, WEB_AUTH_FAILURES_PER_MIN: '20', WEB_TRUST_PROXY: 'loopback' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await request(url).get('/api/status').set('Authorization', `Bearer wrong-token-number-${i}`)).status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(40);
      const limited = await request(url).get('/api/status').set('Authorization', `Bearer ${TOKEN}`).expect(429);
      expect(limited.body.error.code).toBe('too_many_auth_failures');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another address (through the trusted proxy) is not affected; the health check never is.
      await request(url).get('/api/status').set('X-Forwarded-For', '203.0.113.9').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      await request(url).get('/healthz').expect(200);
    } finally {
      await app.stop();
    }
  });

  test('when the rate limit is reached, then /metrics, static files and / are limited too, /healthz is not', async () => {
    const { app, url } = await startWith({ WEB_RATE_LIMIT_PER_MIN: '3', WEB_TRUST_PROXY: 'loopback' });
    try {
      for (const path of ['/metrics', '/static/dashboard.css', '/', '/api/status']) {
        const ip = `198.51.100.${path.length}`;
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await request(url).get(path).set('X-Forwarded-For', ip)).status);
        expect([path, statuses]).toEqual([path, [200, 200, 200, 429, 429]]);
      }
      for (let i = 0; i < 5; i++) await request(url).get('/healthz').set('X-Forwarded-For', '198.51.100.200').expect(200);
    } finally {
      await app.stop();
    }
  });
});

describe('Host header (DNS rebinding)', () => {
  test('when the Host is not an IP, localhost or a configured name, then 400 host_not_allowed; /healthz answers anyway', async () => {
    const { app, port } = await startWith({ WEB_ALLOWED_HOSTS: 'confluence.example.com,*.lan' });
    const get = (host: string, path = '/api/status') => rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    try {
      for (const host of ['evil.example', 'rebind.attacker.test:8001', 'confluence.example.com.evil.test', 'lan', 'x_y', '']) {
        const res = await get(host);
        expect([host, res.status]).toEqual([host, 400]);
        expect(JSON.parse(res.body)).toEqual(ERROR_SHAPE);
        if (host === 'evil.example') expect(JSON.parse(res.body).error.code).toBe('host_not_allowed');
      }
      for (const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `[::1]:${port}`,
        '10.1.2.3',
        'confluence.example.com',
        'CONFLUENCE.example.com:443',
        'box.lan',
        'app.localhost',
      ]) {
        expect([host, (await get(host)).status]).toEqual([host, 200]);
      }
      expect((await get('evil.example', '/healthz')).status).toBe(200);
      expect((await get('evil.example', '/')).status).toBe(400);
    } finally {
      await app.stop();
    }
  });
});

describe('methods, HEAD on the stream, Node parser errors', () => {
  let app: WebApp;
  let url: string;
  let port: number;
  beforeAll(async () => {
    ({ app, url, port } = await startWith({}));
  });
  afterAll(() => app?.stop());

  const sseClients = async () => Number(/^confluence_web_sse_clients\{[^}]*\} (\d+)/m.exec((await request(url).get('/metrics')).text)?.[1]);

  test('when HEAD /api/stream is asked, then it answers at once with the stream headers and is not a stream client', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await rawRequest(port, 'HEAD /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { head: true, timeoutMs: 3000 });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    }
    expect(await sseClients()).toBe(0);
  });

  test('when a route gets a method it does not take, then 405 with Allow and the error shape', async () => {
    for (const [method, path] of [
      ['POST', '/api/symbols'],
      ['DELETE', '/api/symbols/BTCUSDT'],
      ['PUT', '/api/stream'],
      ['PATCH', '/'],
      ['POST', '/healthz'],
      ['POST', '/metrics'],
      ['DELETE', '/static/dashboard.css'],
      ['POST', '/js/main.js'],
    ] as const) {
      const res = await request(url)[method.toLowerCase() as 'post'](path);
      expect([method, path, res.status]).toEqual([method, path, 405]);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.body).toEqual(ERROR_SHAPE);
    }
    const options = await request(url).options('/api/symbols').expect(204);
    expect(options.headers.allow).toBe('GET, HEAD');
    await request(url).post('/no/such/thing').expect(404);
  });

  test("when Node's parser refuses a request (malformed, oversized headers), then the 400/431 has a JSON body", async () => {
    const cases: Array<[string, number]> = [
      ['GARBAGE\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n', 400],
      ['GET /\u0001 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
      [`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      [`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: v`).join('\r\n')}\r\n\r\n`, 431],
    ];
    for (const [raw, status] of cases) {
      const res = await rawRequest(port, raw);
      expect([raw.slice(0, 50), res.status]).toEqual([raw.slice(0, 50), status]);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toEqual(ERROR_SHAPE);
    }
  });
});

describe('stream caps', () => {
  test('when more streams open than the caps allow, then 503 too_many_streams; a closed stream frees its place', async () => {
    const { app, port, url } = await startWith({ WEB_SSE_MAX_CLIENTS: '3', WEB_SSE_MAX_PER_IP: '2', WEB_TRUST_PROXY: 'loopback' });
    const sockets: net.Socket[] = [];
    const open = (ip: string) =>
      new Promise<{ status: number; body: string; socket: net.Socket }>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${ip}\r\n\r\n`));
        sockets.push(socket);
        let data = '';
        socket.on('data', (d) => {
          data += d.toString();
          const end = data.indexOf('\r\n\r\n');
          if (end >= 0) resolve({ status: Number(data.slice(9, 12)), body: data.slice(end + 4), socket });
        });
        socket.on('error', reject);
      });
    try {
      expect((await open('192.0.2.1')).status).toBe(200);
      const second = await open('192.0.2.1');
      expect(second.status).toBe(200);
      const perIp = await open('192.0.2.1');
      expect(perIp.status).toBe(503);
      expect(perIp.body).toMatch(/WEB_SSE_MAX_PER_IP/);
      expect((await open('192.0.2.2')).status).toBe(200);
      const total = await open('192.0.2.3');
      expect(total.status).toBe(503);
      expect(total.body).toMatch(/too_many_streams.*WEB_SSE_MAX_CLIENTS/);
      second.socket.destroy();
      await waitFor(async () => (await open('192.0.2.3')).status === 200, { what: 'a freed place' });
      await request(url).get('/api/symbols').expect(200);
    } finally {
      for (const s of sockets) s.destroy();
      await app.stop();
    }
  });
});
