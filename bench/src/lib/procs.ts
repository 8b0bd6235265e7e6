// Child processes for the benchmarks: the same real-process harness as the end-to-end tests (@confluence/testkit),
// plus what only benchmarks need (quiet services, bench servers and workers, cleanup on a signal).
import path from 'node:path';
import { ROOT, type Service, killAll, startAnalyzer as kitAnalyzer, startProcess, startWeb as kitWeb, waitFor } from '@confluence/testkit';

export {
  ROOT,
  getJson,
  memcachedStats,
  postJson,
  removeTempDir,
  startMemcached,
  startProcess,
  startSimulator,
  tempDir,
  waitFor,
  type Memcached,
  type Proc,
  type Service,
} from '@confluence/testkit';

// A bench interrupted by Ctrl-C leaves nothing behind either.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n[bench] ${sig}: stopping child processes\n`);
    killAll();
    process.exit(130);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Services log at warn during benchmarks: their info lines are not what is being measured. */
export function startWeb(env: Record<string, string>): Promise<Service> {
  return kitWeb({ LOG_LEVEL: 'warn', ...env });
}

export function startAnalyzer(env: Record<string, string>): Promise<Service> {
  return kitAnalyzer({ LOG_LEVEL: 'warn', ...env });
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
