import path from 'node:path';
import { freePort } from './ports';
import { type Proc, ROOT, startProcess, tempDir } from './processes';
import { waitFor } from './wait';

export interface Service {
  proc: Proc;
  port: number;
  url: string;
}

export interface HttpJson<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** GET with a deadline; never hangs a test on a stuck server. */
export async function getJson<T = Record<string, unknown>>(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpJson<T>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), init.timeoutMs ?? 5000);
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: body as T, headers: res.headers };
  } finally {
    clearTimeout(timer);
  }
}

export async function postJson(url: string, body: unknown): Promise<HttpJson> {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export async function startSimulator(env: Record<string, string> = {}): Promise<Service & { wsUrl: string; restUrl: string }> {
  const proc = startProcess('simulator', [path.join(ROOT, 'services/simulator/dist/main.js')], { SIM_PORT: '0', ...env });
  const line = await waitFor(
    () => {
      if (proc.exited()) throw new Error(`simulator exited: ${proc.output().slice(-2000)}`);
      return proc.jsonLines().find((l) => l.event === 'listening');
    },
    { timeoutMs: 20_000, what: 'simulator to listen' },
  );
  const port = Number(line.port);
  return { proc, port, url: `http://127.0.0.1:${port}`, wsUrl: String(line.wsUrl), restUrl: String(line.restUrl) };
}

export function simEnv(sim: { wsUrl: string; restUrl: string }): Record<string, string> {
  return { MARKET_SOURCE: 'sim', BYBIT_WS_URL: sim.wsUrl, BYBIT_REST_URL: sim.restUrl };
}

async function startService(name: string, entry: string, portVar: string, env: Record<string, string>, readyPath: string): Promise<Service> {
  const port = env[portVar] ? Number(env[portVar]) : await freePort();
  const proc = startProcess(name, [path.join(ROOT, entry)], { LOG_LEVEL: 'info', ...env, [portVar]: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exited()) throw new Error(`${name} exited (${proc.exitCode()}): ${proc.output().slice(-3000)}`);
      const r = await getJson(url + readyPath, { timeoutMs: 1000 });
      return r.status === 200;
    },
    { timeoutMs: 30_000, what: `${name} to answer ${readyPath}` },
  );
  return { proc, port, url };
}

/** Starts an analyzer; unless DATA_DIR is given it gets a fresh temp dir, removed when the test process exits. */
export function startAnalyzer(env: Record<string, string>): Promise<Service> {
  const dataDir = env.DATA_DIR ?? tempDir('confluence-analyzer-');
  return startService('analyzer', 'services/analyzer/dist/main.js', 'ANALYZER_PORT', { DATA_DIR: dataDir, ...env }, '/health/live');
}

export function startWeb(env: Record<string, string>): Promise<Service> {
  return startService('web', 'services/web/dist/main.js', 'WEB_PORT', { WEB_RATE_LIMIT_PER_MIN: '0', ...env }, '/healthz');
}

/** Stops every service given, ignoring ones already gone; for afterAll/afterEach. */
export async function stopAll(...services: Array<{ proc: Proc } | { stop(): Promise<unknown> } | undefined | null>): Promise<void> {
  await Promise.all(
    services.map(async (s) => {
      if (!s) return;
      if ('proc' in s) await s.proc.stop('SIGTERM', 5000);
      else await s.stop();
    }),
  );
}

/** On failure, the last lines each process printed: the first thing anyone debugging wants. */
export function dumpOnFailure(...procs: Array<{ proc: Proc } | undefined>): string {
  return procs
    .filter((p): p is { proc: Proc } => Boolean(p))
    .map((p) => `--- ${p.proc.name} ---\n${p.proc.output().slice(-4000)}`)
    .join('\n');
}
