// The Dockerfile's runtime image, reproduced without Docker: every path its runtime stage copies
// from the build stage must exist after `tsc -b`; then the same tree is assembled in a temp dir
// (dist/ folders, package.json files, static files, and only the production dependencies) and
// each service is started from it with plain node, the way the image's CMD starts it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startMemcached, type Memcached } from '@confluence/testkit';
import { freePort } from '@confluence/testkit';
import { type Proc, startProcess } from '@confluence/testkit';
import { getJson } from '@confluence/testkit';
import { waitFor } from '@confluence/testkit';
import { type CopyLine, ROOT, copies, dockerignore, effective, execForm, filesUnder, readDockerfile, stageEnv } from './docker-files';

const df = readDockerfile();
const runtime = df.stage('runtime');
// The runtime's /app is assembled in the `app` stage and copied into the runtime whole: the build stage's
// /runtime (the paths scripts/docker/runtime-paths lists, gathered by one RUN), node_modules from prod-deps,
// and files from the context. Read as one COPY per path, as if each were copied from the build on its own.
const RUNTIME_PATHS = fs
  .readFileSync(path.join(ROOT, 'scripts/docker/runtime-paths'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const appCopies = copies(df.stage('app'));
const runtimeCopies: CopyLine[] = [
  ...RUNTIME_PATHS.map((p) => ({ from: 'build', sources: [`/app/${p}`], dest: p, line: 0 })),
  ...appCopies.filter((c) => c.from !== 'build'),
];
const APP = '/app';
const inRepo = (imagePath: string) => path.join(ROOT, path.posix.relative(APP, imagePath));

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  resolved?: string;
}
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };

describe('the Dockerfile', () => {
  test('builds on node:20-bookworm-slim, with a compiler for better-sqlite3, npm ci and tsc -b', () => {
    expect(df.globalArgs.NODE_IMAGE).toBe('node:20-bookworm-slim');
    for (const s of df.stages.filter((st) => !st.name || ['toolchain', 'runtime'].includes(st.name))) expect(s.base).toBe('node:20-bookworm-slim');
    const toolchain = df
      .stage('toolchain')
      .instructions.filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    for (const pkg of ['python3', 'make', 'g++']) expect(toolchain).toContain(pkg);
    const buildRuns = df
      .stage('build')
      .instructions.filter((i) => i.op === 'RUN')
      .map((i) => i.args);
    expect(buildRuns).toContain('npm ci');
    expect(buildRuns.find((r) => r.startsWith('npx tsc -b'))).toBeDefined();
    expect(
      df
        .stage('prod-deps')
        .instructions.filter((i) => i.op === 'RUN')
        .map((i) => i.args),
    ).toContain('npm ci --omit=dev');
  });

  test('compiles projects that exist, and copies in every workspace manifest before npm ci', () => {
    const tsc = df.stage('build').instructions.find((i) => i.op === 'RUN' && i.args.startsWith('npx tsc -b'))!;
    for (const project of tsc.args.split(' ').slice(3))
      expect({ project, exists: fs.existsSync(path.join(ROOT, project, 'tsconfig.json')) }).toEqual({ project, exists: true });
    // The browser client is bundled after the compile, in the same stage (the runtime copies its dist/).
    const build = df.stage('build').instructions;
    const bundle = build.findIndex((i) => i.op === 'RUN' && i.args === 'node services/web/build-client.cjs');
    expect(bundle).toBeGreaterThan(build.indexOf(tsc));
    expect(fs.existsSync(path.join(ROOT, 'services/web/build-client.cjs'))).toBe(true);
    // Gathered in the manifests stage, which the toolchain takes whole before the build stage's npm ci.
    expect(copies(df.stage('toolchain'))).toEqual([expect.objectContaining({ from: 'manifests', sources: [APP], dest: APP })]);
    const manifests = copies(df.stage('manifests')).flatMap((c) => c.sources);
    const workspaces = Object.entries(lock.packages)
      .filter(([k, v]) => k.startsWith('node_modules/') && v.link)
      .map(([, v]) => `${v.resolved}/package.json`);
    for (const m of ['package.json', 'package-lock.json', ...workspaces]) expect(manifests).toContain(m);
  });

  test('runs as the non-root node user, in production mode, with JSON logs and tini as PID 1', () => {
    for (const target of ['analyzer', 'web', 'simulator']) {
      expect(effective(df, target, 'USER')).toBe('node');
      expect(stageEnv(df, target)).toMatchObject({ NODE_ENV: 'production', LOG_FORMAT: 'json' });
      expect(execForm(effective(df, target, 'ENTRYPOINT'))).toEqual(['/usr/bin/tini', '--']);
      expect(effective(df, target, 'WORKDIR')).toBe(APP);
    }
    // The analyzer's data dir is prepared for a non-root volume.
    expect(stageEnv(df, 'analyzer').DATA_DIR).toBe('/data');
    expect(runtime.instructions.some((i) => i.op === 'RUN' && /chown node:node \/data/.test(i.args))).toBe(true);
  });

  test("the runtime stage takes /app whole from the app stage, which is built on an empty base from the build stage's /runtime", () => {
    expect(copies(runtime)).toEqual([expect.objectContaining({ from: 'app', sources: [APP], dest: APP })]);
    expect(df.stage('app').base).toBe('scratch');
    expect(effective(df, 'app', 'WORKDIR')).toBe(APP);
    expect(appCopies.filter((c) => c.from === 'build')).toEqual([expect.objectContaining({ sources: ['/runtime'], dest: APP })]);
    // The build stage gathers exactly the listed paths into /runtime, after compiling them.
    const runs = df
      .stage('build')
      .instructions.filter((i) => i.op === 'RUN')
      .map((i) => i.args);
    const gather = runs.findIndex((r) => r.includes('scripts/docker/runtime-paths') && r.includes('cp -r --parents -t /runtime'));
    expect(gather).toBeGreaterThan(runs.findIndex((r) => r.startsWith('npx tsc -b')));
    expect(RUNTIME_PATHS.length).toBeGreaterThan(10);
  });

  test('the app stage copies node_modules from the production-only stage, and everything else from the build, path for path', () => {
    const nm = runtimeCopies.filter((c) => c.from === 'prod-deps');
    expect(nm).toEqual([expect.objectContaining({ sources: [`${APP}/node_modules`], dest: 'node_modules' })]);
    for (const c of runtimeCopies.filter((x) => x.from === 'build')) {
      expect(c.sources).toHaveLength(1);
      expect(path.posix.relative(APP, c.sources[0])).toBe(c.dest);
    }
    expect(runtimeCopies.every((c) => c.from === 'build' || c.from === 'prod-deps' || c.sources.every((s) => s.startsWith('scripts/docker/')))).toBe(true);
  });

  test('every path the runtime stage copies exists after tsc -b (build first: npx tsc -b)', () => {
    const missing = runtimeCopies
      .filter((c) => c.from === 'build')
      .map((c) => c.sources[0])
      .filter((p) => !fs.existsSync(inRepo(p)));
    expect(missing).toEqual([]);
    for (const c of runtimeCopies.filter((x) => !x.from)) for (const s of c.sources) expect(fs.existsSync(path.join(ROOT, s))).toBe(true);
  });

  test('every workspace a service depends on is copied (package.json and dist), so no @confluence/* link dangles', () => {
    const copied = new Set(runtimeCopies.filter((c) => c.from === 'build').map((c) => c.dest));
    const needed = new Set<string>();
    const visit = (dir: string) => {
      if (needed.has(dir)) return;
      needed.add(dir);
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(pkg.dependencies ?? {})) {
        const entry = lock.packages[`node_modules/${dep}`];
        if (entry?.link && entry.resolved) visit(entry.resolved);
      }
    };
    for (const entry of ['services/analyzer', 'services/web', 'services/simulator']) visit(entry);
    for (const dir of needed) {
      expect({ dir, manifest: copied.has(`${dir}/package.json`), dist: copied.has(`${dir}/dist`) }).toEqual({ dir, manifest: true, dist: true });
    }
    expect(copied.has('services/web/static')).toBe(true);
    // git keeps no empty directory, and COPY of a missing path fails the build on a fresh clone.
    expect(fs.readdirSync(path.join(ROOT, 'services/web/static')).length).toBeGreaterThan(0);
  });

  test('all dependencies are hoisted to the root node_modules, the only one the runtime stage copies', () => {
    const nested = Object.keys(lock.packages).filter((k) => k !== '' && !k.startsWith('node_modules/') && k.includes('node_modules/'));
    expect(nested).toEqual([]);
  });

  test('.dockerignore keeps host builds and secrets out of the context, but not what the Dockerfile copies', () => {
    const ignored = dockerignore();
    for (const p of [
      'node_modules/express/index.js',
      'packages/cache/node_modules/x',
      'services/web/dist/main.js',
      'packages/cache/dist/index.js',
      '.git/HEAD',
      '.data/history.db',
      'bench/results/run.json',
      '.env',
      'dist/x.tsbuildinfo',
    ]) {
      expect({ p, ignored: ignored(p) }).toEqual({ p, ignored: true });
    }
    const contextSources = ['manifests', 'sources', 'toolchain', 'build', 'app', 'runtime'].flatMap((s) =>
      copies(df.stage(s))
        .filter((c) => !c.from)
        .flatMap((c) => c.sources),
    );
    const files = contextSources.flatMap((s) => filesUnder(s)).filter((f) => !/\/(dist|test)\//.test(`/${f}`) && !f.endsWith('.tsbuildinfo'));
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => ignored(f))).toEqual([]);
    for (const f of [
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'tsconfig.json',
      'scripts/docker/healthcheck.cjs',
      'services/web/client/tsconfig.json',
    ]) {
      expect({ f, ignored: ignored(f) }).toEqual({ f, ignored: false });
    }
  });
});

/**
 * The runtime image's /app, in a temp dir: the COPY --from=build paths copied, the context files
 * copied, and a node_modules holding only the production packages of the lockfile (links into the
 * repo's node_modules) with the @confluence/* workspace links pointing inside the tree, as npm
 * lays them out. A service importing a dev-only package fails here as it would in the image.
 */
function assembleRuntimeTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-image-'));
  for (const c of runtimeCopies) {
    if (c.from === 'prod-deps') continue;
    for (const src of c.sources) {
      const from = c.from === 'build' ? inRepo(src) : path.join(ROOT, src);
      const to = path.join(dir, c.dest);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.cpSync(from, to, { recursive: true, dereference: true });
    }
  }
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm);
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/')) continue;
    const name = key.slice('node_modules/'.length);
    if (name.includes('/node_modules/')) continue; // nested: comes with its parent
    if (entry.dev || entry.devOptional) continue;
    const target = path.join(nm, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (entry.link) {
      fs.symlinkSync(path.relative(path.dirname(target), path.join(dir, entry.resolved!)), target);
    } else {
      const real = path.join(ROOT, key);
      if (!fs.existsSync(real)) continue; // an optional package for another platform
      fs.symlinkSync(real, target);
    }
  }
  fs.mkdirSync(path.join(dir, 'data'));
  return dir;
}

const cmdOf = (target: string) => execForm(effective(df, target, 'CMD'));

function startFromTree(tree: string, target: string, env: Record<string, string>): Proc {
  const [bin, ...args] = cmdOf(target);
  expect(bin).toBe('node');
  // The image's ENV for that target, then the test's own settings (ports, addresses).
  return startProcess(target, args, { ...stageEnv(df, target), TMPDIR: os.tmpdir(), DATA_DIR: path.join(tree, 'data'), ...env }, { cwd: tree });
}

async function waitHttp200(proc: Proc, url: string) {
  await waitFor(
    async () => {
      if (proc.exited()) throw new Error(`${proc.name} exited (${proc.exitCode()}): ${proc.output().slice(-3000)}`);
      return (await getJson(url, { timeoutMs: 1000 })).status === 200;
    },
    { timeoutMs: 30_000, what: `${proc.name} to answer ${url}` },
  );
}

function probe(tree: string, target: string) {
  const r = spawnSync(process.execPath, [path.join(tree, 'scripts/docker/healthcheck.cjs'), target], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

describe('the runtime tree, assembled as the image is and started with plain node', () => {
  let tree: string;
  let mc: Memcached;
  const procs: Proc[] = [];

  beforeAll(async () => {
    tree = assembleRuntimeTree();
    mc = await startMemcached();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 5000)));
    await mc?.stop();
    if (tree) fs.rmSync(tree, { recursive: true, force: true });
  });

  test('the tree resolves workspace packages inside itself, and dev-only packages not at all', () => {
    const resolveFrom = (dir: string, id: string) =>
      spawnSync(process.execPath, ['-e', `try { console.log(require.resolve(${JSON.stringify(id)})) } catch (e) { console.log('MISSING ' + e.code) }`], {
        cwd: path.join(tree, dir),
        encoding: 'utf8',
      }).stdout.trim();
    expect(fs.realpathSync(resolveFrom('services/web/dist', '@confluence/cache'))).toBe(fs.realpathSync(path.join(tree, 'packages/cache/dist/index.js')));
    expect(resolveFrom('services/web/dist', 'typescript')).toBe('MISSING MODULE_NOT_FOUND');
    expect(resolveFrom('services/web/dist', 'jest')).toBe('MISSING MODULE_NOT_FOUND');
  });

  test('web: starts from the tree with the image command and answers /healthz; the health probe agrees', async () => {
    const port = await freePort();
    const web = startFromTree(tree, 'web', { WEB_HOST: '127.0.0.1', WEB_PORT: String(port), MEMCACHED_SERVERS: mc.address, WEB_RATE_LIMIT_PER_MIN: '0' });
    procs.push(web);
    await waitHttp200(web, `http://127.0.0.1:${port}/healthz`);
    // The dashboard and everything it loads: static files, the compiled client, and a production
    // dependency served from node_modules.
    const page = await getJson<string>(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const assets = [...page.body.matchAll(/(?:src|href)="(\/[^"#]*)"/g)].map((m) => m[1]);
    // The bundled client, under its content-hashed name.
    expect(assets.filter((a) => /^\/js\/main-[A-Z0-9]{8}\.js$/.test(a))).toHaveLength(1);
    // The chart library is imported by the detail on demand, not named in the page; it must still be served.
    for (const asset of new Set([...assets, '/vendor/lightweight-charts.mjs'])) {
      expect({ asset, status: (await getJson(`http://127.0.0.1:${port}${asset}`)).status }).toEqual({ asset, status: 200 });
    }
    expect(probe(tree, `http://127.0.0.1:${port}/healthz`)).toMatchObject({ code: 0 });
    expect(probe(tree, `tcp://127.0.0.1:${port}`)).toMatchObject({ code: 0 });
    // Logs are JSON lines, as the image's LOG_FORMAT says.
    expect(web.jsonLines().length).toBeGreaterThan(0);
    // It stops on SIGTERM by itself (tini only forwards the signal).
    expect(await web.stop('SIGTERM', 8000)).toBe(0);
  });

  test('the health probe fails fast, with a reason, when nothing answers or the answer is not 2xx', async () => {
    const closed = await freePort();
    // A probe that hung would be killed by probe()'s own deadline and have no exit code, failing the checks below.
    const r = probe(tree, `http://127.0.0.1:${closed}/healthz`);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/unhealthy.*ECONNREFUSED/);
    expect(probe(tree, `tcp://127.0.0.1:${closed}`).code).toBe(1);
    const port = await freePort();
    const web = startFromTree(tree, 'web', { WEB_HOST: '127.0.0.1', WEB_PORT: String(port), MEMCACHED_SERVERS: mc.address });
    procs.push(web);
    await waitHttp200(web, `http://127.0.0.1:${port}/healthz`);
    const notFound = probe(tree, `http://127.0.0.1:${port}/no-such-page`);
    expect(notFound.code).toBe(1);
    expect(notFound.out).toMatch(/HTTP 404/);
  });

  test('analyzer: starts from the tree against the simulator (also from the tree) and answers /health/live', async () => {
    const simPort = await freePort();
    const sim = startFromTree(tree, 'simulator', { SIM_HOST: '127.0.0.1', SIM_PORT: String(simPort) });
    procs.push(sim);
    await waitFor(
      async () => {
        if (sim.exited()) throw new Error(`simulator exited (${sim.exitCode()}): ${sim.output().slice(-3000)}`);
        return probe(tree, `tcp://127.0.0.1:${simPort}`).code === 0;
      },
      { timeoutMs: 30_000, what: 'simulator to listen' },
    );
    const port = await freePort();
    const analyzer = startFromTree(tree, 'analyzer', {
      ANALYZER_HOST: '127.0.0.1',
      ANALYZER_PORT: String(port),
      MEMCACHED_SERVERS: mc.address,
      MARKET_SOURCE: 'sim',
      BYBIT_WS_URL: `ws://127.0.0.1:${simPort}/v5/public/linear`,
      BYBIT_REST_URL: `http://127.0.0.1:${simPort}`,
      SYMBOLS: 'BTCUSDT,ETHUSDT',
    });
    procs.push(analyzer);
    await waitHttp200(analyzer, `http://127.0.0.1:${port}/health/live`);
    expect(probe(tree, `http://127.0.0.1:${port}/health/live`)).toMatchObject({ code: 0 });
    // What the compose health check asks: connected to the feed and publishing.
    await waitFor(
      () => {
        if (analyzer.exited()) throw new Error(`analyzer exited (${analyzer.exitCode()}): ${analyzer.output().slice(-3000)}`);
        return probe(tree, `http://127.0.0.1:${port}/health/ready`).code === 0;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the analyzer to report ready' },
    );
    expect(await analyzer.stop('SIGTERM', 15_000)).toBe(0);
  });

  test("better-sqlite3's native addon loads from the production node_modules and writes into a data dir", () => {
    const dbFile = path.join(tree, 'data', 'probe.sqlite');
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(dbFile)}); db.exec('create table t (x)'); db.prepare('insert into t values (?)').run(1); console.log(db.prepare('select count(*) as n from t').get().n); db.close();`,
      ],
      { cwd: path.join(tree, 'services/analyzer/dist'), encoding: 'utf8' },
    );
    expect({ out: r.stdout.trim(), err: r.stderr.trim() }).toEqual({ out: '1', err: '' });
  });
});
