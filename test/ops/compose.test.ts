// docker-compose.yml, checked without a Docker engine: it parses, it is valid against the Compose
// specification's JSON schema (vendored in deploy/compose-spec.schema.json), and it says what the
// deployment needs: memcached private and bounded, health checks, start order, non-root, restart
// policies, one analyzer per profile, and an environment every service's config accepts.
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import { loadAnalyzerConfig, loadWebConfig } from '@confluence/config';
import { ROOT, interpolate, readDockerfile, variablesIn, stageEnv, effective } from './docker-files';

type Dict = Record<string, unknown>;
interface Service {
  image?: string;
  build?: { context?: string; target?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: unknown[];
  expose?: unknown[];
  profiles?: string[];
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; retries?: number; start_period?: string };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  user?: string;
  mem_limit?: string | number;
  deploy?: { resources?: { limits?: { memory?: string } } };
  networks?: string[] | Record<string, unknown>;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  read_only?: boolean;
}
interface Compose {
  name?: string;
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const SCHEMA_FILE = path.join(ROOT, 'deploy', 'compose-spec.schema.json');

function loadCompose(): Compose {
  const doc = parseDocument(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true, prettyErrors: true });
  if (doc.errors.length) throw new Error(`docker-compose.yml does not parse:\n${doc.errors.map(String).join('\n')}`);
  if (doc.warnings.length) throw new Error(`docker-compose.yml parses with warnings:\n${doc.warnings.map(String).join('\n')}`);
  return doc.toJS() as Compose;
}

const compose = loadCompose();
const services = compose.services;
const svc = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const networksOf = (s: Service): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
const testOf = (s: Service): string[] => (Array.isArray(s.healthcheck?.test) ? s.healthcheck!.test : ['CMD-SHELL', String(s.healthcheck?.test)]);
/** A service's environment as the container sees it when no variable is set in the shell or .env. */
const resolvedEnv = (s: Service, shell: Record<string, string> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''), shell)]));
const bytes = (v: string | number): number => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(v.trim());
  if (!m) throw new Error(`not a size: ${v}`);
  return Number(m[1]) * { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
};
const memoryLimit = (s: Service) => s.mem_limit ?? s.deploy?.resources?.limits?.memory;

const ANALYZERS = ['analyzer', 'analyzer-demo'];
const NODE_SERVICES = ['analyzer', 'analyzer-demo', 'simulator', 'web'];

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

  test('the file is valid against the schema', () => {
    const ok = validate(compose);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`) ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('the schema check is not vacuous: a misspelt key or a wrong type is reported', () => {
    const misspelt = JSON.parse(JSON.stringify(compose)) as Compose;
    (misspelt.services.web.healthcheck as Dict).intervall = '5s';
    expect(validate(misspelt)).toBe(false);
    const wrongType = JSON.parse(JSON.stringify(compose)) as Compose;
    (wrongType.services.memcached as Dict).restart = { always: true };
    expect(validate(wrongType)).toBe(false);
  });
});

describe('docker-compose.yml says what the deployment needs', () => {
  test('it runs memcached, the web, a live analyzer, and a demo analyzer with the simulator', () => {
    expect(Object.keys(services).sort()).toEqual(['analyzer', 'analyzer-demo', 'memcached', 'simulator', 'web']);
  });

  test('memcached is the official 1.6 image, bounded in memory, and never published', () => {
    const mc = svc('memcached');
    expect(mc.image).toMatch(/^memcached:1\.6(-alpine)?$/);
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

  test('memcached sits only on internal networks; only the web publishes a port, on loopback by default', () => {
    for (const n of networksOf(svc('memcached'))) expect({ network: n, internal: compose.networks?.[n]?.internal }).toEqual({ network: n, internal: true });
    for (const [name, s] of Object.entries(services)) if (name !== 'web') expect({ name, ports: s.ports }).toEqual({ name, ports: undefined });
    const ports = svc('web').ports ?? [];
    expect(ports).toHaveLength(1);
    const published = interpolate(String(ports[0]));
    expect(published).toBe('127.0.0.1:8001:8001');
    // Configurable without editing the file.
    expect(interpolate(String(ports[0]), { WEB_PUBLISH: '0.0.0.0:9000' })).toBe('0.0.0.0:9000:8001');
  });

  test('every service has a health check: analyzers on /health/ready, the web on /healthz, with the probe the image ships', () => {
    const probe = 'scripts/docker/healthcheck.cjs';
    expect(fs.existsSync(path.join(ROOT, probe))).toBe(true);
    for (const name of ANALYZERS) expect(testOf(svc(name))).toEqual(['CMD', 'node', probe, 'http://127.0.0.1:8003/health/ready']);
    expect(testOf(svc('web'))).toEqual(['CMD', 'node', probe, 'http://127.0.0.1:8001/healthz']);
    expect(testOf(svc('simulator'))).toEqual(['CMD', 'node', probe, 'tcp://127.0.0.1:8010']);
    expect(testOf(svc('memcached')).join(' ')).toMatch(/11211/);
    for (const [name, s] of Object.entries(services)) {
      expect({ name, interval: s.healthcheck?.interval, timeout: s.healthcheck?.timeout }).toEqual({ name, interval: expect.any(String), timeout: expect.any(String) });
    }
  });

  test('start order waits for health: web and analyzers on memcached, the demo analyzer also on the simulator', () => {
    const healthy = { condition: 'service_healthy' };
    expect(svc('web').depends_on).toEqual({ memcached: healthy });
    expect(svc('analyzer').depends_on).toEqual({ memcached: healthy });
    expect(svc('analyzer-demo').depends_on).toEqual({ memcached: healthy, simulator: healthy });
    // The web never waits for an analyzer: it serves stale/no_data statuses on its own.
    for (const dep of Object.keys(svc('web').depends_on ?? {})) expect(ANALYZERS).not.toContain(dep);
    // Every dependency has a health check to wait for.
    for (const s of Object.values(services)) for (const dep of Object.keys(s.depends_on ?? {})) expect(svc(dep).healthcheck).toBeDefined();
  });

  test('every service restarts on its own, runs as a non-root user, and has a memory limit', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, restart: s.restart }).toEqual({ name, restart: expect.stringMatching(/^(unless-stopped|always|on-failure(:\d+)?)$/) });
      expect({ name, user: s.user }).toEqual({ name, user: expect.stringMatching(/^(?!root$|0$|0:)\S+$/) });
      expect({ name, memory: memoryLimit(s) }).toEqual({ name, memory: expect.anything() });
    }
    // The image says the same, for `docker run` without compose.
    const df = readDockerfile();
    for (const name of NODE_SERVICES) expect(effective(df, svc(name).build!.target!, 'USER')).toBe(svc(name).user);
  });

  test('each Node service builds a Dockerfile target whose command is its entry point', () => {
    const df = readDockerfile();
    const entry: Record<string, string> = { analyzer: 'services/analyzer/dist/main.js', simulator: 'services/simulator/dist/main.js', web: 'services/web/dist/main.js' };
    for (const name of NODE_SERVICES) {
      const target = svc(name).build?.target;
      expect({ name, context: svc(name).build?.context }).toEqual({ name, context: '.' });
      expect(Object.keys(entry)).toContain(target);
      expect(JSON.parse(effective(df, target!, 'CMD') ?? '[]')).toEqual(['node', entry[target!]]);
    }
  });

  test('profiles: exactly one analyzer whichever profile is chosen; the demo brings the simulator', () => {
    expect(svc('memcached').profiles).toBeUndefined();
    expect(svc('web').profiles).toBeUndefined();
    expect(svc('analyzer').profiles).toEqual(['live']);
    expect(svc('analyzer-demo').profiles).toEqual(['demo']);
    expect(svc('simulator').profiles).toEqual(['demo']);
    const active = (profiles: string[]) => Object.entries(services).filter(([, s]) => !s.profiles || s.profiles.some((p) => profiles.includes(p))).map(([n]) => n);
    expect(active(['live']).filter((n) => ANALYZERS.includes(n))).toEqual(['analyzer']);
    expect(active(['demo']).filter((n) => ANALYZERS.includes(n))).toEqual(['analyzer-demo']);
    expect(active(['demo'])).toContain('simulator');
    expect(active(['live'])).not.toContain('simulator');
    expect(active([]).sort()).toEqual(['memcached', 'web']);
  });

  test('the demo analyzer reads the simulator over the private network, and needs no internet', () => {
    const env = resolvedEnv(svc('analyzer-demo'));
    const sim = resolvedEnv(svc('simulator'));
    expect(env.MARKET_SOURCE).toBe('sim');
    expect(sim.SIM_HOST).toBe('0.0.0.0');
    expect(env.BYBIT_WS_URL).toBe(`ws://simulator:${sim.SIM_PORT}/v5/public/linear`);
    expect(env.BYBIT_REST_URL).toBe(`http://simulator:${sim.SIM_PORT}`);
    expect(sim.SIM_PORT).toBe('8010');
    for (const name of ['analyzer-demo', 'simulator']) {
      for (const n of networksOf(svc(name))) expect({ name, network: n, internal: compose.networks?.[n]?.internal }).toEqual({ name, network: n, internal: true });
    }
    // The live one reads Bybit and has a way out.
    const live = resolvedEnv(svc('analyzer'));
    expect(live.MARKET_SOURCE).toBe('live');
    expect(networksOf(svc('analyzer')).some((n) => !compose.networks?.[n]?.internal)).toBe(true);
  });

  test("the analyzers' DATA_DIR is a named volume, one per profile", () => {
    const targets = new Set<string>();
    for (const name of ANALYZERS) {
      const dataDir = resolvedEnv(svc(name)).DATA_DIR;
      expect(dataDir).toMatch(/^\//);
      const mounts = (svc(name).volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v));
      const mount = mounts.find((v) => v.target === dataDir);
      expect({ name, mount }).toEqual({ name, mount: expect.objectContaining({ source: expect.any(String) }) });
      expect(Object.keys(compose.volumes ?? {})).toContain(mount!.source);
      targets.add(mount!.source!);
    }
    expect(targets.size).toBe(ANALYZERS.length);
  });

  test('the environment is valid configuration: each service starts with these values and no shell variables set', () => {
    for (const name of ANALYZERS) {
      const cfg = loadAnalyzerConfig(resolvedEnv(svc(name)));
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
    const shell = { WEB_AUTH_TOKEN: 'a'.repeat(32), MEMCACHED_USERNAME: 'u', MEMCACHED_PASSWORD: 'p', SYMBOLS: 'BTCUSDT,ETHUSDT', SHARD: '0/2', KEY_PREFIX: 'demo:v1:' };
    const webSet = loadWebConfig(resolvedEnv(svc('web'), shell));
    expect(webSet.authToken).toBe('a'.repeat(32));
    expect(webSet.memcached).toMatchObject({ username: 'u', password: 'p' });
    const an = loadAnalyzerConfig(resolvedEnv(svc('analyzer'), shell));
    expect(an).toMatchObject({ symbols: ['BTCUSDT', 'ETHUSDT'], shard: { index: 0, count: 2 }, keyPrefix: 'demo:v1:' });
  });

  test('the web and the analyzers share the Memcached settings, so the web reads what the analyzer writes', () => {
    const keys = ['MEMCACHED_SERVERS', 'MEMCACHED_USERNAME', 'MEMCACHED_PASSWORD', 'KEY_PREFIX', 'PUBLISH_INTERVAL_MS'];
    const pick = (name: string) => Object.fromEntries(keys.map((k) => [k, svc(name).environment?.[k]]));
    for (const name of ANALYZERS) expect(pick(name)).toEqual(pick('web'));
  });

  test('every variable the file reads from the shell has a default, so a bare `up` needs no .env', () => {
    const text = fs.readFileSync(COMPOSE_FILE, 'utf8').split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
    const missing = variablesIn(text).filter((v) => !v.hasDefault);
    expect(missing).toEqual([]);
  });

  test("the ports in health checks and URLs match the images' own settings", () => {
    const df = readDockerfile();
    expect(stageEnv(df, 'analyzer').ANALYZER_PORT).toBe(resolvedEnv(svc('analyzer')).ANALYZER_PORT);
    expect(stageEnv(df, 'web').WEB_PORT).toBe(resolvedEnv(svc('web')).WEB_PORT);
    expect(stageEnv(df, 'simulator').SIM_PORT).toBe(resolvedEnv(svc('simulator')).SIM_PORT);
    for (const [target, port] of [['analyzer', '8003'], ['web', '8001'], ['simulator', '8010']]) expect(effective(df, target, 'EXPOSE')).toBe(port);
  });
});
