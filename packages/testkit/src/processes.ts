import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The repository root, from packages/testkit/src (tests) or packages/testkit/dist (benchmarks) alike. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Kills every child started here (a paused one too) and removes the temp dirs made here. */
export function killAll(): void {
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
// Children and temp dirs never outlive the process that made them, even when a test fails or jest bails.
process.once('exit', killAll);

/** A temp dir removed when this process exits (or by removeTempDir). */
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
  /** Everything the process printed so far (stdout + stderr), for assertions and failure reports. */
  output(): string;
  /** Lines printed to stdout that parse as JSON. */
  jsonLines(): Array<Record<string, unknown>>;
  exited(): boolean;
  exitCode(): number | null;
  /** Sends a signal and waits for exit; SIGKILL after graceMs. Resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  waitForExit(timeoutMs: number): Promise<number | null>;
}

export function startProcess(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  options: { command?: string; cwd?: string; nodeArgs?: string[] } = {},
): Proc {
  const child = spawn(options.command ?? process.execPath, options.command ? args : [...(options.nodeArgs ?? []), ...args], {
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
  const proc: Proc = {
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
  return proc;
}
