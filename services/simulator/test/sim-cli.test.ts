// The CLI as a separate OS process: readiness line, configuration errors, clean SIGTERM exit.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { getJson } from './sim-client';

const RUNNER = path.join(__dirname, 'sim-run-ts.cjs');
const MAIN = path.join(__dirname, '..', 'src', 'main.ts');

interface Run {
  readonly child: ChildProcess;
  readonly exit: Promise<{ code: number | null; stderr: string }>;
  readonly firstLine: Promise<string>;
}

const running: ChildProcess[] = [];

function runCli(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [RUNNER, MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.once('exit', () => reject(new Error(`exited before printing a line: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, exit, firstLine };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

afterAll(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('simulator CLI', () => {
  test('when started, then it prints a listening line, serves REST and exits 0 on SIGTERM', async () => {
    const run = runCli({ SIM_PORT: '0', SIM_SYMBOLS: '5', SIM_SEED: '9' });
    const line = JSON.parse(await withDeadline(run.firstLine, 15_000, 'listening line')) as Record<string, unknown>;
    expect(line).toMatchObject({ event: 'listening', port: expect.any(Number) });
    expect(line.wsUrl).toBe(`ws://127.0.0.1:${String(line.port)}/v5/public/linear`);
    const { body } = await getJson(`${String(line.restUrl)}/v5/market/tickers?category=linear`);
    expect((body.result as { list: unknown[] }).list).toHaveLength(5);
    run.child.kill('SIGTERM');
    expect((await withDeadline(run.exit, 10_000, 'exit')).code).toBe(0);
  });

  test('when the environment is invalid, then it explains and exits 2', async () => {
    const run = runCli({ SIM_PORT: 'eighty', SIM_REGIMES: 'BTCUSDT:moon' });
    const { code, stderr } = await withDeadline(run.exit, 15_000, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('SIM_PORT="eighty"');
    expect(stderr).toContain('SIM_REGIMES');
  });
});
