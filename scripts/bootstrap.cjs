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
    await new Promise((r) => setTimeout(r, 100));
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

function ensureChromium() {
  if (process.env.CHROMIUM_PATH && fs.existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  let bin = which('chromium') || which('chromium-browser') || which('google-chrome');
  if (!bin && aptInstall(['chromium'])) bin = which('chromium');
  return bin;
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
    for (let i = 0; i < 50 && !(await canConnect(Number(simPort), '127.0.0.1')); i++) await new Promise((r) => setTimeout(r, 100));
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
    return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests || 0), suitesFailed: r.numFailedTestSuites, success: r.success };
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
  const limitMs = Number(process.env.TEST_PHASE_LIMIT_MS || 20 * 60_000);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: ROOT, env, detached: true });
    const started = Date.now();
    let resultsAt = 0;
    let killedFor = null;
    const timer = setInterval(() => {
      if (!resultsAt && fs.existsSync(outFile)) resultsAt = Date.now();
      const why = resultsAt && Date.now() - resultsAt > graceMs
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

async function test() {
  ensureDeps();
  build();
  if (!memcachedBinary(true)) {
    say(MEMCACHED_HELP);
    process.exit(1);
  }
  const chromium = ensureChromium();
  if (!chromium) {
    say('Chromium is needed for the dashboard tests: sudo apt-get install -y chromium (or set CHROMIUM_PATH)');
    process.exit(1);
  }
  say('checking architecture and type-checking the tests…');
  if (run(process.execPath, [path.join(ROOT, 'scripts', 'check-architecture.cjs')]) !== 0) process.exit(1);
  if (run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']) !== 0) {
    say('the tests do not type-check; see the errors above');
    process.exit(1);
  }
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-test-'));
  const env = { ...process.env, CHROMIUM_PATH: chromium };
  const results = [];
  for (const [name, config] of [['unit', 'jest.config.js'], ['end-to-end', 'test/jest.config.js']]) {
    say(`running ${name} tests…`);
    const out = path.join(tmp, `${name}.json`);
    const { code, note } = await runJest([jest, '-c', config, '--json', `--outputFile=${out}`, ...rest], env, out);
    results.push({ name, code, note, summary: jestSummary(out) });
    if (exiting) process.exit(130);
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
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(ok ? 0 : 1);
}

async function main() {
  switch (cmd) {
    case 'start':
      return services('live');
    case 'demo':
      return services('demo');
    case 'test':
      return test();
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
      say('usage: node scripts/bootstrap.cjs start|demo|test|sim|record|bench');
      process.exit(2);
  }
}

main().catch((err) => {
  say(err && err.stack ? err.stack : String(err));
  shutdown(1);
});
