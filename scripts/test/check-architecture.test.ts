// The architecture check run against a small tree of its own: clean, it passes; each boundary the Bybit wire
// contract and the simulator rely on, and each rule on public entry points and declared dependencies (in shipped
// code, tests and benchmarks), once crossed, fails it with the file and the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', 'check-architecture.cjs');
// The script's list, read as JSON: single quotes become double, and a trailing comma (the formatter's) is dropped.
const WORKSPACES = JSON.parse(
  (/const WORKSPACES = (\[[^\]]*\])/.exec(fs.readFileSync(SCRIPT, 'utf8'))?.[1] ?? '[]').replace(/'/g, '"').replace(/,\s*\]$/, ']'),
) as string[];

let root: string;

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

function check(): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'check-architecture.cjs')], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-check-'));
  for (const w of WORKSPACES) write(`${w}/package.json`, JSON.stringify({ name: `@confluence/${path.basename(w)}` }));
  fs.copyFileSync(SCRIPT, path.join(root, 'scripts', 'check-architecture.cjs'));
  write('packages/bybit-wire/src/index.ts', "export * from './topics';\n");
  write('packages/bybit-wire/src/topics.ts', "export const KLINE_INTERVALS = ['1'] as const;\n");
  write('services/simulator/src/symbol-market.ts', "import { KLINE_INTERVALS } from '@confluence/bybit-wire';\nimport { Rng } from './rng';\n");
  write('services/simulator/src/encoder.ts', "import type { SimTicker } from './symbol-market';\nimport { INTERVAL_MS } from '@confluence/bybit-wire';\n");
  write('services/simulator/src/ws-server.ts', "import { WebSocket } from 'ws';\nimport { tickerWire } from './encoder';\n");
  write('services/analyzer/src/intake/intake.ts', "import { topicsForSymbol } from '@confluence/bybit-wire';\n");
  const entry = { '.': { types: './dist/index.d.ts', default: './dist/index.js' } };
  write('packages/bybit-wire/package.json', JSON.stringify({ name: '@confluence/bybit-wire', exports: entry }));
  write(
    'services/simulator/package.json',
    JSON.stringify({ name: '@confluence/simulator', exports: entry, dependencies: { '@confluence/bybit-wire': '0.1.0', ws: '^8' } }),
  );
  write('services/simulator/tsconfig.json', JSON.stringify({ references: [{ path: '../../packages/bybit-wire' }] }));
  write(
    'services/analyzer/package.json',
    JSON.stringify({ name: '@confluence/analyzer', exports: entry, dependencies: { '@confluence/bybit-wire': '0.1.0' } }),
  );
  write('services/analyzer/tsconfig.json', JSON.stringify({ references: [{ path: '../../packages/bybit-wire' }] }));
  write('services/analyzer/test/intake.test.ts', "import { createIntake } from '../src/intake/intake';\n");
  write('bench/package.json', JSON.stringify({ name: '@confluence/bench', devDependencies: { '@confluence/analyzer': '0.1.0', autocannon: '^8' } }));
  write('bench/tsconfig.json', JSON.stringify({ references: [{ path: '../services/analyzer' }] }));
  write('bench/src/load.ts', "import autocannon from 'autocannon';\nimport { MarketStore } from '@confluence/analyzer';\n");
  write('test/e2e/flow.test.ts', "import { createSimulator } from '@confluence/simulator';\nimport path from 'node:path';\n");
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('architecture check', () => {
  test('when the tree keeps its boundaries, then the check passes', () => {
    expect(WORKSPACES).toEqual(expect.arrayContaining(['packages/bybit-wire', 'services/simulator']));
    expect(check()).toMatchObject({ status: 0 });
  });

  test.each([
    [
      'the market model imports the encoder',
      'services/simulator/src/candles.ts',
      "import { klineWire } from './encoder';",
      'market model produces typed values',
    ],
    ['the market model opens a socket', 'services/simulator/src/book.ts', "import { WebSocket } from 'ws';", 'market model produces typed values'],
    [
      'the simulator imports another package of ours',
      'services/simulator/src/main.ts',
      "import { createLogger } from '@confluence/logger';",
      'only the wire contract',
    ],
    [
      'the simulator reaches into the analyzer',
      'services/simulator/src/rest.ts',
      "import { x } from '../../analyzer/src/intake/events';",
      'only the wire contract',
    ],
    [
      'the analyzer imports the simulator',
      'services/analyzer/src/intake/replay.ts',
      "import { createSimulator } from '@confluence/simulator';",
      'shipped code never imports it',
    ],
    ['the wire contract does I/O', 'packages/bybit-wire/src/limits.ts', "import fs from 'node:fs';", 'declarations only'],
    ['the web imports the wire contract', 'services/web/src/app.ts', "import { WS_PATH } from '@confluence/bybit-wire';", 'never talks to Bybit'],
  ])('when %s, then the check fails naming the file and why', (_name, file, line, why) => {
    write(file, `${line}\n`);
    const r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain(why);
  });

  test.each([
    [
      "a benchmark reaches into the analyzer's dist",
      'bench/src/market.ts',
      "import { MarketStore } from '../../services/analyzer/dist/state/market-store';",
      'not a relative path',
    ],
    [
      "a workspace's test imports another workspace's src",
      'services/simulator/test/x.test.ts',
      "import { createNormalizer } from '../../analyzer/src/intake/bybit/normalize';",
      'not a relative path',
    ],
    [
      'an end-to-end test imports an analyzer internal by package name',
      'test/e2e/x.test.ts',
      "import { MarketStore } from '@confluence/analyzer/dist/state/market-store';",
      'not a public entry point of @confluence/analyzer',
    ],
    [
      "a test imports a workspace's test helpers",
      'test/e2e/y.test.ts',
      "import { buildRow } from '../../packages/contracts/test/builders';",
      'not a relative path',
    ],
    [
      'shipped code imports a package its workspace does not declare',
      'services/analyzer/src/query.ts',
      "import { z } from 'zod';",
      'services/analyzer/package.json does not declare in dependencies',
    ],
    [
      'a benchmark imports a package nobody declares',
      'bench/src/ws.ts',
      "import WebSocket from 'ws';",
      'neither bench/package.json nor the root package.json declares',
    ],
    [
      'an end-to-end test imports a package the root does not declare',
      'test/e2e/z.test.ts',
      "import Database from 'better-sqlite3';",
      'the root package.json does not declare',
    ],
  ])('when %s, then the check fails naming the file and why', (_name, file, line, why) => {
    write(file, `${line}\n`);
    const r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain(why);
  });

  test('when a workspace declares a dependency nothing in it imports, then the check fails', () => {
    write(
      'services/simulator/package.json',
      JSON.stringify({ name: '@confluence/simulator', dependencies: { '@confluence/bybit-wire': '0.1.0', ws: '^8', autocannon: '^8' } }),
    );
    expect(check()).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('services/simulator: declares autocannon in dependencies, but its shipped code never imports it'),
    });
  });

  test("when a dependency only a workspace's tests import is in its dependencies, then the check says it is a devDependency", () => {
    write(
      'services/simulator/package.json',
      JSON.stringify({ name: '@confluence/simulator', dependencies: { '@confluence/bybit-wire': '0.1.0', ws: '^8', 'fast-check': '^4' } }),
    );
    write('services/simulator/test/p.test.ts', "import fc from 'fast-check';\n");
    expect(check()).toMatchObject({
      status: 1,
      stderr: expect.stringContaining(
        'declares fast-check in dependencies, but its shipped code never imports it (only its tests or scripts do: a devDependency)',
      ),
    });
  });

  test('when code in a comment or a quoted string names an import, then the check ignores it', () => {
    write('services/analyzer/src/notes.ts', "// import x from '../../web/src/app';\nconst example = \"import { z } from 'zod';\";\n");
    expect(check()).toMatchObject({ status: 0 });
  });

  test('when the root declares an npm workspace the check does not read, then the check fails', () => {
    write('package.json', JSON.stringify({ workspaces: [...WORKSPACES, 'tools'] }));
    write('tools/package.json', JSON.stringify({ name: '@confluence/tools' }));
    expect(check()).toMatchObject({ status: 1, stderr: expect.stringContaining('tools: an npm workspace (root package.json) the check does not read') });
  });

  test('when a workspace declares an @confluence dependency its tsconfig does not reference, then the check fails', () => {
    write('services/simulator/package.json', JSON.stringify({ name: '@confluence/simulator', dependencies: { '@confluence/bybit-wire': '0.1.0' } }));
    write('services/simulator/tsconfig.json', JSON.stringify({ references: [] }));
    expect(check()).toMatchObject({ status: 1, stderr: expect.stringContaining('services/simulator: tsconfig references [] do not match') });
  });
});
