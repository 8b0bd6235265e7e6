// A Docker engine for the container test, and the base images it needs when no image registry can be reached.
//
// Engine: the one DOCKER_HOST (or the default socket) names when it answers; otherwise dockerd is started here
// with the vfs storage driver (works anywhere, no overlay mounts needed), an exec root, socket and pidfile in a
// fresh temp dir, and a data root kept under the cache dir so image layers survive between runs. stop() ends a
// daemon started here (and only that one).
//
// Base images, built locally: a Debian bookworm root filesystem from debootstrap (the mirror is this machine's
// apt source), imported with `docker import`; a Node image from it carrying this machine's own Node binary, npm
// and headers under /usr/local with a `node` user (uid 1000); a memcached image from the same base.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../ops/docker-files';
import { waitFor } from '@confluence/testkit';

export const DOCKER = process.env.DOCKER_BIN || 'docker';
const DOCKERD = process.env.DOCKERD_BIN || 'dockerd';
const DEBOOTSTRAP = process.env.DEBOOTSTRAP_BIN || 'debootstrap';

/** Images, layers and the debootstrap tarball live here between runs; CONTAINER_TEST_CACHE moves it. */
export const CACHE_DIR = process.env.CONTAINER_TEST_CACHE || path.join(os.tmpdir(), 'confluence-containers');

export const BASE_IMAGES = {
  debian: 'confluence-base/debian:bookworm',
  node: 'confluence-base/node:20',
  memcached: 'confluence-base/memcached:1.6',
};

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  /** Append the output here instead of keeping it (builds print a lot). */
  logFile?: string;
  env?: Record<string, string>;
  allowFail?: boolean;
  timeoutMs?: number;
}

/** Runs a program to completion; throws with its output unless it exits 0 (or allowFail). */
export function runProgram(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const log = options.logFile ? fs.createWriteStream(options.logFile, { flags: 'a' }) : null;
    log?.write(`\n$ ${command} ${args.join(' ')}\n`);
    child.stdout.on('data', (d: Buffer) => (log ? log.write(d) : out.push(d)));
    child.stderr.on('data', (d: Buffer) => (log ? log.write(d) : err.push(d)));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      log?.end();
      const r = { code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (r.code !== 0 && !options.allowFail) {
        const tail = options.logFile ? fs.readFileSync(options.logFile, 'utf8').slice(-4000) : `${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`;
        reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')}… exited ${r.code}${signal ? ` (${signal})` : ''}:\n${tail}`));
      } else resolve(r);
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface Engine {
  /** Environment for the docker client: DOCKER_HOST, and the legacy builder (see build()). */
  env: Record<string, string>;
  startedHere: boolean;
  docker(args: string[], options?: RunOptions): Promise<RunResult>;
  stop(): Promise<void>;
}

async function answers(env: Record<string, string>): Promise<boolean> {
  const r = await runProgram(DOCKER, ['version', '--format', '{{.Server.Version}}'], { env, allowFail: true, timeoutMs: 10_000 }).catch(() => null);
  return !!r && r.code === 0 && r.stdout.trim() !== '';
}

/** The engine to use: one that already answers, else a dockerd started here. */
export async function ensureEngine(logDir: string): Promise<Engine> {
  // The legacy builder: BuildKit would fetch its Dockerfile frontend and buildx from a registry.
  const clientEnv: Record<string, string> = { DOCKER_BUILDKIT: '0' };
  if (process.env.DOCKER_HOST) clientEnv.DOCKER_HOST = process.env.DOCKER_HOST;
  const make = (env: Record<string, string>, startedHere: boolean, stop: () => Promise<void>): Engine => ({
    env,
    startedHere,
    docker: (args, options = {}) => runProgram(DOCKER, args, { ...options, env: { ...env, ...options.env } }),
    stop,
  });
  if (await answers(clientEnv)) return make(clientEnv, false, async () => undefined);

  // A short path: unix socket paths are limited to ~108 bytes.
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'cfx-'));
  const dataRoot = path.join(CACHE_DIR, 'docker');
  fs.mkdirSync(dataRoot, { recursive: true });
  const sock = path.join(run, 'docker.sock');
  const logFile = path.join(logDir, 'dockerd.log');
  const log = fs.openSync(logFile, 'a');
  const daemon: ChildProcess = spawn(
    DOCKERD,
    ['--storage-driver=vfs', '--data-root', dataRoot, '--exec-root', path.join(run, 'exec'), '--pidfile', path.join(run, 'docker.pid'), '-H', `unix://${sock}`],
    // In the test's process group, so whatever ends the test run (a watchdog, ^C) ends the daemon too.
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  let exited = false;
  daemon.once('exit', () => (exited = true));
  const env = { ...clientEnv, DOCKER_HOST: `unix://${sock}` };
  const stop = async () => {
    if (!exited) {
      daemon.kill('SIGTERM');
      await waitFor(() => exited, { timeoutMs: 30_000, intervalMs: 100, what: 'dockerd to exit' }).catch(() => daemon.kill('SIGKILL'));
    }
    fs.rmSync(run, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`dockerd exited:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
        return answers(env);
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the Docker engine started here to answer' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return make(env, true, stop);
}

/** The Debian mirror this machine's apt uses (deb822 or one-line sources), else Debian's own. */
export function debianMirror(): string {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const files = [
    '/etc/apt/sources.list',
    ...(fs.existsSync('/etc/apt/sources.list.d') ? fs.readdirSync('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`) : []),
  ];
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (oneLine) return oneLine[1];
  }
  return 'http://deb.debian.org/debian';
}

async function imageExists(engine: Engine, ref: string): Promise<boolean> {
  return (await engine.docker(['image', 'inspect', ref], { allowFail: true })).code === 0;
}

/** Builds (or finds in the cache) the three base images; returns their names. */
export async function ensureBaseImages(engine: Engine, logDir: string): Promise<typeof BASE_IMAGES> {
  const log = path.join(logDir, 'base-images.log');
  if (!(await imageExists(engine, BASE_IMAGES.debian))) {
    const tarball = path.join(CACHE_DIR, 'debian-bookworm-minbase.tar');
    if (!fs.existsSync(tarball)) {
      const work = fs.mkdtempSync(path.join(CACHE_DIR, 'rootfs-'));
      try {
        await runProgram(DEBOOTSTRAP, ['--variant=minbase', 'bookworm', path.join(work, 'rootfs'), debianMirror()], { logFile: log, timeoutMs: 10 * 60_000 });
        await runProgram('tar', ['-C', path.join(work, 'rootfs'), '-cf', `${tarball}.part`, '.'], { logFile: log });
        fs.renameSync(`${tarball}.part`, tarball);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    }
    await engine.docker(['import', '--change', 'CMD ["bash"]', tarball, BASE_IMAGES.debian], { logFile: log });
  }

  // The Node image's build context: this machine's node, npm, headers and CA bundle, laid out as under /usr/local.
  const prefix = path.resolve(path.dirname(fs.realpathSync(process.execPath)), '..');
  const parts: Array<[string, string]> = [
    [fs.realpathSync(process.execPath), 'bin/node'],
    [path.join(prefix, 'lib/node_modules/npm'), 'lib/node_modules/npm'],
    [path.join(prefix, 'include/node'), 'include/node'],
  ];
  for (const [src] of parts)
    if (!fs.existsSync(src)) throw new Error(`cannot build the Node base image: ${src} is missing (this Node install has no ${path.basename(src)})`);
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-node-image-'));
  try {
    for (const [src, dst] of parts) {
      fs.mkdirSync(path.dirname(path.join(ctx, dst)), { recursive: true });
      // verbatimSymlinks: npm's relative links stay relative (cpSync would point them into this temp dir).
      fs.cpSync(src, path.join(ctx, dst), { recursive: true, dereference: false, verbatimSymlinks: true });
    }
    const ca = [process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt'].find((f) => f && fs.existsSync(f));
    fs.writeFileSync(path.join(ctx, 'ca-certificates.crt'), ca ? fs.readFileSync(ca) : '');
    await engine.docker(
      ['build', '-f', path.join(ROOT, 'scripts/docker/base/node.Dockerfile'), '--build-arg', `BASE_IMAGE=${BASE_IMAGES.debian}`, '-t', BASE_IMAGES.node, ctx],
      { logFile: log },
    );
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
  await engine.docker(
    [
      'build',
      '-f',
      path.join(ROOT, 'scripts/docker/base/memcached.Dockerfile'),
      '--build-arg',
      `BASE_IMAGE=${BASE_IMAGES.debian}`,
      '-t',
      BASE_IMAGES.memcached,
      path.join(ROOT, 'scripts/docker/base'),
    ],
    { logFile: log },
  );
  return BASE_IMAGES;
}
