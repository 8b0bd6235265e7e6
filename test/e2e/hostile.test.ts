import { type Cache, createCache } from '@confluence/cache';
import {
  type Memcached,
  type RawResponse,
  type Service,
  dumpOnFailure,
  getJson,
  rawRequest,
  startMemcached,
  startWeb,
  stopAll,
  waitFor,
  SNAPSHOT_MINUTE,
  publishGeneration,
} from '@confluence/testkit';

/**
 * The hostile-parameter suite, in every configuration a user can choose: authentication on and off, the rate limits
 * on and off, one analyzer or three shards. Each configuration gets the same ~1,500 hostile requests (paths, query
 * strings, methods and headers) as raw bytes, so requests no well-behaved client would build are tried too.
 * Nothing may answer 5xx or hang, every error has the `{error:{code,message}}` shape, and with authentication on
 * nothing but the health check answers 2xx without the token: no data route, no stream, no static file.
 */

const TOKEN = 'hostile-suite-token-0123456789';
const SYMBOLS = 12;

interface Config {
  name: string;
  auth: boolean;
  rateLimit: boolean;
  shards: number;
}

const CONFIGS: Config[] = [];
for (const auth of [false, true])
  for (const rateLimit of [false, true])
    for (const shards of [1, 3])
      CONFIGS.push({
        name: `auth ${auth ? 'on' : 'off'}, rate limit ${rateLimit ? 'on' : 'off'}, ${shards} shard${shards > 1 ? 's' : ''}`,
        auth,
        rateLimit,
        shards,
      });

/** Values that must never be accepted where a symbol, minute, sort key, direction or limit is expected. */
const HOSTILE = [
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '%00',
  '%',
  '%E0%A4%A',
  '%C0%AE%C0%AE%2F',
  'A'.repeat(3000),
  '😀',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal log4shell probe string, sent as it is
  '${jndi:ldap://x}',
  '\u0000\u0001',
  '-1',
  'a b',
  '__proto__',
  'constructor',
  '%2e%2e%2f%2e%2e%2f',
  '..%5c..%5c',
  '\r\nSet-Cookie: x=1',
  '1e309',
  'NaN',
];

const PATHS = [
  '/',
  '/api/status',
  '/api/symbols',
  '/api/symbols/SYM1USDT',
  '/api/symbols/SYM1USDT/history',
  '/api/overview',
  '/api/movers',
  '/api/calibration',
  '/api/alerts',
  '/api/timeline',
  `/api/timeline/${SNAPSHOT_MINUTE}`,
  '/api/stream',
  '/metrics',
  '/static/dashboard.css',
  '/static/index.html',
  '/js/main.js',
  '/vendor/lightweight-charts.js',
  '/healthz',
];

interface Req {
  label: string;
  path: string;
  raw: string;
  /** Whether it carries the valid token (only sent when authentication is on). */
  authed: boolean;
  head?: boolean;
}

function build(
  method: string,
  path: string,
  headers: string[],
  options: { authed?: boolean; version?: string; host?: string | null; body?: string } = {},
): string {
  const lines = [`${method} ${path} HTTP/${options.version ?? '1.1'}`];
  if (options.host !== null) lines.push(`Host: ${options.host ?? '127.0.0.1'}`);
  if (options.authed) lines.push(`Authorization: Bearer ${TOKEN}`);
  lines.push(...headers, 'Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`;
}

/** Header sets tried on every path: cookies, Range, Host, Expect, Upgrade, oversized and repeated headers, and more. */
const HEADER_CASES: Array<{ label: string; headers: string[]; version?: string; host?: string | null; body?: string }> = [
  { label: 'cookie bad percent-encoding', headers: ['Cookie: confluence_token=%E0%A4%A'] },
  { label: 'cookie lone %', headers: ['Cookie: confluence_token=%'] },
  { label: 'cookie empty value', headers: ['Cookie: confluence_token='] },
  { label: 'cookie NUL', headers: ['Cookie: confluence_token=%00%00'] },
  { label: 'cookie quoted', headers: ['Cookie: confluence_token="x'] },
  { label: 'cookie 200 pairs', headers: [`Cookie: ${Array.from({ length: 200 }, (_, i) => `c${i}=%${i}`).join('; ')}`] },
  { label: 'cookie repeated', headers: ['Cookie: confluence_token=wrong-wrong-wrong-1', 'Cookie: confluence_token=%E0%A4%A'] },
  { label: 'cookie junk separators', headers: ['Cookie: ;;;==;=;confluence_token;;'] },
  { label: 'range tail', headers: ['Range: bytes=-1'] },
  { label: 'range beyond', headers: ['Range: bytes=999999999-'] },
  { label: 'range multi/inverted', headers: ['Range: bytes=5-3,0-0,-2,9-'] },
  { label: 'range garbage', headers: ['Range: lines=a-b'] },
  { label: 'host foreign', headers: [], host: 'evil.example' },
  { label: 'host foreign with port', headers: [], host: 'rebind.attacker.test:8001' },
  { label: 'host empty', headers: [], host: '' },
  { label: 'host missing', headers: [], host: null },
  { label: 'host repeated', headers: ['Host: evil.example'] },
  { label: 'host junk', headers: [], host: '[::1' },
  { label: 'http/1.0 without host', headers: [], host: null, version: '1.0' },
  { label: 'expect 100-continue', headers: ['Expect: 100-continue'] },
  { label: 'expect bogus', headers: ['Expect: 200-ok'] },
  {
    label: 'upgrade websocket',
    headers: ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'],
  },
  { label: 'upgrade h2c', headers: ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'] },
  { label: 'oversized header', headers: [`X-Big: ${'a'.repeat(20_000)}`] },
  { label: 'oversized cookie', headers: [`Cookie: confluence_token=${'b'.repeat(20_000)}`] },
  { label: '3000 headers', headers: Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`) },
  { label: 'authorization basic', headers: ['Authorization: Basic dXNlcjpwYXNz'] },
  { label: 'authorization empty bearer', headers: ['Authorization: Bearer '] },
  { label: 'authorization repeated', headers: ['Authorization: Bearer wrong-wrong-wrong-1', 'Authorization: Bearer wrong-wrong-wrong-2'] },
  { label: 'authorization latin1', headers: ['Authorization: Bearer \u00ff\u00fe\u00fd'] },
  { label: 'last-event-id junk', headers: ['Last-Event-ID: ../../x'] },
  { label: 'last-event-id repeated', headers: ['Last-Event-ID: 1', 'Last-Event-ID: 2'] },
  { label: 'content-length junk', headers: ['Content-Length: abc'] },
  { label: 'content-length and chunked', headers: ['Content-Length: 3', 'Transfer-Encoding: chunked'] },
  { label: 'GET with a JSON body', headers: ['Content-Type: application/json', 'Content-Length: 5'], body: '{"a":' },
  { label: 'bad chunked body', headers: ['Transfer-Encoding: chunked'], body: 'zz\r\n' },
  { label: 'NUL in a header', headers: ['X-Test: a\u0000b'] },
  { label: 'spoofed forwarding', headers: ['X-Forwarded-For: 1.2.3.4, <script>', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: evil.example'] },
  { label: 'conditional junk', headers: ['If-None-Match: "x', 'If-Modified-Since: yesterday', 'If-Range: bogus'] },
  { label: 'accept junk', headers: ['Accept: */*;q=nan', 'Accept-Encoding: gzip;q=2, br;q=-1, *;q=x'] },
];

function requestsFor(config: Config): Req[] {
  const out: Req[] = [];
  const variants = config.auth ? [true, false] : [false];
  for (const authed of variants) {
    // Paths and query strings.
    for (const raw of HOSTILE) {
      const v = /%/.test(raw) ? raw : encodeURIComponent(raw);
      for (const path of [
        `/api/symbols/${v}`,
        `/api/symbols/${v}/history`,
        `/api/symbols?sort=${v}`,
        `/api/symbols?direction=${v}`,
        `/api/symbols?limit=${v}`,
        `/api/symbols?q=${v}`,
        `/api/symbols?${v}=1`,
        `/api/timeline/${v}`,
        `/api/${v}`,
        `/static/${v}`,
        `/js/${v}`,
        `/?token=${v}`,
        `/api/stream?${v}`,
      ]) {
        out.push({ label: `path ${path.slice(0, 60)}`, path, raw: build('GET', path, [], { authed }), authed });
      }
    }
    // Methods.
    for (const path of PATHS) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'])
        out.push({ label: `${method} ${path}`, path, raw: build(method, path, [], { authed }), authed });
      out.push({ label: `HEAD ${path}`, path, raw: build('HEAD', path, [], { authed }), authed, head: true });
    }
    // Headers on every path.
    for (const path of PATHS) {
      for (const c of HEADER_CASES)
        out.push({
          label: `${c.label} on ${path}`,
          path,
          raw: build('GET', path, c.headers, { authed, version: c.version, host: c.host, body: c.body }),
          authed,
        });
    }
  }
  return out;
}

/** Markers that only appear in a body carrying market data. */
const DATA_MARKERS = [/SYM\d+USDT/, /"rows"/, /event: snapshot/, /confluence_web_/];

interface Tally {
  config: string;
  requests: number;
  byClass: Record<string, number>;
  limited: number;
  fiveXX: number;
  noAnswer: number;
  badShape: number;
  leaks: number;
  failures: string[];
}

const tallies: Tally[] = [];

function judge(config: Config, req: Req, res: RawResponse | Error, tally: Tally): void {
  tally.requests++;
  if (res instanceof Error || res.status === 0) {
    tally.noAnswer++;
    tally.failures.push(`${req.label}: no answer (${res instanceof Error ? res.message.slice(0, 80) : 'closed'})`);
    return;
  }
  const cls = `${Math.floor(res.status / 100)}xx`;
  tally.byClass[cls] = (tally.byClass[cls] ?? 0) + 1;
  if (res.status === 429) tally.limited++;
  if (res.status >= 500) {
    tally.fiveXX++;
    tally.failures.push(`${req.label}: ${res.status} ${res.body.slice(0, 120)}`);
  }
  if (res.status >= 400 && !req.head) {
    let ok = false;
    try {
      const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
      ok = typeof body.error?.code === 'string' && typeof body.error?.message === 'string';
    } catch {
      ok = false;
    }
    if (!ok) {
      tally.badShape++;
      tally.failures.push(`${req.label}: ${res.status} without the error shape: ${JSON.stringify(res.body.slice(0, 80))}`);
    }
  }
  // Without the token, only the health check (and a Host or parser refusal) may answer at all.
  if (config.auth && !req.authed && req.path.split('?')[0] !== '/healthz') {
    const leaked =
      (res.status >= 200 && res.status < 400) ||
      DATA_MARKERS.some((m) => m.test(res.body)) ||
      (res.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (leaked) {
      tally.leaks++;
      tally.failures.push(`${req.label}: answered ${res.status} without the token: ${JSON.stringify(res.body.slice(0, 80))}`);
    }
  }
}

describe('hostile requests in every configuration', () => {
  const stores = new Map<number, Memcached>();
  let web: Service | undefined;

  beforeAll(async () => {
    for (const shards of [1, 3]) stores.set(shards, await startMemcached());
  });

  afterAll(async () => {
    await stopAll(web);
    for (const m of stores.values()) await m.stop();
    const rows = tallies.map(
      (t) =>
        `${t.config.padEnd(40)} ${String(t.requests).padStart(6)}  ${['2xx', '3xx', '4xx', '5xx'].map((c) => `${c} ${String(t.byClass[c] ?? 0).padStart(5)}`).join('  ')} (429: ${String(t.limited).padStart(5)})  no answer ${t.noAnswer}  bad shape ${t.badShape}  leaks ${t.leaks}`,
    );
    process.stdout.write(`\nhostile-parameter suite\n${rows.join('\n')}\ntotal ${tallies.reduce((n, t) => n + t.requests, 0)} requests\n`);
  });

  test.each(CONFIGS)('$name: 0 × 5xx, every error in the error shape, nothing without the token', async (config) => {
    const mc = stores.get(config.shards)!;
    const cache: Cache = createCache({ servers: [mc.address], timeoutMs: 500 });
    try {
      await publishGeneration(cache, Date.now(), { symbols: SYMBOLS, shards: config.shards, extras: true });
    } finally {
      cache.close();
    }
    web = await startWeb({
      MEMCACHED_SERVERS: mc.address,
      LOG_LEVEL: 'debug',
      ...(config.auth ? { WEB_AUTH_TOKEN: TOKEN } : {}),
      // "Off" is the setting that switches each limit off; the failure limit cannot be switched off, only raised.
      // Low enough that the suite runs into it, so limited answers are judged too.
      WEB_RATE_LIMIT_PER_MIN: config.rateLimit ? '400' : '0',
      WEB_AUTH_FAILURES_PER_MIN: config.rateLimit ? '20' : '10000',
    });
    const w = web;
    const auth = config.auth ? { headers: { Authorization: `Bearer ${TOKEN}` } } : {};
    try {
      // The data is there, merged from every shard: a hostile request that gets nothing got nothing for a reason.
      await waitFor(
        async () => {
          const r = await getJson<{ data?: { rows: unknown[] } }>(`${w.url}/api/symbols`, auth);
          return r.status === 200 && r.body.data?.rows.length === SYMBOLS;
        },
        { what: 'the merged table' },
      );
      const tally: Tally = { config: config.name, requests: 0, byClass: {}, limited: 0, fiveXX: 0, noAnswer: 0, badShape: 0, leaks: 0, failures: [] };
      tallies.push(tally);
      for (const req of requestsFor(config)) {
        const res = await rawRequest(w.port, req.raw, { head: req.head, timeoutMs: 5000 }).catch((err: Error) => err);
        judge(config, req, res, tally);
      }
      expect(tally.failures.slice(0, 20)).toEqual([]);
      expect(tally.fiveXX).toBe(0);
      expect(tally.requests).toBeGreaterThan(1000);
      if (config.rateLimit) expect(tally.limited).toBeGreaterThan(0);
      // The suite did reach the routes: without auth (or with the token) some answers are data.
      expect(tally.byClass['2xx'] ?? 0).toBeGreaterThan(50);
      // Still alive and serving afterwards, and the token was never written to its logs.
      expect((await getJson(`${w.url}/healthz`)).status).toBe(200);
      expect(w.proc.exited()).toBe(false);
      expect(w.proc.output()).not.toContain(TOKEN);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(w)}`);
    } finally {
      await stopAll(w);
      web = undefined;
    }
  });

  test('when the client build is served, then its hashed bundle is, and unhashed modules, maps and declarations are not', async () => {
    const mc = stores.get(1)!;
    web = await startWeb({ MEMCACHED_SERVERS: mc.address });
    const w = web;
    try {
      const page = await getJson<string>(`${w.url}/`);
      const entry = /<script type="module" src="(\/js\/main-[A-Z0-9]{8}\.js)"><\/script>/.exec(page.body)?.[1];
      expect(entry).toBeDefined();
      expect((await getJson(`${w.url}${entry}`)).status).toBe(200);
      // The tsc output beside the bundle (unhashed modules for the unit tests) and anything else is not served.
      for (const path of [
        '/js/main.js',
        '/js/table-model.js',
        `${entry}.map`,
        '/js/main.d.ts',
        '/js/main.d.ts.map',
        '/js/.tsbuildinfo',
        '/js/',
        '/js/..%2fapp.js',
        '/js/%2e%2e/app.js',
        '/js/..%2fclient/main.js',
      ]) {
        const res = await getJson<{ error?: { code: string } }>(`${w.url}${path}`);
        expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'not_found']);
      }
    } finally {
      await stopAll(w);
      web = undefined;
    }
  });
});
