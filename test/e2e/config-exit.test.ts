import net from 'node:net';
import path from 'node:path';
import { type Memcached, type Proc, ROOT, freePort, getJson, startMemcached, startProcess, tempDir, waitFor } from '@confluence/testkit';

/**
 * Bad configuration stops a service with exit code 2 and a sentence that names the problem, for both services:
 * values that only look like numbers, a whitespace-only token, an address that is not the machine's, a host name
 * that does not resolve, a port in use, a replay file that is not there.
 */

const WEB = path.join(ROOT, 'services/web/dist/main.js');
const ANALYZER = path.join(ROOT, 'services/analyzer/dist/main.js');

async function exitOf(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = startProcess(path.basename(path.dirname(path.dirname(entry))), [entry], { LOG_LEVEL: 'info', ...env });
  const code = await proc.waitForExit(20_000);
  return { code, output: proc.output() };
}

/** Holds a port the way another program would. */
function occupy(): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

describe('configuration edge cases exit 2 with a readable message', () => {
  let mc: Memcached;
  beforeAll(async () => {
    mc = await startMemcached();
  });
  afterAll(() => mc?.stop());

  const webEnv = () => ({ MEMCACHED_SERVERS: mc.address, WEB_PORT: '0' });
  const analyzerEnv = () => ({
    MEMCACHED_SERVERS: mc.address,
    ANALYZER_PORT: '0',
    DATA_DIR: tempDir('confluence-cfg-'),
    MARKET_SOURCE: 'sim',
    BYBIT_WS_URL: 'ws://127.0.0.1:9/v5/public/linear',
    BYBIT_REST_URL: 'http://127.0.0.1:9',
  });

  test.each([' ', '0x50', '1e3'])('when WEB_PORT / ANALYZER_PORT is %j, then both services refuse it', async (value) => {
    const web = await exitOf(WEB, { ...webEnv(), WEB_PORT: value });
    expect(web.code).toBe(2);
    expect(web.output).toMatch(/web: invalid configuration:[\s\S]*WEB_PORT must be a whole number in decimal digits/);
    const analyzer = await exitOf(ANALYZER, { ...analyzerEnv(), ANALYZER_PORT: value });
    expect(analyzer.code).toBe(2);
    expect(analyzer.output).toMatch(/ANALYZER_PORT must be a whole number in decimal digits/);
  });

  test('when WEB_AUTH_TOKEN is only whitespace, then the web does not start without authentication', async () => {
    const r = await exitOf(WEB, { ...webEnv(), WEB_AUTH_TOKEN: '    ' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/WEB_AUTH_TOKEN is only whitespace/);
    expect(r.output).not.toMatch(/"event":"listening"/);
  });

  test('when the port is in use, then both services say so and exit 2', async () => {
    const held = await occupy();
    try {
      const web = await exitOf(WEB, { ...webEnv(), WEB_PORT: String(held.port) });
      expect(web.code).toBe(2);
      expect(web.output).toMatch(new RegExp(`web: cannot listen on 127\\.0\\.0\\.1:${held.port}: the port is already in use.*\\(EADDRINUSE\\)`));
      const analyzer = await exitOf(ANALYZER, { ...analyzerEnv(), ANALYZER_PORT: String(held.port) });
      expect(analyzer.code).toBe(2);
      expect(analyzer.output).toMatch(/analyzer: cannot listen on .*the port is already in use/);
    } finally {
      await held.close();
    }
  });

  test("when the host is malformed, not this machine's, or does not resolve, then exit 2 with the reason", async () => {
    const malformed = await exitOf(WEB, { ...webEnv(), WEB_HOST: 'exa mple' });
    expect(malformed.code).toBe(2);
    expect(malformed.output).toMatch(/WEB_HOST must be an IP address or a host name/);
    // 192.0.2.0/24 is reserved for documentation: never an address of this machine.
    const foreign = await exitOf(WEB, { ...webEnv(), WEB_HOST: '192.0.2.1' });
    expect(foreign.code).toBe(2);
    expect(foreign.output).toMatch(/web: cannot listen on 192\.0\.2\.1.*not one of this machine's.*\(EADDRNOTAVAIL\)/);
    const unresolved = await exitOf(WEB, { ...webEnv(), WEB_HOST: 'no-such-host.invalid' });
    expect(unresolved.code).toBe(2);
    expect(unresolved.output).toMatch(/web: cannot listen.*(does not resolve|could not be resolved)/);
    const analyzer = await exitOf(ANALYZER, { ...analyzerEnv(), ANALYZER_HOST: '192.0.2.1' });
    expect(analyzer.code).toBe(2);
    expect(analyzer.output).toMatch(/analyzer: cannot listen on 192\.0\.2\.1/);
  });

  test('when the replay file is missing, then the analyzer exits 2 naming it', async () => {
    const r = await exitOf(ANALYZER, { ...analyzerEnv(), MARKET_SOURCE: 'replay', REPLAY_FILE: '/nonexistent/session.jsonl' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/REPLAY_FILE "\/nonexistent\/session.jsonl" does not exist/);
  });

  test('when the web binds beyond loopback without a token, then it warns loudly; with a token or on loopback it does not', async () => {
    const started: Proc[] = [];
    const run = async (env: Record<string, string>) => {
      const port = await freePort();
      const proc = startProcess('web', [WEB], { ...webEnv(), WEB_PORT: String(port), LOG_LEVEL: 'info', ...env });
      started.push(proc);
      await waitFor(
        async () => {
          if (proc.exited()) throw new Error(`web exited: ${proc.output()}`);
          return (await getJson(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 1000 })).status === 200;
        },
        { what: 'web up' },
      );
      return proc;
    };
    try {
      const open = await run({ WEB_HOST: '0.0.0.0' });
      const warning = open
        .output()
        .split('\n')
        .find((l) => l.includes('WITHOUT AUTHENTICATION'));
      expect(warning).toBeDefined();
      expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', advice: expect.stringMatching(/WEB_AUTH_TOKEN/) });
      const guarded = await run({ WEB_HOST: '0.0.0.0', WEB_AUTH_TOKEN: 'a-long-enough-secret-token' });
      const local = await run({ WEB_HOST: '127.0.0.1' });
      for (const p of [guarded, local]) expect(p.output()).not.toMatch(/WITHOUT AUTHENTICATION/);
    } finally {
      await Promise.all(started.map((p) => p.stop('SIGTERM', 5000)));
    }
  });
});
