// docker-compose.yml run for real (npm run test:containers): the images build, the demo stack
// (docker-compose.yml + docker-compose.demo.yml, as Compose merges them) comes up healthy on a Docker engine,
// the published ports serve what a user and an operator expect, memcached is reachable from nowhere but the
// backend network, a killed analyzer shows as stale and recovers, and `docker stop` ends every service cleanly
// within its grace period. Everything the containers get is read from the compose files (test/ops/compose-file.ts);
// the base images are built locally (test/containers/engine.ts), so no image registry is needed.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ApiEnvelope, Status, SymbolsData } from '@confluence/contracts';
import { getJson, waitFor } from '@confluence/testkit';
import { COMPOSE_FILE, DEMO_FILE, loadCompose, networksOf } from '../ops/compose-file';
import { interpolate } from '../ops/docker-files';
import { BASE_IMAGES, type Engine, ensureBaseImages, ensureEngine } from './engine';
import { type Stack, stackFor } from './stack';
import { type Browser, launchBrowser } from '../browser/browser';
import type { Page } from 'playwright-core';

const PROJECT = 'confluence-test';
const WEB = 'http://127.0.0.1:8001';
const ANALYZER = 'http://127.0.0.1:8003';
const demo = loadCompose([COMPOSE_FILE, DEMO_FILE]);
const shell: Record<string, string> = { NODE_IMAGE: BASE_IMAGES.node, MEMCACHED_IMAGE: BASE_IMAGES.memcached };

interface Inspect {
  Id: string;
  Config: { User: string; Image: string; Entrypoint: string[] | null; Cmd: string[] | null };
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Health?: { Status: string } };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    SecurityOpt: string[] | null;
    Memory: number;
    RestartPolicy: { Name: string };
    PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
  };
  NetworkSettings: { Ports: Record<string, unknown> | null; Networks: Record<string, { IPAddress: string; Aliases: string[] | null }> };
}

let engine: Engine;
let stack: Stack;
let browser: Browser | undefined;
let page!: Page;
let logDir: string;
let failed = false;

/** Fails clearly when a port the compose file publishes is already taken on this machine. */
async function assertFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `127.0.0.1:${port} is in use (${err.code}); the compose file publishes the web on 8001 and the analyzer on 8003. Stop what holds it and run again.`,
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

const bytes = (v: string | number): number => {
  if (typeof v === 'number') return v;
  const m = /^(\d+)([kmg]?)b?$/i.exec(v.trim())!;
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '']!;
};

/** IPv4 routes of a routing table in /proc/net/route form: destination, mask, interface. */
function routes(procNetRoute: string): Array<{ iface: string; dest: number; mask: number }> {
  // Addresses are hex in the kernel's (little-endian) byte order: 0100A8C0 is 192.168.0.1.
  const hexIp = (h: string) => Buffer.from(h, 'hex').readUInt32LE(0);
  return procNetRoute
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .map((f) => ({ iface: f[0]!, dest: hexIp(f[1]!), mask: hexIp(f[7]!) }));
}
const ipNum = (ip: string) => ip.split('.').reduce((a, o) => (a * 256 + Number(o)) >>> 0, 0);
/** The non-default routes that would carry a packet for `ip` straight to a local interface. */
const onLinkRoutes = (table: string, ip: string) => routes(table).filter((r) => r.mask !== 0 && (ipNum(ip) & r.mask) >>> 0 === (r.dest & r.mask) >>> 0);

const status = async () => (await getJson<{ status: Status }>(`${WEB}/api/status`, { timeoutMs: 3000 })).body.status;

/** Runs a short Node script in a throwaway container of the base Node image on `network`; returns its stdout. */
async function probe(network: string, script: string): Promise<string> {
  const r = await engine.docker(
    ['run', '--rm', '--network', network, '--label', `com.docker.compose.project=${PROJECT}`, BASE_IMAGES.node, 'node', '-e', script],
    { timeoutMs: 60_000 },
  );
  return r.stdout.trim();
}

beforeAll(async () => {
  await assertFree(8001);
  await assertFree(8003);
  logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-containers-log-'));
  engine = await ensureEngine(logDir);
  await ensureBaseImages(engine, logDir);
  stack = stackFor(engine, demo, PROJECT, shell);
  await stack.down(); // what an interrupted earlier run left
}, 15 * 60_000);

afterAll(async () => {
  if (stack && failed) {
    for (const n of Object.keys(demo.services)) {
      const r = await engine.docker(['logs', '--tail', '40', stack.container(n)], { allowFail: true });
      process.stderr.write(`--- ${n} (last 40 lines)\n${r.stdout}${r.stderr}\n`);
    }
    process.stderr.write(`build and daemon logs: ${logDir}\n`);
  }
  await browser?.close();
  await stack?.down();
  await engine?.stop();
  if (!failed && logDir) fs.rmSync(logDir, { recursive: true, force: true });
}, 120_000);

/** Marks the run failed (so the logs are kept and printed) when the body throws. */
function step(name: string, body: () => Promise<void>, timeoutMs: number): void {
  test(
    name,
    async () => {
      try {
        await body();
      } catch (err) {
        failed = true;
        throw err;
      }
    },
    timeoutMs,
  );
}

describe('docker-compose.yml on a Docker engine (the demo stack)', () => {
  step(
    "the base images are built here: Debian bookworm, this machine's Node with a node user (uid 1000), memcached 1.6",
    async () => {
      const node = await engine.docker([
        'run',
        '--rm',
        BASE_IMAGES.node,
        'sh',
        '-c',
        'node --version; npm --version; id -u node; cat /etc/debian_version; ls /usr/local/include/node/node.h',
      ]);
      const [version, npm, uid, debian, header] = node.stdout.trim().split('\n');
      expect(version).toBe(process.version);
      expect(npm).toMatch(/^\d+\.\d+\.\d+$/);
      expect(uid).toBe('1000');
      expect(debian).toMatch(/^12\./);
      expect(header).toBe('/usr/local/include/node/node.h');
      const mc = await engine.docker(['run', '--rm', BASE_IMAGES.memcached, 'memcached', '-V']);
      expect(mc.stdout.trim()).toMatch(/^memcached 1\.6\./);
    },
    120_000,
  );

  step(
    'all three images build from the Dockerfile targets the compose files name',
    async () => {
      const images = await stack.build(path.join(logDir, 'build.log'));
      expect(images.sort()).toEqual(['confluence-analyzer:local', 'confluence-simulator:local', 'confluence-web:local']);
      for (const [svc, image] of [
        ['analyzer', 'confluence-analyzer:local'],
        ['simulator', 'confluence-simulator:local'],
        ['web', 'confluence-web:local'],
      ] as const) {
        const img = await stack.inspect<Inspect>(image);
        expect({ svc, user: img.Config.User, entrypoint: img.Config.Entrypoint }).toEqual({
          svc,
          user: demo.services[svc]!.user,
          entrypoint: ['/usr/bin/tini', '--'],
        });
      }
    },
    25 * 60_000,
  );

  step(
    'the demo stack comes up healthy, each container as the compose files declare it',
    async () => {
      await stack.up(5 * 60_000);
      for (const [name, s] of Object.entries(demo.services)) {
        await stack.waitHealthy(name, 3 * 60_000);
        const c = await stack.inspect<Inspect>(stack.container(name));
        expect({ name, health: c.State.Health?.Status }).toEqual({ name, health: 'healthy' });
        expect({ name, user: c.Config.User, image: c.Config.Image }).toEqual({ name, user: s.user, image: interpolate(s.image!, shell) });
        expect({ name, readOnly: c.HostConfig.ReadonlyRootfs, capDrop: c.HostConfig.CapDrop, securityOpt: c.HostConfig.SecurityOpt }).toEqual({
          name,
          readOnly: true,
          capDrop: ['ALL'],
          securityOpt: ['no-new-privileges:true'],
        });
        expect({ name, memory: c.HostConfig.Memory, restart: c.HostConfig.RestartPolicy.Name }).toEqual({
          name,
          memory: bytes(s.mem_limit!),
          restart: s.restart,
        });
        expect({ name, networks: Object.keys(c.NetworkSettings.Networks).sort() }).toEqual({
          name,
          networks: networksOf(s)
            .map((n) => stack.network(n))
            .sort(),
        });
        const published = Object.entries(c.HostConfig.PortBindings ?? {}).flatMap(([port, binds]) =>
          binds.map((b) => `${b.HostIp}:${b.HostPort}:${port.replace('/tcp', '')}`),
        );
        expect({ name, published }).toEqual({ name, published: (s.ports ?? []).map((p) => interpolate(String(p), shell)) });
      }
    },
    10 * 60_000,
  );

  step(
    'the web on the published 127.0.0.1:8001 serves the dashboard and scored, simulated symbols',
    async () => {
      const html = await fetch(`${WEB}/`);
      expect(html.status).toBe(200);
      expect(await html.text()).toMatch(/<html/i);
      const table = await waitFor(
        async () => {
          const r = await getJson<ApiEnvelope<SymbolsData>>(`${WEB}/api/symbols`, { timeoutMs: 3000 });
          const scored = r.body.data?.rows.filter((row) => typeof row.score === 'number') ?? [];
          return r.status === 200 && r.body.status.state === 'ok' && scored.length >= 10 ? r.body : null;
        },
        { timeoutMs: 4 * 60_000, intervalMs: 1000, what: 'at least 10 scored symbols on the published web port' },
      );
      expect(table.status.simulated).toBe(true);
      expect(table.status.source).toBe('sim');
      for (const row of table.data!.rows.filter((r) => r.score !== null)) {
        expect(row.score).toBeGreaterThanOrEqual(0);
        expect(row.score).toBeLessThanOrEqual(100);
      }
      // What a user sees: the dashboard in Chromium, rows with scores, marked as simulated data.
      browser = await launchBrowser();
      page = await browser.newPage();
      await page.goto(`${WEB}/`);
      await page.waitForFunction(
        () => [...document.querySelectorAll('#symbols-body .row .score-num')].filter((e) => /^\d+(\.\d)?$/.test(e.textContent ?? '')).length >= 10,
        undefined,
        { timeout: 60_000 },
      );
      expect(await page.isVisible('#sim-badge')).toBe(true);
      expect(await page.textContent('#sim-badge')).toBe('Simulated market data');
    },
    5 * 60_000,
  );

  step(
    "the analyzer's health API answers on the published 127.0.0.1:8003",
    async () => {
      const live = await getJson<{ ok: boolean; service: string }>(`${ANALYZER}/health/live`);
      expect(live.status).toBe(200);
      expect(live.body).toMatchObject({ ok: true, service: 'analyzer' });
      const ready = await waitFor(
        async () => {
          const r = await getJson<{ ready: boolean }>(`${ANALYZER}/health/ready`);
          return r.status === 200 ? r : null;
        },
        { timeoutMs: 60_000, intervalMs: 1000, what: 'the analyzer to be ready on 8003' },
      );
      expect(ready.body.ready).toBe(true);
      const health = await getJson<Record<string, unknown>>(`${ANALYZER}/health`);
      expect(health.status).toBe(200);
      expect(Object.keys(health.body).length).toBeGreaterThan(0);
      const metrics = await fetch(`${ANALYZER}/metrics`);
      expect(metrics.status).toBe(200);
    },
    90_000,
  );

  step(
    'memcached is reachable from neither the host nor any network other than backend',
    async () => {
      const mc = await stack.inspect<Inspect>(stack.container('memcached'));
      // Nothing published.
      expect(mc.HostConfig.PortBindings ?? {}).toEqual({});
      expect(Object.values(mc.NetworkSettings.Ports ?? {}).filter(Boolean)).toEqual([]);
      expect(Object.keys(mc.NetworkSettings.Networks)).toEqual([stack.network('backend')]);
      const mcIp = mc.NetworkSettings.Networks[stack.network('backend')]!.IPAddress;
      expect(mcIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

      // The host has no address on the backend bridge and no route to it but the default one: a packet to memcached
      // would leave through the machine's uplink, where no such address exists. (No packet is sent to find out.)
      const hostTable = fs.readFileSync('/proc/net/route', 'utf8');
      expect(onLinkRoutes(hostTable, mcIp)).toEqual([]);
      const hostAddrs = Object.values(os.networkInterfaces())
        .flat()
        .map((a) => a!.address);
      const backend = (
        JSON.parse((await engine.docker(['network', 'inspect', stack.network('backend')])).stdout) as Array<{ IPAM: { Config: Array<{ Subnet: string }> } }>
      )[0]!;
      const [subnet, bits] = backend.IPAM.Config[0]!.Subnet.split('/');
      const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0;
      expect(hostAddrs.filter((a) => /^\d+\./.test(a) && (ipNum(a) & mask) >>> 0 === (ipNum(subnet!) & mask) >>> 0)).toEqual([]);
      // The same check is not blind: the web's address on frontend has an on-link route, and the host does connect to it.
      const web = await stack.inspect<Inspect>(stack.container('web'));
      const webIp = web.NetworkSettings.Networks[stack.network('frontend')]!.IPAddress;
      expect(onLinkRoutes(hostTable, webIp).length).toBeGreaterThan(0);
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(8001, webIp, () => {
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      });

      // From each other network (the project's frontend and egress, and Docker's default bridge): the name does not
      // resolve and the container has no route to memcached's address but its default gateway (the host, above).
      const script = `
      const fs = require('fs');
      require('dns').lookup('memcached', (err, addr) => {
        console.log(JSON.stringify({ resolved: err ? null : addr, code: err ? err.code : null, routes: fs.readFileSync('/proc/net/route', 'utf8') }));
      });`;
      const others = [
        ...Object.keys(demo.networks ?? {})
          .filter((n) => n !== 'backend')
          .map((n) => stack.network(n)),
        'bridge',
      ];
      expect(others.length).toBeGreaterThanOrEqual(3);
      for (const network of others) {
        const out = JSON.parse(await probe(network, script)) as { resolved: string | null; code: string | null; routes: string };
        expect({ network, resolved: out.resolved }).toEqual({ network, resolved: null });
        expect({ network, onLink: onLinkRoutes(out.routes, mcIp) }).toEqual({ network, onLink: [] });
      }
      // And from backend it answers (the probe itself works).
      const fromBackend = await probe(
        stack.network('backend'),
        `const s = require('net').connect(11211, 'memcached', () => s.write('version\\r\\nquit\\r\\n')); let d = ''; s.on('data', (c) => (d += c)); s.on('close', () => console.log(d.trim()));`,
      );
      expect(fromBackend).toMatch(/^VERSION 1\.6\./);
    },
    3 * 60_000,
  );

  step(
    'killing the analyzer container makes the dashboard say stale; starting it again recovers',
    async () => {
      const before = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'ok' && s.generation !== null ? s : null;
        },
        { timeoutMs: 60_000, what: 'a fresh status before the kill' },
      );
      await engine.docker(['kill', stack.container('analyzer')]);
      const stale = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'stale' ? s : null;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: 'the web to call the data stale' },
      );
      expect(stale.message).toMatch(/stale/i);
      // The open dashboard says so too.
      await page.waitForFunction(() => /Analyzer stale/.test(document.querySelector('#status-banner')?.textContent ?? ''), undefined, { timeout: 30_000 });
      // The table is still served, marked stale, with the last data.
      const table = await getJson<ApiEnvelope<SymbolsData>>(`${WEB}/api/symbols`);
      expect(table.status).toBe(200);
      expect(table.body.status.state).toBe('stale');
      expect(table.body.data?.rows.length).toBeGreaterThan(0);
      const c = await stack.inspect<Inspect>(stack.container('analyzer'));
      if (!c.State.Running) await engine.docker(['start', stack.container('analyzer')]);
      await stack.waitHealthy('analyzer', 3 * 60_000);
      const after = await waitFor(
        async () => {
          const s = await status();
          return s.state === 'ok' && (s.generation ?? 0) > 0 ? s : null;
        },
        { timeoutMs: 3 * 60_000, intervalMs: 1000, what: 'the dashboard to be live again' },
      );
      expect(after.state).toBe('ok');
      expect(before.state).toBe('ok');
      await page.waitForFunction(() => !/stale/i.test(document.querySelector('#status-banner')?.textContent ?? ''), undefined, { timeout: 60_000 });
      expect(browser!.problems).toEqual([]);
    },
    6 * 60_000,
  );

  step(
    '`docker stop` ends each service cleanly within its grace period',
    async () => {
      // Dependents first, as `docker compose stop` does.
      for (const name of ['web', 'analyzer', 'simulator', 'memcached']) {
        const grace = stack.graceSeconds(name);
        const started = Date.now();
        await engine.docker(['stop', stack.container(name)]);
        const tookMs = Date.now() - started;
        const c = await stack.inspect<Inspect>(stack.container(name));
        expect({ name, status: c.State.Status, exitCode: c.State.ExitCode, oom: c.State.OOMKilled }).toEqual({
          name,
          status: 'exited',
          exitCode: 0,
          oom: false,
        });
        expect({ name, withinGrace: tookMs < grace * 1000 }).toEqual({ name, withinGrace: true });
      }
    },
    3 * 60_000,
  );
});
