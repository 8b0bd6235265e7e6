import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCache, type Cache, CacheTimeoutError, CacheUnavailableError } from '@confluence/cache';
import { startMemcached, type Memcached } from '@confluence/testkit';

// SASL needs memcached's binary protocol (what memjs speaks) and a memcached built with SASL.
// Debian's memcached uses Cyrus SASL: `-S` turns it on, SASL_CONF_PATH points at a directory
// holding memcached.conf, and that file names the mechanism (PLAIN, the one memjs does) and the
// password database, which saslpasswd2 (package sasl2-bin) writes.

const USER = 'confluence';
const PASSWORD = 'correct horse battery staple';
const TIMEOUT_MS = 500;

function saslpasswd2(): string {
  for (const p of ['/usr/sbin/saslpasswd2', '/usr/bin/saslpasswd2', '/usr/local/sbin/saslpasswd2']) if (fs.existsSync(p)) return p;
  throw new Error('saslpasswd2 is not installed: apt-get install -y sasl2-bin');
}

/** A password database and a memcached.conf in a temp dir; returns the dir (the SASL_CONF_PATH). */
function makeSaslConfig(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'confluence-sasl-'));
  const db = path.join(dir, 'memcached-sasl-db');
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${db}\n`);
  // The user's realm: saslpasswd2 defaults to the fully qualified host name, memcached may use the
  // plain host name; store the user under both so the lookup matches on any machine.
  const realms = [...new Set([undefined, os.hostname()])];
  for (const realm of realms) {
    execFileSync(saslpasswd2(), ['-a', 'memcached', '-c', '-f', db, '-p', ...(realm ? ['-u', realm] : []), USER], {
      input: PASSWORD,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to be refused, but it succeeded');
}

describe('cache against a memcached that requires SASL authentication', () => {
  let confDir: string;
  let mc: Memcached;
  const caches: Cache[] = [];
  const open = (username?: string, password?: string) => {
    const cache = createCache({ servers: [mc.address], username, password, timeoutMs: TIMEOUT_MS });
    caches.push(cache);
    return cache;
  };

  beforeAll(async () => {
    confDir = makeSaslConfig();
    mc = await startMemcached({ extraArgs: ['-S'], env: { SASL_CONF_PATH: confDir } });
  });
  afterAll(async () => {
    for (const c of caches) c.close();
    await mc?.stop();
    if (confDir) fs.rmSync(confDir, { recursive: true, force: true });
  });

  test('when the credentials are right, then set, get and delete work', async () => {
    const cache = open(USER, PASSWORD);
    await cache.set('sasl:a', '{"ok":true}', 60);
    expect((await cache.get('sasl:a'))?.toString()).toBe('{"ok":true}');
    await cache.ping();
    await cache.delete('sasl:a');
    expect(await cache.get('sasl:a')).toBeNull();
  });

  test('when the password is wrong, then every operation is refused with CacheUnavailableError, within the timeout', async () => {
    const cache = open(USER, 'wrong password');
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['get', () => cache.get('sasl:b')],
      ['set', () => cache.set('sasl:b', 'x', 60)],
      ['delete', () => cache.delete('sasl:b')],
      ['ping', () => cache.ping()],
      ['get again', () => cache.get('sasl:b')],
    ];
    for (const [name, op] of ops) {
      const err = await rejection(op());
      // Refused by the server, not left to hang until the client's own deadline: never a timeout.
      expect({ name, isUnavailable: err instanceof CacheUnavailableError, timedOut: err instanceof CacheTimeoutError }).toEqual({
        name,
        isUnavailable: true,
        timedOut: false,
      });
    }
    // Nothing was written by the refused client.
    expect(await open(USER, PASSWORD).get('sasl:b')).toBeNull();
  });

  test('when no credentials are given, then the server refuses every operation', async () => {
    const cache = open();
    // memcached answers an unauthenticated get with "Auth failure" at once, but leaves an
    // unauthenticated set unanswered: the client's own deadline ends it (CacheTimeoutError).
    for (const [op, timesOut] of [
      [() => cache.get('sasl:c'), false],
      [() => cache.set('sasl:c', 'x', 60), true],
    ] as const) {
      const err = await rejection(op());
      expect(err).toBeInstanceOf(CacheUnavailableError);
      expect(err instanceof CacheTimeoutError).toBe(timesOut);
    }
    expect(await open(USER, PASSWORD).get('sasl:c')).toBeNull();
  });

  test('when authentication fails, then the error says so (memjs reports it as a bare string, not an Error)', async () => {
    const err = (await rejection(open(USER, 'wrong password').get('sasl:d'))) as Error;
    expect(err).toBeInstanceOf(CacheUnavailableError);
    expect(err.message).toMatch(/authentication failed/i);
  });
});
