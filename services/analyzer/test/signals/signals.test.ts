import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Cache, CacheStats } from '@confluence/cache';
import { CacheUnavailableError } from '@confluence/cache';
import { type EnvelopeMeta, type Kind, createKeys, decodeEnvelope } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { AlertRulesError, DataDirError, createSignals } from '../../src/signals';
import { SCHEMA_VERSION, openSignalsDb, signalsDbFile } from '../../src/signals/db';
import { MIN, T0, components, row, tempDir } from './helpers';

const logger = silentLogger();
const keys = createKeys('test:');

/** An in-memory Cache; `down` makes every call fail like an unreachable Memcached. */
function memoryCache() {
  const store = new Map<string, Buffer>();
  const state = { down: false, sets: 0 };
  const check = () => {
    if (state.down) throw new CacheUnavailableError('memcached down', 'set');
  };
  const cache: Cache = {
    servers: ['memory'],
    async get(k) {
      check();
      return store.get(k) ?? null;
    },
    async getMany(ks) {
      return new Map(ks.map((k) => [k, store.get(k) ?? null]));
    },
    async set(k, v) {
      check();
      state.sets++;
      store.set(k, Buffer.isBuffer(v) ? v : Buffer.from(v));
    },
    async delete(k) {
      store.delete(k);
    },
    async ping() {
      check();
    },
    stats: () => ({}) as CacheStats,
    serverFor: () => 'memory',
    keysOnEveryServer: (base: string) => [`${base}0`],
    close() {},
  };
  return { cache, store, state };
}

function decoded<K extends Kind>(store: Map<string, Buffer>, kind: K, key: string) {
  const raw = store.get(key);
  if (!raw) throw new Error(`missing ${key}`);
  const r = decodeEnvelope(kind, raw);
  if (!r.ok) throw new Error(`${key}: ${r.message}`);
  return r.envelope.data;
}

const meta = (generation: number): EnvelopeMeta => ({ generation, producedAt: T0, analyzerId: 'test', source: 'replay' });

describe('createSignals', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('when a replayed session runs through the facade, then every published key is a valid envelope of its kind', async () => {
    let wall = 0;
    const signals = createSignals({
      dataDir: tmp.dir,
      source: 'replay',
      logger,
      wallNow: () => wall,
      rulesJson: JSON.stringify({ rules: [{ name: 'hot', enterAbove: 70, exitBelow: 65 }], cooldownMs: 0 }),
    });
    const { cache, store } = memoryCache();
    try {
      const fired = [];
      for (let m = 0; m <= 20; m++) {
        const t = T0 + m * MIN;
        const score = m === 5 ? 75 : 60;
        const rows = [
          row('BTCUSDT', { score, price: 100 + m, updatedAt: t, components: components(70) }),
          row('ETHUSDT', { score: 45, price: 10, updatedAt: t }),
        ];
        signals.onMinute(t, rows);
        fired.push(...signals.onCycle(rows, t, true));
      }
      expect(fired.map((a) => a.id)).toEqual([`BTCUSDT:hot:${T0 + 5 * MIN}`]);
      // Delivery is disabled without a URL.
      expect(signals.alerts().alerts[0]).toMatchObject({ delivery: 'disabled', attempts: 0 });
      expect(fired[0].message.startsWith('[replay] ')).toBe(true);

      const res = await signals.publish(cache, keys, meta(1));
      expect(res.ok).toBe(true);
      const cal = decoded(store, 'calibration', keys.calibration());
      expect(cal.totalSamples).toBe(42);
      // The 60–70 band: BTC at 60 for minutes 0..5 resolved at 15 min (minute 5 is ≥70); the scoreboard counts only
      // non-overlapping windows, i.e. the sample on the 15-minute grid (minute 0).
      expect(cal.bands.find((b) => b.band === '60–70')!.byHorizon['15m'].samples).toBe(1);
      expect(decoded(store, 'alerts', keys.alerts()).alerts).toHaveLength(1);
      expect(decoded(store, 'timeline', keys.timeline()).minutes).toEqual(Array.from({ length: 21 }, (_, m) => T0 + m * MIN));
      const snap = decoded(store, 'snapshot', keys.snapshot(T0 + 5 * MIN));
      expect(snap.rows.find((r) => r.symbol === 'BTCUSDT')!.score).toBe(75);
      expect(signals.bandRecord(62, '15m')).toMatchObject({ band: '60–70', horizon: '15m', samples: 1, verdict: 'too_few' });
      expect(signals.health()).toMatchObject({
        calibration: { samples: 42 },
        alerts: { fired: 1 },
        delivery: { enabled: false },
        timeline: { minutes: 21, pendingPublish: 0 },
      });

      // Nothing changed: nothing is written until the periodic full rewrite.
      wall = 1_000;
      expect((await signals.publish(cache, keys, meta(2))).written).toBe(0);
      wall = 31_000;
      expect((await signals.publish(cache, keys, meta(3))).written).toBe(3);
    } finally {
      await signals.close();
    }
  });

  it('when the cache fails, then the publish reports it and the next one writes everything again', async () => {
    let wall = 0;
    const signals = createSignals({ dataDir: tmp.dir, source: 'live', logger, wallNow: () => wall });
    const { cache, store, state } = memoryCache();
    try {
      signals.onMinute(T0, [row('BTCUSDT', { updatedAt: T0 })]);
      expect((await signals.publish(cache, keys, meta(1))).written).toBe(4);
      store.clear();
      state.down = true;
      wall = 1_000;
      signals.onMinute(T0 + MIN, [row('BTCUSDT', { updatedAt: T0 + MIN })]);
      const failed = await signals.publish(cache, keys, meta(2));
      expect(failed.ok).toBe(false);
      expect(failed.error).toMatch(/memcached down/);
      state.down = false;
      wall = 2_000;
      const again = await signals.publish(cache, keys, meta(3));
      expect(again.ok).toBe(true);
      expect([...store.keys()].sort()).toEqual([keys.alerts(), keys.calibration(), keys.snapshot(T0), keys.snapshot(T0 + MIN), keys.timeline()].sort());
    } finally {
      await signals.close();
    }
  });

  it('when the analyzer restarts, then the timeline and the scoreboard come back from DATA_DIR', async () => {
    const first = createSignals({ dataDir: tmp.dir, source: 'live', logger });
    for (let m = 0; m <= 15; m++) first.onMinute(T0 + m * MIN, [row('BTCUSDT', { score: 75, price: 100 + m, updatedAt: T0 + m * MIN })]);
    const before = first.calibration();
    await first.close();
    const second = createSignals({ dataDir: tmp.dir, source: 'live', logger });
    const { cache, store } = memoryCache();
    try {
      expect(second.calibration()).toEqual(before);
      expect(second.timeline().minutes).toHaveLength(16);
      await second.publish(cache, keys, meta(1));
      expect(decoded(store, 'timeline', keys.timeline()).minutes).toHaveLength(16);
    } finally {
      await second.close();
    }
  });

  it('when the source is the simulator, then it uses its own database file', async () => {
    const sim = createSignals({ dataDir: tmp.dir, source: 'sim', logger });
    sim.onMinute(T0, [row('BTCUSDT', { score: 75, updatedAt: T0 })]);
    await sim.close();
    expect(fs.existsSync(path.join(tmp.dir, 'signals-sim.sqlite'))).toBe(true);
    const live = createSignals({ dataDir: tmp.dir, source: 'live', logger });
    expect(live.calibration().totalSamples).toBe(0);
    await live.close();
    expect(signalsDbFile('live', { index: 1, count: 4 })).toBe('signals-shard1of4.sqlite');
  });

  it('when an alert fires with a webhook configured, then it is delivered and the history says so', async () => {
    const got: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push(JSON.parse(body));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const signals = createSignals({ dataDir: tmp.dir, source: 'live', logger, webhookUrl: url, format: 'discord', delivery: { sleep: async () => {} } });
    try {
      signals.onCycle([row('BTCUSDT', { score: 60, updatedAt: T0, components: components(70) })], T0, true);
      const [a] = signals.onCycle([row('BTCUSDT', { score: 75, updatedAt: T0 + 1000, components: components(70) })], T0 + 1000, true);
      for (let i = 0; i < 100 && signals.alerts().alerts[0].delivery === 'pending'; i++) await sleep(10);
      expect(signals.alerts().alerts[0]).toMatchObject({ id: a.id, delivery: 'delivered', attempts: 1 });
      expect(got).toHaveLength(1);
      expect(got[0]).toHaveProperty('embeds');
    } finally {
      await signals.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('when the rules file is invalid, then creation fails with a readable error and leaves no open database', () => {
    const file = path.join(tmp.dir, 'rules.json');
    fs.writeFileSync(file, JSON.stringify({ rules: [{ name: 'x', enterAbove: 60, exitBelow: 70 }] }));
    expect(() => createSignals({ dataDir: tmp.dir, source: 'live', logger, rulesFile: file })).toThrow(AlertRulesError);
    expect(() => createSignals({ dataDir: tmp.dir, source: 'live', logger, rulesFile: file })).toThrow(
      'rules[0].exitBelow: must be below enterAbove (60) so the rule has hysteresis',
    );
  });
});

describe('openSignalsDb', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('when DATA_DIR does not exist, then it is created, in WAL mode, at the current schema version', () => {
    const dir = path.join(tmp.dir, 'a', 'b');
    const db = openSignalsDb(dir);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    // Opening again does not migrate twice.
    openSignalsDb(dir).close();
  });

  it('when DATA_DIR is a file, then a DataDirError says so', () => {
    const file = path.join(tmp.dir, 'file');
    fs.writeFileSync(file, 'x');
    expect(() => openSignalsDb(file)).toThrow(DataDirError);
    expect(() => openSignalsDb(path.join(file, 'sub'))).toThrow(
      `DATA_DIR ${JSON.stringify(path.join(file, 'sub'))} is not usable: a path component is a file, not a directory`,
    );
  });

  it('when the database file is not SQLite, then a DataDirError says so', () => {
    fs.writeFileSync(path.join(tmp.dir, 'signals.sqlite'), 'this is not a database, just text long enough to have a header at all.......');
    let err: unknown;
    try {
      openSignalsDb(tmp.dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe('data_dir_unusable');
    expect((err as Error).message).toMatch(/is not usable: the database file exists but is not a SQLite database$/);
  });

  it('when the database was written by a newer version, then it refuses to open it', () => {
    const raw = new Database(path.join(tmp.dir, 'signals.sqlite'));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openSignalsDb(tmp.dir)).toThrow(/newer than this analyzer's/);
  });
});
