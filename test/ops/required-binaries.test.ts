// `npm test` on a fresh machine must find or install every program a test starts. The bootstrap keeps the list
// (TEST_BINARIES, and CONTAINER_TEST_BINARIES for `npm run test:containers`); this test reads the test sources
// and the testkit for the programs they start or look for and fails on any the list does not provide, and on a
// CI script that installs something the bootstrap would not.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './docker-files';
import { programsIn, sourcesUnder, testSourceDirs } from './required-binaries';

interface BinarySpec {
  name: string;
  apt: string;
  env: string | null;
  alternatives: string[];
  paths: string[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bootstrap = require(path.join(ROOT, 'scripts', 'bootstrap.cjs')) as { TEST_BINARIES: BinarySpec[]; CONTAINER_TEST_BINARIES: BinarySpec[] };

/** Every Debian system has these (Essential packages) and Node runs the tests; nothing needs to install them. */
const BASE_SYSTEM = ['sh', 'node', 'tar'];

/** Paths the tests name that are not programs started on this machine. */
const NOT_STARTED_HERE: Record<string, string> = {
  'test/ops/runtime-tree.test.ts:tini': "the runtime image's PID 1, asserted in the Dockerfile, never run on the host",
  'test/containers/compose-stack.test.ts:tini': "the runtime image's PID 1, asserted on the built images",
};

const provided = (specs: BinarySpec[]) => new Set(specs.flatMap((s) => [s.name, ...s.alternatives, ...s.paths.map((p) => path.posix.basename(p))]));

function uses(files: string[]) {
  return files.flatMap((file) => programsIn(fs.readFileSync(path.join(ROOT, file), 'utf8')).map((u) => ({ file, ...u })));
}

// This file's own samples (below) name programs on purpose.
const files = testSourceDirs()
  .flatMap(sourcesUnder)
  .filter((f) => f !== 'test/ops/required-binaries.test.ts');
const containerFiles = files.filter((f) => f.startsWith('test/containers/'));
const npmTestFiles = files.filter((f) => !containerFiles.includes(f));

describe('the programs the tests start are the ones the bootstrap provides', () => {
  test('the scan covers the suites and the testkit', () => {
    expect(files).toEqual(expect.arrayContaining(['packages/testkit/src/memcached.ts', 'packages/cache/test/sasl.test.ts', 'test/browser/browser.ts']));
  });

  test('every program a test or the testkit starts during `npm test` is in TEST_BINARIES or the base system', () => {
    const ok = new Set([...provided(bootstrap.TEST_BINARIES), ...BASE_SYSTEM]);
    const unprovided = uses(npmTestFiles).filter((u) => !ok.has(u.program) && !NOT_STARTED_HERE[`${u.file}:${u.program}`]);
    expect(unprovided.map((u) => `${u.file}:${u.line} ${u.program}  (${u.text})`)).toEqual([]);
  });

  test('every program the container test starts is in TEST_BINARIES, CONTAINER_TEST_BINARIES or the base system', () => {
    const ok = new Set([...provided(bootstrap.TEST_BINARIES), ...provided(bootstrap.CONTAINER_TEST_BINARIES), ...BASE_SYSTEM]);
    const unprovided = uses(containerFiles).filter((u) => !ok.has(u.program) && !NOT_STARTED_HERE[`${u.file}:${u.program}`]);
    expect(unprovided.map((u) => `${u.file}:${u.line} ${u.program}  (${u.text})`)).toEqual([]);
  });

  test('the scan sees the programs the suites are known to use (memcached, Chromium, saslpasswd2)', () => {
    const seen = new Set(uses(npmTestFiles).map((u) => u.program));
    for (const p of ['memcached', 'chromium', 'saslpasswd2']) expect({ program: p, seen: seen.has(p) }).toEqual({ program: p, seen: true });
  });

  test('the scan is not blind: each way of starting a program is reported', () => {
    const sample = [
      "spawn('redis-server', ['--port', '0'])",
      'execFileSync("/usr/sbin/iptables", ["-L"])',
      'execSync(`socat TCP-LISTEN:1 -`)',
      "startProcess('x', [], {}, { command: 'stunnel' })",
      "sh -c 'command -v nginx'",
      "const bin = '/usr/local/bin/haproxy';",
      "const sq = process.env.SQUID_BIN || 'squid';",
      '// spawn("commented-out") is not a use',
    ].join('\n');
    expect(programsIn(sample).map((u) => u.program)).toEqual(['redis-server', 'iptables', 'socat', 'stunnel', 'nginx', 'haproxy', 'squid']);
  });

  test('every listed program names the Debian package that provides it', () => {
    for (const s of [...bootstrap.TEST_BINARIES, ...bootstrap.CONTAINER_TEST_BINARIES])
      expect({ name: s.name, apt: s.apt }).toEqual({ name: s.name, apt: expect.stringMatching(/^[a-z0-9][a-z0-9.+-]+$/) });
    expect(bootstrap.TEST_BINARIES.map((s) => s.apt)).toEqual(expect.arrayContaining(['memcached', 'chromium', 'sasl2-bin']));
  });

  test('.ci/run installs nothing the bootstrap would not install itself', () => {
    const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    const known = new Set([...bootstrap.TEST_BINARIES, ...bootstrap.CONTAINER_TEST_BINARIES].map((s) => s.apt));
    const installed = [...ci.matchAll(/apt-get\s+install\s+([^\n;&|]+)/g)].flatMap((m) => m[1].split(/\s+/).filter((w) => w && !w.startsWith('-')));
    expect(installed.filter((p) => !known.has(p))).toEqual([]);
    // And it runs the README's commands.
    expect(ci).toMatch(/^npm test$/m);
    expect(ci).toMatch(/^npm run test:containers$/m);
  });
});
