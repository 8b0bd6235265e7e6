// Child processes and temp dirs for the benchmarks, adapted from test/support (which depends on jest).
// Everything started here is registered and removed on exit, on a signal and on failure.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Children and temp dirs never outlive the bench process, whatever way it ends.
process.once('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n[bench] ${sig}: stopping child processes\n`);
    killAllNow();
    process.exit(130);
  });
}

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  jsonLines(): Array<Record<string, unknown>>;
  exited(): boolean;
  exitCode(): number | null;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  waitForExit(timeoutMs: number): Promise<number | null>;
}

export function startProcess(name: string, args: string[], env: Record<string, string | undefined>, options: { command?: string; cwd?: string; nodeArgs?: string[] } = {}): Proc {
  const command = options.command ?? process.execPath;
  const fullArgs = options.command ? args : [...(options.nodeArgs ?? []), ...args];
  const child = spawn(command, fullArgs, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-warnings', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let stdout = '';
  const cap = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (stdout.length > 1_000_000) stdout = stdout.slice(-500_000);
    cap(c);
  });
  child.stderr?.on('data', cap);
  let code: number | null = null;
  let done = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (c) => {
      code = c;
      done = true;
      live.delete(child);
      resolve(c);
    }),
  );
  return {
    name,
    child,
    output: () => out,
    jsonLines: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    exited: () => done,
    exitCode: () => code,
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (done) return code;
      child.kill('SIGCONT');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const c = await exit;
      clearTimeout(timer);
      return c;
    },
    async waitForExit(timeoutMs) {
      if (done) return code;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not exit within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitFor<T>(check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await check();
      lastValue = value;
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? ` (last error: ${(lastError as Error).message})` : ` (last value: ${JSON.stringify(lastValue)?.slice(0, 300)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'}${detail}`);
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Memcached

export function memcachedBinary(): string {
  const candidates = [process.env.MEMCACHED_BIN, '/usr/bin/memcached', '/usr/local/bin/memcached', '/opt/homebrew/bin/memcached'].filter(Boolean) as string[];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  try {
    const found = execFileSync('sh', ['-c', 'command -v memcached'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    /* fall through */
  }
  throw new Error('memcached is not installed: apt-get install -y memcached (or set MEMCACHED_BIN)');
}

export interface Memcached {
  readonly port: number;
  readonly address: string;
  readonly proc: Proc;
  stop(): Promise<void>;
}

export async function startMemcached(): Promise<Memcached> {
  const port = await freePort();
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '256', '-t', '2', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])];
  const proc = startProcess('memcached', args, {}, { command: memcachedBinary() });
  await waitFor(async () => (proc.exited() ? Promise.reject(new Error(`memcached exited: ${proc.output()}`)) : canConnect(port)), { timeoutMs: 10_000, what: `memcached on ${port}` });
  return { port, address: `127.0.0.1:${port}`, proc, stop: async () => void (await proc.stop('SIGTERM', 3000)) };
}

/** memcached's own counters (`stats`), read over a plain socket so no client library's behaviour is involved. */
export function memcachedStats(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    socket.setTimeout(3000, () => {
      socket.destroy();
      reject(new Error('memcached stats timed out'));
    });
    socket.once('error', reject);
    socket.on('connect', () => socket.write('stats\r\n'));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('END\r\n')) {
        socket.end();
        const out: Record<string, number> = {};
        for (const line of buf.split('\r\n')) {
          const m = /^STAT (\S+) (\S+)$/.exec(line);
          if (m && Number.isFinite(Number(m[2]))) out[m[1]] = Number(m[2]);
        }
        resolve(out);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers and services

export async function getJson<T = Record<string, unknown>>(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<{ status: number; body: T }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), init.timeoutMs ?? 5000);
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: res.status, body: body as T };
  } finally {
    clearTimeout(timer);
  }
}

export function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export interface Service {
  proc: Proc;
  port: number;
  url: string;
}

export async function startNodeService(name: string, entry: string, portVar: string, env: Record<string, string>, readyPath: string, timeoutMs = 30_000): Promise<Service> {
  const port = await freePort();
  const proc = startProcess(name, [path.join(ROOT, entry)], { LOG_LEVEL: 'warn', ...env, [portVar]: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.exited()) throw new Error(`${name} exited (${proc.exitCode()}): ${proc.output().slice(-3000)}`);
      return (await getJson(url + readyPath, { timeoutMs: 1000 })).status === 200;
    },
    { timeoutMs, what: `${name} to answer ${readyPath}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- ${name} output ---\n${proc.output().slice(-3000)}`);
  });
  return { proc, port, url };
}

export function startWeb(env: Record<string, string>): Promise<Service> {
  return startNodeService('web', 'services/web/dist/main.js', 'WEB_PORT', { WEB_RATE_LIMIT_PER_MIN: '0', ...env }, '/healthz');
}

export function startAnalyzer(env: Record<string, string>): Promise<Service> {
  const dataDir = env.DATA_DIR ?? tempDir('confluence-bench-analyzer-');
  return startNodeService('analyzer', 'services/analyzer/dist/main.js', 'ANALYZER_PORT', { DATA_DIR: dataDir, ...env }, '/health/live');
}

export async function startSimulator(env: Record<string, string> = {}): Promise<Service & { wsUrl: string; restUrl: string }> {
  const proc = startProcess('simulator', [path.join(ROOT, 'scripts/dist/sim/main.js')], { SIM_PORT: '0', ...env });
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

/** A node script of this package (bench/dist/...) as a child process that prints `{"event":"listening","port":…}`. */
export async function startBenchServer(name: string, script: string, env: Record<string, string>): Promise<Service> {
  const proc = startProcess(name, [path.join(ROOT, 'bench', 'dist', script)], env);
  const line = await waitFor(
    () => {
      if (proc.exited()) throw new Error(`${name} exited: ${proc.output().slice(-2000)}`);
      return proc.jsonLines().find((l) => l.event === 'listening');
    },
    { timeoutMs: 10_000, what: `${name} to listen` },
  );
  const port = Number(line.port);
  return { proc, port, url: `http://127.0.0.1:${port}` };
}

/** Runs a bench worker script to completion and returns the last JSON line it printed. */
export async function runWorker<T>(script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<T> {
  const proc = startProcess(`worker ${script} ${args.join(' ')}`, [path.join(ROOT, 'bench', 'dist', script), ...args], env, { nodeArgs: ['--expose-gc'] });
  let code: number | null;
  try {
    code = await proc.waitForExit(timeoutMs);
  } finally {
    if (!proc.exited()) await proc.stop('SIGKILL', 1000);
  }
  const lines = proc.jsonLines().filter((l) => l.result !== undefined);
  if (code !== 0 || lines.length === 0) throw new Error(`${script} ${args.join(' ')} failed (exit ${code}):\n${proc.output().slice(-4000)}`);
  return lines[lines.length - 1].result as T;
}
