#!/usr/bin/env node
// The README's commands go through here so a fresh machine needs nothing but Node and npm:
// install dependencies if missing, build, find or start memcached (installing it where we can),
// then run what was asked. Plain CommonJS with no dependencies, because it runs before `npm ci`.
'use strict';
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const os = require('node:os');
const { setTimeout: sleep } = require('node:timers/promises');

const ROOT = path.resolve(__dirname, '..');
const cmd = process.argv[2];
const rest = process.argv.slice(3);
const children = [];
let exiting = false;

function say(msg) {
  process.stderr.write(`[confluence] ${msg}\n`);
}

function run(command, args, opts = {}) {
  const r = spawnSync(command, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function which(bin) {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function ensureDeps() {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs - 1000) return;
  say('installing dependencies (npm ci)…');
  if (run('npm', ['ci', '--no-audit', '--no-fund']) !== 0) {
    say('npm ci failed; see the output above');
    process.exit(1);
  }
}

function build() {
  say('building (tsc -b)…');
  if (run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']) !== 0) {
    say('build failed; see the errors above');
    process.exit(1);
  }
  say('bundling the browser client (esbuild)…');
  if (run(process.execPath, [path.join(ROOT, 'services', 'web', 'build-client.cjs')]) !== 0) {
    say('client build failed; see the errors above');
    process.exit(1);
  }
}

function canConnect(port, host) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function aptInstall(pkgs) {
  if (!isRoot() || !which('apt-get')) return false;
  say(`installing ${pkgs.join(' ')} with apt-get…`);
  run('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  return run('apt-get', ['install', '-y', '-qq', ...pkgs], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) === 0;
}

/**
 * Every external program the tests run (the test suites and packages/testkit), with the Debian package that
 * provides it. `npm test` finds or installs all of them before it runs anything; test/ops/required-binaries.test.ts
 * scans the test sources and fails when one starts a program that is not listed here. `env` names the variable
 * that points at a program elsewhere; `paths` are looked at when the program is not on PATH (a non-root PATH
 * often lacks /usr/sbin).
 */
const TEST_BINARIES = [
  { name: 'memcached', apt: 'memcached', env: 'MEMCACHED_BIN', alternatives: [], paths: ['/usr/bin/memcached', '/usr/local/bin/memcached'] },
  { name: 'chromium', apt: 'chromium', env: 'CHROMIUM_PATH', alternatives: ['chromium-browser', 'google-chrome'], paths: ['/usr/bin/chromium'] },
  { name: 'saslpasswd2', apt: 'sasl2-bin', env: null, alternatives: [], paths: ['/usr/sbin/saslpasswd2', '/usr/bin/saslpasswd2'] },
];

/** What `npm run test:containers` runs besides Chromium: a Docker engine and client, and debootstrap for the base image. */
const CONTAINER_TEST_BINARIES = [
  { name: 'docker', apt: 'docker.io', env: null, alternatives: [], paths: ['/usr/bin/docker'] },
  { name: 'dockerd', apt: 'docker.io', env: null, alternatives: [], paths: ['/usr/sbin/dockerd', '/usr/bin/dockerd'] },
  { name: 'debootstrap', apt: 'debootstrap', env: null, alternatives: [], paths: ['/usr/sbin/debootstrap'] },
];

function findBinary(spec) {
  if (spec.env && process.env[spec.env] && fs.existsSync(process.env[spec.env])) return process.env[spec.env];
  for (const name of [spec.name, ...spec.alternatives]) {
    const found = which(name);
    if (found) return found;
  }
  return spec.paths.find((p) => fs.existsSync(p)) || null;
}

/**
 * Finds every program in `specs`, installing the missing ones with apt-get in one go where it can (root on Debian).
 * Returns name → path, or prints what is missing and how to install it and exits.
 */
function ensureBinaries(specs, purpose) {
  const found = {};
  const missing = () => specs.filter((s) => !found[s.name]);
  for (const s of specs) found[s.name] = findBinary(s);
  if (missing().length) {
    aptInstall([...new Set(missing().map((s) => s.apt))]);
    for (const s of missing()) found[s.name] = findBinary(s);
  }
  const still = missing();
  if (still.length) {
    say(`${purpose} needs ${still.map((s) => s.name).join(', ')}, which could not be installed automatically.`);
    say(`  Debian/Ubuntu: sudo apt-get install -y ${[...new Set(still.map((s) => s.apt))].join(' ')}`);
    for (const s of still) if (s.env) say(`  or point ${s.env} at an installed ${s.name}`);
    process.exit(1);
  }
  return found;
}

const MEMCACHED_HELP = [
  'memcached is not installed and could not be installed automatically.',
  'Install it, then run the command again:',
  '  Debian/Ubuntu: sudo apt-get install -y memcached',
  '  macOS:         brew install memcached',
  '  Docker:        docker run -d -p 127.0.0.1:11211:11211 memcached:1.6',
  'Or point the services at a running one: MEMCACHED_SERVERS=host:port npm start',
].join('\n');

function memcachedBinary(install) {
  let bin = process.env.MEMCACHED_BIN || which('memcached') || ['/usr/bin/memcached', '/usr/local/bin/memcached'].find((p) => fs.existsSync(p));
  if (!bin && install && aptInstall(['memcached'])) bin = which('memcached');
  return bin || null;
}

/** Uses MEMCACHED_SERVERS when set; otherwise a memcached on 127.0.0.1:11211, started here when none answers. */
async function ensureMemcached(env) {
  if (process.env.MEMCACHED_SERVERS) {
    say(`using MEMCACHED_SERVERS=${process.env.MEMCACHED_SERVERS}`);
    return process.env.MEMCACHED_SERVERS;
  }
  const port = 11211;
  if (await canConnect(port, '127.0.0.1')) {
    say('using the memcached already running on 127.0.0.1:11211');
    return `127.0.0.1:${port}`;
  }
  const bin = memcachedBinary(true);
  if (!bin) {
    say(MEMCACHED_HELP);
    process.exit(1);
  }
  // Loopback only: Memcached has no access control of its own.
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '256', ...(isRoot() ? ['-u', 'root'] : [])];
  say(`starting memcached on 127.0.0.1:${port}`);
  const child = spawn(bin, args, { stdio: 'inherit', env });
  children.push(child);
  for (let i = 0; i < 50; i++) {
    if (await canConnect(port, '127.0.0.1')) return `127.0.0.1:${port}`;
    await sleep(100);
  }
  say('memcached did not start; see its output above');
  shutdown(1);
  return '';
}

function startChild(name, file, env) {
  const child = spawn(process.execPath, [path.join(ROOT, file)], { stdio: 'inherit', cwd: ROOT, env: { ...process.env, ...env } });
  child.on('exit', (code, signal) => {
    if (!exiting) {
      say(`${name} exited (${signal ?? code}); stopping the others`);
      shutdown(code ?? 1);
    }
  });
  children.push(child);
  return child;
}

function shutdown(code) {
  if (exiting) return;
  exiting = true;
  for (const c of children.slice().reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 6000);
  force.unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => process.exit(code));
}

async function services(mode) {
  ensureDeps();
  build();
  const env = {};
  const memcached = await ensureMemcached(env);
  const common = { MEMCACHED_SERVERS: memcached };
  if (mode === 'demo') {
    const simPort = process.env.SIM_PORT || '8010';
    startChild('simulator', 'services/simulator/dist/main.js', { SIM_PORT: simPort });
    Object.assign(common, {
      MARKET_SOURCE: 'sim',
      BYBIT_WS_URL: `ws://127.0.0.1:${simPort}/v5/public/linear`,
      BYBIT_REST_URL: `http://127.0.0.1:${simPort}`,
    });
    // Give the simulator a moment to listen; the analyzer retries anyway.
    for (let i = 0; i < 50 && !(await canConnect(Number(simPort), '127.0.0.1')); i++) await sleep(100);
  }
  startChild('analyzer', 'services/analyzer/dist/main.js', common);
  startChild('web', 'services/web/dist/main.js', common);
  const webPort = process.env.WEB_PORT || '8001';
  say(`dashboard: http://127.0.0.1:${webPort}/  (analyzer health: http://127.0.0.1:${process.env.ANALYZER_PORT || '8003'}/health)`);
  if (mode === 'demo') say('offline demo: market data comes from the local simulator and is marked "Simulated" on the dashboard');
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
}

function jestSummary(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    return {
      passed: r.numPassedTests,
      failed: r.numFailedTests,
      skipped: r.numPendingTests + (r.numTodoTests || 0),
      suitesFailed: r.numFailedTestSuites,
      success: r.success,
    };
  } catch {
    return null;
  }
}

/**
 * Runs one Jest project as a child process. A watchdog ends it if it has not exited JEST_EXIT_GRACE_MS after writing
 * its results (a leaked handle: Jest would otherwise wait forever and CI would hit its time limit) or after
 * TEST_PHASE_LIMIT_MS in all; either way the phase counts as failed and says why.
 */
function runJest(args, env, outFile) {
  const graceMs = Number(process.env.JEST_EXIT_GRACE_MS || 30_000);
  const limitMs = Number(env.TEST_PHASE_LIMIT_MS || 20 * 60_000);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: ROOT, env, detached: true });
    const started = Date.now();
    let resultsAt = 0;
    let killedFor = null;
    const timer = setInterval(() => {
      if (!resultsAt && fs.existsSync(outFile)) resultsAt = Date.now();
      const why =
        resultsAt && Date.now() - resultsAt > graceMs
          ? `Jest wrote its results but did not exit within ${graceMs / 1000} s (a test left a timer, socket or child process open)`
          : Date.now() - started > limitMs
            ? `the test phase exceeded ${limitMs / 60_000} min`
            : null;
      if (why && !killedFor) {
        killedFor = why;
        say(`${why}; stopping it`);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
    }, 500);
    // The child has its own process group (so the watchdog can end the services the tests started too); pass on ^C.
    const forward = (sig) => {
      exiting = true;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      clearInterval(timer);
      resolve({ code: killedFor ? 1 : (code ?? (signal ? 1 : 0)), note: killedFor });
    });
  });
}

/** What `npm test` and `npm run lint` check (biome.jsonc): the formatting and the linter, warnings included. */
const BIOME_CHECK = ['check', '--error-on-warnings'];

async function test() {
  ensureDeps();
  build();
  const bins = ensureBinaries(TEST_BINARIES, 'npm test');
  const chromium = bins.chromium;
  say('checking architecture, lint and formatting, and type-checking the tests…');
  if (run(process.execPath, [path.join(ROOT, 'scripts', 'check-architecture.cjs')]) !== 0) process.exit(1);
  if (run(process.execPath, [path.join(ROOT, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), ...BIOME_CHECK]) !== 0) {
    say('lint or formatting findings; see the list above. `npx biome check --write` fixes the formatting and the safe');
    say('fixes (`npm run format`); the rest needs a change by hand, or a `// biome-ignore <rule>: <reason>` where the rule is wrong.');
    process.exit(1);
  }
  if (run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']) !== 0) {
    say('the tests do not type-check; see the errors above');
    process.exit(1);
  }
  // Every temp dir a test makes (analyzer data dirs, browser profiles, …) lands in one scratch dir removed at the end:
  // a Jest worker that is killed never runs its own exit handlers, so the dirs would otherwise pile up in /tmp.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-scratch-'));
  const env = { ...process.env, CHROMIUM_PATH: chromium, MEMCACHED_BIN: bins.memcached, TMPDIR: scratch };
  await runPhases(
    [
      ['unit', 'jest.config.js'],
      ['end-to-end', 'test/jest.config.js'],
    ],
    env,
    scratch,
  );
}

/** Runs Jest projects one after the other, then prints one "N passed, N failed" line and exits 0 only if all passed. */
async function runPhases(phases, env, scratch) {
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-test-'));
  const results = [];
  for (const [name, config] of phases) {
    say(`running ${name} tests…`);
    const out = path.join(tmp, `${name}.json`);
    const { code, note } = await runJest([jest, '-c', config, '--json', `--outputFile=${out}`, ...rest], env, out);
    results.push({ name, code, note, summary: jestSummary(out) });
    if (exiting) {
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
      process.exit(130);
    }
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let ok = true;
  for (const r of results) {
    if (r.summary) {
      passed += r.summary.passed;
      failed += r.summary.failed;
      skipped += r.summary.skipped;
    }
    if (r.code !== 0) ok = false;
    say(`${r.name}: ${r.summary ? `${r.summary.passed} passed, ${r.summary.failed} failed` : 'no result'} (exit ${r.code}${r.note ? `: ${r.note}` : ''})`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(ok ? 0 : 1);
}

/**
 * The container test (test/containers): builds the images and runs the compose file's stack on a Docker engine
 * (the test starts one when none runs). It finds or installs docker.io and debootstrap first.
 */
async function containers() {
  ensureDeps();
  build();
  // Chromium too: the test opens the containerised dashboard in it.
  const bins = ensureBinaries([...TEST_BINARIES.filter((s) => s.name === 'chromium'), ...CONTAINER_TEST_BINARIES], 'npm run test:containers');
  const env = {
    ...process.env,
    CHROMIUM_PATH: bins.chromium,
    DOCKER_BIN: bins.docker,
    DOCKERD_BIN: bins.dockerd,
    DEBOOTSTRAP_BIN: bins.debootstrap,
    // A cold run (no cached layers) measured 12 min 43 s on 2 cores at load 5-6, but the image build alone took over
    // 14 min at load 7: the watchdog leaves room for a slow disk (vfs copies every layer) before it calls a hang.
    TEST_PHASE_LIMIT_MS: process.env.TEST_PHASE_LIMIT_MS || String(35 * 60_000),
  };
  await runPhases([['container', 'test/containers/jest.config.js']], env);
}

async function main() {
  switch (cmd) {
    case 'start':
      return services('live');
    case 'demo':
      return services('demo');
    case 'test':
      return test();
    case 'containers':
      return containers();
    case 'sim':
      ensureDeps();
      build();
      startChild('simulator', 'services/simulator/dist/main.js', {});
      process.on('SIGINT', () => shutdown(0));
      process.on('SIGTERM', () => shutdown(0));
      return;
    case 'record':
      ensureDeps();
      build();
      process.exit(run(process.execPath, [path.join(ROOT, 'services/analyzer/dist/record-main.js'), ...rest]));
      return;
    case 'bench': {
      ensureDeps();
      build();
      if (!memcachedBinary(true)) {
        say(MEMCACHED_HELP);
        process.exit(1);
      }
      process.exit(run(process.execPath, ['--expose-gc', path.join(ROOT, 'bench/dist/run.js'), ...rest]));
      return;
    }
    default:
      say('usage: node scripts/bootstrap.cjs start|demo|test|containers|sim|record|bench');
      process.exit(2);
  }
}

module.exports = { TEST_BINARIES, CONTAINER_TEST_BINARIES };

if (require.main === module) {
  main().catch((err) => {
    say(err?.stack ? err.stack : String(err));
    shutdown(1);
  });
}
