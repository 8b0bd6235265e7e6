// Runs the compose model (test/ops/compose-file.ts reads docker-compose.yml and the demo file) on a Docker
// engine with plain `docker build` / `docker network` / `docker volume` / `docker create` — what `docker
// compose up` does, for the keys these files use, because Compose v2 is not available everywhere the test
// runs. Every setting comes from the compose model: images and build targets/args, networks (internal,
// driver options, aliases), environment, user, read-only root, tmpfs, capabilities, security options,
// memory limit, restart policy, health check, stop grace period, logging, port bindings and volumes.
// The one translation: Docker's CLI takes a health check as a shell command, so an exec-form test
// (["CMD", "node", "probe.cjs", url]) is passed with each argument quoted for /bin/sh.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Compose, type Service, networksOf, resolvedEnv, startOrder } from '../ops/compose-file';
import { interpolate } from '../ops/docker-files';
import { ROOT } from '../ops/docker-files';
import type { Engine } from './engine';
import { waitFor } from '@confluence/testkit';
import path from 'node:path';

const LABEL = 'com.docker.compose.project';

/** Compose durations (1m30s, 10s, 500ms) in seconds, as the CLI flags take them. */
export function seconds(d: string | undefined, fallback: number): number {
  if (!d) return fallback;
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)) total += Number(m[1]) * { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 }[m[2] as 'h']!;
  return total;
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The health check as `docker create` flags. */
function healthFlags(s: Service): string[] {
  const hc = s.healthcheck;
  if (!hc) return [];
  const test = Array.isArray(hc.test) ? hc.test : ['CMD-SHELL', hc.test];
  const cmd = test[0] === 'CMD-SHELL' ? test.slice(1).join(' ') : test[0] === 'CMD' ? test.slice(1).map(shQuote).join(' ') : '';
  if (!cmd) return ['--no-healthcheck'];
  return [
    '--health-cmd',
    cmd,
    ...(hc.interval ? ['--health-interval', `${seconds(hc.interval, 30)}s`] : []),
    ...(hc.timeout ? ['--health-timeout', `${seconds(hc.timeout, 30)}s`] : []),
    ...(hc.retries !== undefined ? ['--health-retries', String(hc.retries)] : []),
    ...(hc.start_period ? ['--health-start-period', `${seconds(hc.start_period, 0)}s`] : []),
  ];
}

export interface Stack {
  project: string;
  container(service: string): string;
  network(name: string): string;
  volume(name: string): string;
  /** Builds every service that has a `build:` section; returns the image names. */
  build(logFile: string): Promise<string[]>;
  /** Creates networks and volumes and starts the services in dependency order, each after its dependencies are healthy. */
  up(timeoutMs: number): Promise<void>;
  /** The grace period `docker stop` gives a service (compose: stop_grace_period, default 10 s). */
  graceSeconds(service: string): number;
  health(service: string): Promise<string>;
  waitHealthy(service: string, timeoutMs: number): Promise<void>;
  inspect<T = Record<string, unknown>>(ref: string): Promise<T>;
  /** Removes every container, network and volume of the project. */
  down(): Promise<void>;
}

export function stackFor(engine: Engine, compose: Compose, project: string, shell: Record<string, string>): Stack {
  const names = startOrder(compose, Object.keys(compose.services));
  const svc = (n: string): Service => compose.services[n]!;
  const imageOf = (n: string) => interpolate(svc(n).image ?? `${project}-${n}`, shell);
  const usedNetworks = [...new Set(names.flatMap((n) => (networksOf(svc(n)).length ? networksOf(svc(n)) : ['default'])))];
  const namedVolumes = Object.keys(compose.volumes ?? {});

  const stack: Stack = {
    project,
    container: (n) => `${project}-${n}-1`,
    network: (n) => `${project}_${n}`,
    volume: (n) => `${project}_${n}`,

    async build(logFile) {
      const built: string[] = [];
      for (const n of names) {
        const b = svc(n).build;
        if (!b) continue;
        const args = Object.entries(b.args ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${interpolate(String(v), shell)}`]);
        await engine.docker(['build', ...(b.target ? ['--target', b.target] : []), ...args, '-t', imageOf(n), path.resolve(ROOT, b.context ?? '.')], {
          logFile,
        });
        built.push(imageOf(n));
      }
      return built;
    },

    async up(timeoutMs) {
      for (const net of usedNetworks) {
        const def = compose.networks?.[net] ?? {};
        const opts = Object.entries(def?.driver_opts ?? {}).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
        await engine.docker(['network', 'create', '--label', `${LABEL}=${project}`, ...(def?.internal ? ['--internal'] : []), ...opts, stack.network(net)]);
      }
      for (const v of namedVolumes) await engine.docker(['volume', 'create', '--label', `${LABEL}=${project}`, stack.volume(v)]);
      const started = new Set<string>();
      const deadline = Date.now() + timeoutMs;
      // Waves: everything whose dependencies are healthy starts together, as Compose does.
      while (started.size < names.length) {
        const ready: string[] = [];
        for (const n of names.filter((x) => !started.has(x))) {
          const deps = svc(n).depends_on;
          const depNames = Array.isArray(deps) ? deps : Object.keys(deps ?? {});
          let ok = true;
          for (const d of depNames) {
            const cond = Array.isArray(deps) ? 'service_started' : deps![d].condition;
            if (!started.has(d) || (cond === 'service_healthy' && (await stack.health(d)) !== 'healthy')) ok = false;
          }
          if (ok) ready.push(n);
        }
        for (const n of ready) {
          await create(n);
          await engine.docker(['start', stack.container(n)]);
          started.add(n);
        }
        if (started.size < names.length) {
          if (Date.now() > deadline) throw new Error(`not started in time: ${names.filter((x) => !started.has(x)).join(', ')}`);
          const waiting = names.filter((x) => started.has(x) && svc(x).healthcheck);
          const states = await Promise.all(waiting.map(async (x) => [x, await stack.health(x)] as const));
          const bad = states.find(([, st]) => st === 'unhealthy');
          if (bad)
            throw new Error(
              `${bad[0]} is unhealthy: ${JSON.stringify((await stack.inspect<{ State: { Health: unknown } }>(stack.container(bad[0]))).State.Health).slice(-1500)}`,
            );
          await sleep(500);
        }
      }
    },

    graceSeconds: (n) => seconds(svc(n).stop_grace_period, 10),

    async health(n) {
      const r = await engine.docker(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}', stack.container(n)], {
        allowFail: true,
      });
      return r.code === 0 ? r.stdout.trim() : 'missing';
    },

    async waitHealthy(n, timeoutMs) {
      await waitFor(
        async () => {
          const h = await stack.health(n);
          if (h === 'unhealthy') throw new Error(`${n} is unhealthy`);
          return h === 'healthy';
        },
        { timeoutMs, intervalMs: 500, what: `${n} to be healthy` },
      );
    },

    async inspect<T>(ref: string): Promise<T> {
      return (JSON.parse((await engine.docker(['inspect', ref])).stdout) as T[])[0]!;
    },

    async down() {
      const ids = (await engine.docker(['ps', '-aq', '--filter', `label=${LABEL}=${project}`], { allowFail: true })).stdout.split(/\s+/).filter(Boolean);
      if (ids.length) await engine.docker(['rm', '-f', '-v', ...ids], { allowFail: true });
      const nets = (await engine.docker(['network', 'ls', '-q', '--filter', `label=${LABEL}=${project}`], { allowFail: true })).stdout
        .split(/\s+/)
        .filter(Boolean);
      if (nets.length) await engine.docker(['network', 'rm', ...nets], { allowFail: true });
      const vols = (await engine.docker(['volume', 'ls', '-q', '--filter', `label=${LABEL}=${project}`], { allowFail: true })).stdout
        .split(/\s+/)
        .filter(Boolean);
      if (vols.length) await engine.docker(['volume', 'rm', '-f', ...vols], { allowFail: true });
    },
  };

  async function create(n: string): Promise<void> {
    const s = svc(n);
    const nets = networksOf(s).length ? networksOf(s) : ['default'];
    const aliasesOf = (net: string): string[] => {
      const extra = Array.isArray(s.networks) ? [] : (s.networks?.[net]?.aliases ?? []);
      return [n, ...extra];
    };
    const env = resolvedEnv(s, shell);
    const tmpfs = s.tmpfs === undefined ? [] : Array.isArray(s.tmpfs) ? s.tmpfs : [s.tmpfs];
    const volumes = (s.volumes ?? []).map((v) => {
      if (typeof v !== 'string') throw new Error(`${n}: long volume syntax is not handled here`);
      const [src, dst, mode] = v.split(':');
      return `${namedVolumes.includes(src!) ? stack.volume(src!) : path.resolve(ROOT, src!)}:${dst}${mode ? `:${mode}` : ''}`;
    });
    const command = s.command === undefined ? [] : Array.isArray(s.command) ? s.command.map(String) : ['sh', '-c', s.command];
    const args = [
      'create',
      '--name',
      stack.container(n),
      '--label',
      `${LABEL}=${project}`,
      '--label',
      `com.docker.compose.service=${n}`,
      '--network',
      stack.network(nets[0]!),
      ...aliasesOf(nets[0]!).flatMap((a) => ['--network-alias', a]),
      ...(s.user ? ['--user', s.user] : []),
      ...(s.read_only ? ['--read-only'] : []),
      ...tmpfs.flatMap((t) => ['--tmpfs', t]),
      ...(s.cap_drop ?? []).flatMap((c) => ['--cap-drop', c]),
      ...(s.cap_add ?? []).flatMap((c) => ['--cap-add', c]),
      ...(s.security_opt ?? []).flatMap((o) => ['--security-opt', o]),
      ...(s.mem_limit !== undefined ? ['--memory', String(s.mem_limit)] : []),
      ...(s.restart ? ['--restart', s.restart === 'unless-stopped' || s.restart === 'always' || s.restart.startsWith('on-failure') ? s.restart : 'no'] : []),
      '--stop-timeout',
      String(Math.ceil(stack.graceSeconds(n))),
      ...(s.logging?.driver ? ['--log-driver', s.logging.driver] : []),
      ...Object.entries(s.logging?.options ?? {}).flatMap(([k, v]) => ['--log-opt', `${k}=${v}`]),
      ...healthFlags(s),
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      ...(s.ports ?? []).flatMap((p) => ['--publish', interpolate(String(p), shell)]),
      ...volumes.flatMap((v) => ['--volume', v]),
      imageOf(n),
      ...command,
    ];
    await engine.docker(args);
    // Further networks are joined before the container starts, as Compose does.
    for (const net of nets.slice(1)) {
      await engine.docker(['network', 'connect', ...aliasesOf(net).flatMap((a) => ['--alias', a]), stack.network(net), stack.container(n)]);
    }
  }

  return stack;
}
