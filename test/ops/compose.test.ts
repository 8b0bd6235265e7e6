// docker-compose.yml and the demo file laid over it (docker-compose.demo.yml), checked without a Docker
// engine: they parse, they are valid against the Compose specification's JSON schema (vendored in
// deploy/compose-spec.schema.json), and they say what the deployment needs: memcached private and
// bounded, health checks, start order, non-root, restart policies, one analyzer live or demo, and an
// environment every service's config accepts. test/containers runs the same model on a Docker engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { loadAnalyzerConfig, loadWebConfig } from '@confluence/config';
import { ROOT, interpolate, readDockerfile, variablesIn, stageEnv, effective } from './docker-files';
import {
  COMPOSE_FILE,
  DEMO_FILE,
  type Compose,
  type Dict,
  type Service,
  activeServices,
  loadCompose,
  networksOf,
  readComposeFile,
  resolvedEnv,
} from './compose-file';

const compose = loadCompose([COMPOSE_FILE]);
const demo = loadCompose([COMPOSE_FILE, DEMO_FILE]);
const svc = (name: string, c: Compose = compose): Service => {
  const s = c.services[name];
  if (!s) throw new Error(`the compose model has no service ${name}`);
  return s;
};
const testOf = (s: Service): string[] => (Array.isArray(s.healthcheck?.test) ? s.healthcheck!.test : ['CMD-SHELL', String(s.healthcheck?.test)]);
const bytes = (v: string | number): number => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(v.trim());
  if (!m) throw new Error(`not a size: ${v}`);
  return Number(m[1]) * { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
};
const memoryLimit = (s: Service) => s.mem_limit ?? s.deploy?.resources?.limits?.memory;

const SCHEMA_FILE = path.join(ROOT, 'deploy', 'compose-spec.schema.json');
const NODE_SERVICES = ['analyzer', 'simulator', 'web'];

describe('docker-compose.yml against the Compose specification', () => {
  const raw = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Dict;
  // The schema names its draft by an https URL ajv does not bundle; it is draft-07, which ajv speaks natively.
  const { $schema, ...schema } = raw;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);

  test('the vendored schema is the Compose specification (a valid draft-07 schema)', () => {
    expect(raw.$id).toBe('compose_spec.json');
    expect(raw.title).toBe('Compose Specification');
    expect($schema).toMatch(/draft-07/);
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  test('both files, and the demo as Compose merges it, are valid against the schema', () => {
    for (const [name, model] of [
      ['docker-compose.yml', readComposeFile(COMPOSE_FILE)],
      ['docker-compose.demo.yml', readComposeFile(DEMO_FILE)],
      ['merged demo', demo],
    ] as const) {
      const ok = validate(model);
      expect({ name, errors: validate.errors?.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`) ?? [] }).toEqual({ name, errors: [] });
      expect(ok).toBe(true);
    }
  });

  test('the schema check is not vacuous: a misspelt key or a wrong type is reported', () => {
    const misspelt = JSON.parse(JSON.stringify(compose)) as Compose;
    (misspelt.services.web.healthcheck as unknown as Dict).intervall = '5s';
    expect(validate(misspelt)).toBe(false);
    const wrongType = JSON.parse(JSON.stringify(compose)) as Compose;
    (wrongType.services.memcached as Dict).restart = { always: true };
    expect(validate(wrongType)).toBe(false);
  });
});

describe('docker-compose.yml says what the deployment needs', () => {
  test('plain `up` runs the whole system: memcached, the live analyzer and the web; the demo file adds the simulator', () => {
    expect(activeServices(compose).sort()).toEqual(['analyzer', 'memcached', 'web']);
    expect(activeServices(demo).sort()).toEqual(['analyzer', 'memcached', 'simulator', 'web']);
    // No profiles: nothing is left out of a bare `docker compose up`.
    for (const [name, s] of Object.entries(demo.services)) expect({ name, profiles: s.profiles }).toEqual({ name, profiles: undefined });
  });

  test('memcached is a 1.6 image (MEMCACHED_IMAGE to change it), bounded in memory, and never published', () => {
    const mc = svc('memcached');
    expect(interpolate(mc.image!)).toMatch(/^memcached:1\.6(-alpine)?$/);
    expect(interpolate(mc.image!, { MEMCACHED_IMAGE: 'registry.local/memcached:1.6' })).toBe('registry.local/memcached:1.6');
    expect(mc.ports).toBeUndefined();
    const cmd = Array.isArray(mc.command) ? mc.command : String(mc.command).split(/\s+/);
    const m = cmd[cmd.indexOf('-m') + 1];
    expect(cmd).toContain('-m');
    expect(Number(m)).toBeGreaterThan(0);
    const limit = memoryLimit(mc);
    expect(limit).toBeDefined();
    // The container limit leaves room above the item store for connections and the hash table.
    expect(bytes(limit!)).toBeGreaterThan(Number(m) * 1024 ** 2);
    expect(cmd.join(' ')).toMatch(/-U 0\b/);
  });

  test('memcached sits only on the internal backend network, which gives the host no address on it', () => {
    const nets = networksOf(svc('memcached'));
    expect(nets).toEqual(['backend']);
    expect(compose.networks?.backend?.internal).toBe(true);
    expect(compose.networks?.backend?.driver_opts?.['com.docker.network.bridge.inhibit_ipv4']).toBe('true');
    // Every other service that reaches it does so over backend.
    for (const name of ['analyzer', 'web']) expect(networksOf(svc(name))).toContain('backend');
    expect(networksOf(svc('simulator', demo))).toEqual(['backend']);
  });

  test('only the web (8001) and the analyzer (8003) publish ports, on loopback by default', () => {
    for (const [name, s] of Object.entries(demo.services))
      if (!['web', 'analyzer'].includes(name)) expect({ name, ports: s.ports }).toEqual({ name, ports: undefined });
    const one = (name: string, c: Compose = compose) => {
      const ports = svc(name, c).ports ?? [];
      expect(ports).toHaveLength(1);
      return String(ports[0]);
    };
    expect(interpolate(one('web'))).toBe('127.0.0.1:8001:8001');
    expect(interpolate(one('analyzer'))).toBe('127.0.0.1:8003:8003');
    expect(interpolate(one('analyzer', demo))).toBe('127.0.0.1:8003:8003');
    // Configurable without editing the file.
    expect(interpolate(one('web'), { WEB_PUBLISH: '0.0.0.0:9000' })).toBe('0.0.0.0:9000:8001');
    expect(interpolate(one('analyzer'), { ANALYZER_PUBLISH: '127.0.0.1:9003' })).toBe('127.0.0.1:9003:8003');
    // A published port needs a network with a way to the host: each publisher is on a non-internal one.
    for (const name of ['web', 'analyzer']) expect(networksOf(svc(name)).some((n) => !compose.networks?.[n]?.internal)).toBe(true);
  });

  test('every service has a health check: the analyzer on /health/ready, the web on /healthz, with the probe the image ships', () => {
    const probe = 'scripts/docker/healthcheck.cjs';
    expect(fs.existsSync(path.join(ROOT, probe))).toBe(true);
    for (const c of [compose, demo]) expect(testOf(svc('analyzer', c))).toEqual(['CMD', 'node', probe, 'http://127.0.0.1:8003/health/ready']);
    expect(testOf(svc('web'))).toEqual(['CMD', 'node', probe, 'http://127.0.0.1:8001/healthz']);
    expect(testOf(svc('simulator', demo))).toEqual(['CMD', 'node', probe, 'tcp://127.0.0.1:8010']);
    expect(testOf(svc('memcached')).join(' ')).toMatch(/11211/);
    for (const [name, s] of Object.entries(demo.services)) {
      expect({ name, interval: s.healthcheck?.interval, timeout: s.healthcheck?.timeout }).toEqual({
        name,
        interval: expect.any(String),
        timeout: expect.any(String),
      });
    }
  });

  test('start order waits for health: web and analyzer on memcached, the demo analyzer also on the simulator', () => {
    const healthy = { condition: 'service_healthy' };
    expect(svc('web').depends_on).toEqual({ memcached: healthy });
    expect(svc('analyzer').depends_on).toEqual({ memcached: healthy });
    expect(svc('analyzer', demo).depends_on).toEqual({ memcached: healthy, simulator: healthy });
    // The web never waits for the analyzer: it serves stale/no_data statuses on its own.
    expect(Object.keys(svc('web', demo).depends_on ?? {})).not.toContain('analyzer');
    // Every dependency has a health check to wait for.
    for (const s of Object.values(demo.services)) for (const dep of Object.keys(s.depends_on ?? {})) expect(svc(dep, demo).healthcheck).toBeDefined();
  });

  test('every service restarts on its own, runs as a non-root user with a read-only root and no capabilities, and has a memory limit', () => {
    for (const [name, s] of Object.entries(demo.services)) {
      expect({ name, restart: s.restart }).toEqual({ name, restart: expect.stringMatching(/^(unless-stopped|always|on-failure(:\d+)?)$/) });
      expect({ name, user: s.user }).toEqual({ name, user: expect.stringMatching(/^(?!root$|0$|0:)\S+$/) });
      expect({ name, memory: memoryLimit(s) }).toEqual({ name, memory: expect.anything() });
      expect({ name, read_only: s.read_only, cap_drop: s.cap_drop }).toEqual({ name, read_only: true, cap_drop: ['ALL'] });
    }
    // The image says the same, for `docker run` without compose.
    const df = readDockerfile();
    for (const name of NODE_SERVICES) expect(effective(df, svc(name, demo).build!.target!, 'USER')).toBe(svc(name, demo).user);
  });

  test('each Node service builds a Dockerfile target whose command is its entry point, from the NODE_IMAGE the Dockerfile defaults to', () => {
    const df = readDockerfile();
    const entry: Record<string, string> = {
      analyzer: 'services/analyzer/dist/main.js',
      simulator: 'services/simulator/dist/main.js',
      web: 'services/web/dist/main.js',
    };
    for (const name of NODE_SERVICES) {
      const build = svc(name, demo).build;
      const target = build?.target;
      expect({ name, context: build?.context }).toEqual({ name, context: '.' });
      expect(Object.keys(entry)).toContain(target);
      expect(JSON.parse(effective(df, target!, 'CMD') ?? '[]')).toEqual(['node', entry[target!]]);
      expect({ name, NODE_IMAGE: interpolate(build?.args?.NODE_IMAGE ?? '') }).toEqual({ name, NODE_IMAGE: df.globalArgs.NODE_IMAGE });
      expect(interpolate(build!.args!.NODE_IMAGE, { NODE_IMAGE: 'mirror.local/node:20' })).toBe('mirror.local/node:20');
    }
  });

  test('exactly one analyzer, live or demo: the demo file changes the same service instead of adding one', () => {
    const analyzers = (c: Compose) =>
      Object.entries(c.services)
        .filter(([, s]) => s.build?.target === 'analyzer')
        .map(([n]) => n);
    expect(analyzers(compose)).toEqual(['analyzer']);
    expect(analyzers(demo)).toEqual(['analyzer']);
    // The rest of the live analyzer's definition carries over unchanged.
    const { environment: _e, volumes: _v, depends_on: _d, ...live } = svc('analyzer');
    const { environment: _e2, volumes: _v2, depends_on: _d2, ...demoed } = svc('analyzer', demo);
    expect(demoed).toEqual(live);
  });

  test('the demo analyzer reads the simulator over the private network; the live one reads Bybit through egress', () => {
    const env = resolvedEnv(svc('analyzer', demo));
    const sim = resolvedEnv(svc('simulator', demo));
    expect(env.MARKET_SOURCE).toBe('sim');
    expect(sim.SIM_HOST).toBe('0.0.0.0');
    expect(env.BYBIT_WS_URL).toBe(`ws://simulator:${sim.SIM_PORT}/v5/public/linear`);
    expect(env.BYBIT_REST_URL).toBe(`http://simulator:${sim.SIM_PORT}`);
    expect(sim.SIM_PORT).toBe('8010');
    for (const n of networksOf(svc('simulator', demo))) expect({ network: n, internal: demo.networks?.[n]?.internal }).toEqual({ network: n, internal: true });
    const live = resolvedEnv(svc('analyzer'));
    expect(live.MARKET_SOURCE).toBe('live');
    expect(live.BYBIT_WS_URL).toBe('wss://stream.bybit.com/v5/public/linear');
    expect(networksOf(svc('analyzer')).some((n) => !compose.networks?.[n]?.internal)).toBe(true);
  });

  test("the analyzer's DATA_DIR is a named volume, a separate one for the demo", () => {
    const sources = new Set<string>();
    for (const c of [compose, demo]) {
      const s = svc('analyzer', c);
      const dataDir = resolvedEnv(s).DATA_DIR;
      expect(dataDir).toMatch(/^\//);
      const mounts = (s.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v));
      expect(mounts.filter((v) => v.target === dataDir)).toHaveLength(1);
      const mount = mounts.find((v) => v.target === dataDir)!;
      expect(Object.keys(c.volumes ?? {})).toContain(mount.source);
      sources.add(mount.source!);
    }
    expect([...sources]).toEqual(['analyzer-data', 'analyzer-demo-data']);
  });

  test('the environment is valid configuration: each service starts with these values and no shell variables set', () => {
    for (const c of [compose, demo]) {
      const cfg = loadAnalyzerConfig(resolvedEnv(svc('analyzer', c)));
      expect(cfg.host).toBe('0.0.0.0');
      expect(cfg.port).toBe(8003);
      expect(cfg.memcached.servers).toEqual(['memcached:11211']);
      expect(cfg.memcached.username).toBeUndefined();
      expect(cfg.dataDir).toBe('/data');
      expect(cfg.logFormat).toBe('json');
    }
    const web = loadWebConfig(resolvedEnv(svc('web')));
    expect(web.host).toBe('0.0.0.0');
    expect(web.port).toBe(8001);
    expect(web.memcached.servers).toEqual(['memcached:11211']);
    expect(web.authToken).toBeUndefined();
    // And with the variables an operator would set.
    const shell = {
      WEB_AUTH_TOKEN: 'a'.repeat(32),
      MEMCACHED_USERNAME: 'u',
      MEMCACHED_PASSWORD: 'p',
      SYMBOLS: 'BTCUSDT,ETHUSDT',
      SHARD: '0/2',
      KEY_PREFIX: 'demo:v1:',
    };
    const webSet = loadWebConfig(resolvedEnv(svc('web'), shell));
    expect(webSet.authToken).toBe('a'.repeat(32));
    expect(webSet.memcached).toMatchObject({ username: 'u', password: 'p' });
    const an = loadAnalyzerConfig(resolvedEnv(svc('analyzer'), shell));
    expect(an).toMatchObject({ symbols: ['BTCUSDT', 'ETHUSDT'], shard: { index: 0, count: 2 }, keyPrefix: 'demo:v1:' });
  });

  test('the web and the analyzer share the Memcached settings, so the web reads what the analyzer writes', () => {
    const keys = ['MEMCACHED_SERVERS', 'MEMCACHED_USERNAME', 'MEMCACHED_PASSWORD', 'KEY_PREFIX', 'PUBLISH_INTERVAL_MS'];
    const pick = (name: string, c: Compose) => Object.fromEntries(keys.map((k) => [k, svc(name, c).environment?.[k]]));
    for (const c of [compose, demo]) expect(pick('analyzer', c)).toEqual(pick('web', c));
  });

  test('every variable the files read from the shell has a default, so a bare `up` needs no .env', () => {
    for (const file of [COMPOSE_FILE, DEMO_FILE]) {
      const text = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'))
        .join('\n');
      const missing = variablesIn(text).filter((v) => !v.hasDefault);
      expect({ file: path.basename(file), missing }).toEqual({ file: path.basename(file), missing: [] });
    }
  });

  test("the ports in health checks and URLs match the images' own settings", () => {
    const df = readDockerfile();
    expect(stageEnv(df, 'analyzer').ANALYZER_PORT).toBe(resolvedEnv(svc('analyzer')).ANALYZER_PORT);
    expect(stageEnv(df, 'web').WEB_PORT).toBe(resolvedEnv(svc('web')).WEB_PORT);
    expect(stageEnv(df, 'simulator').SIM_PORT).toBe(resolvedEnv(svc('simulator', demo)).SIM_PORT);
    for (const [target, port] of [
      ['analyzer', '8003'],
      ['web', '8001'],
      ['simulator', '8010'],
    ])
      expect(effective(df, target, 'EXPOSE')).toBe(port);
  });
});

describe('the compose merge the tests use follows Compose', () => {
  test('mappings merge by key, volumes by mount point, networks and ports accumulate, scalars and commands are replaced', () => {
    const fsTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-compose-'));
    const a = path.join(fsTmp, 'a.yml');
    const b = path.join(fsTmp, 'b.yml');
    fs.writeFileSync(
      a,
      'services:\n  s:\n    image: one\n    command: [x, y]\n    environment: { A: "1", B: "2" }\n    volumes: [ "v1:/data", "v2:/logs" ]\n    networks: [n1]\n    ports: ["1:1"]\n',
    );
    fs.writeFileSync(
      b,
      'services:\n  s:\n    image: two\n    command: [z]\n    environment: { B: "3" }\n    volumes: [ "v3:/data" ]\n    networks: [n2]\n    ports: ["2:2"]\n  t:\n    image: three\nvolumes:\n  v3: {}\n',
    );
    const m = loadCompose([a, b]);
    fs.rmSync(fsTmp, { recursive: true, force: true });
    expect(m.services.s).toEqual({
      image: 'two',
      command: ['z'],
      environment: { A: '1', B: '3' },
      volumes: ['v3:/data', 'v2:/logs'],
      networks: ['n1', 'n2'],
      ports: ['1:1', '2:2'],
    });
    expect(m.services.t).toEqual({ image: 'three' });
    expect(m.volumes).toEqual({ v3: {} });
  });
});
