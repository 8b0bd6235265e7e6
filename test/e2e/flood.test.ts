import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import net from 'node:net';
import { type Cache, createCache } from '@confluence/cache';
import { type Memcached, type Service, dumpOnFailure, getJson, startMemcached, startWeb, stopAll, waitFor, publishGeneration } from '@confluence/testkit';

/**
 * Connection floods are bounded: more streams than the caps (per address and in total), streams that stop reading,
 * and slow-header connections, all at once. The web keeps answering, sheds what it must, and its memory comes back.
 * Latencies and memory are measured and printed; the assertions are about outcomes, each wait has a deadline.
 */

const MAX_CLIENTS = 30;
const MAX_PER_IP = 10;
const SLOW_HEADER_SOCKETS = 150;
const SYMBOLS = 300;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

async function metric(url: string, name: string): Promise<number> {
  const text = String((await getJson(`${url}/metrics`)).body);
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

interface Stream {
  socket: net.Socket;
  status: Promise<number>;
  body: () => string;
}

/** Opens /api/stream as a raw socket from a given (proxied) client address; `read: false` never reads a byte. */
function openStream(port: number, ip: string, read: boolean): Stream {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  const status = new Promise<number>((resolve, reject) => {
    socket.once('connect', () => socket.write(`GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${ip}\r\n\r\n`));
    const onData = (d: Buffer) => {
      if (data.length < 4096) data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        if (!read) {
          socket.off('data', onData);
          socket.pause();
        }
        resolve(Number(m[1]));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => resolve(0));
  });
  socket.on('error', () => undefined);
  return { socket, status, body: () => data };
}

/** A client that sends headers a byte at a time and never finishes them. */
function slowHeaders(port: number): { socket: net.Socket; closedByServer: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write('GET /api/symbols HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    timer = setInterval(() => socket.writable && socket.write('a'), 200);
  });
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closedByServer = new Promise<string>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(answer);
    }),
  );
  return { socket, closedByServer };
}

describe('connection floods are bounded', () => {
  let mc: Memcached;
  let cache: Cache;
  let web: Service | undefined;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    mc = await startMemcached();
    cache = createCache({ servers: [mc.address], timeoutMs: 500 });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await stopAll(web);
    cache?.close();
    await mc?.stop();
  });

  test('when streams beyond the caps, dead readers and slow-header clients arrive at once, then the web sheds them, keeps answering, and its RSS returns to its baseline', async () => {
    let generation = Date.now();
    await publishGeneration(cache, generation, { symbols: SYMBOLS });
    web = await startWeb({
      MEMCACHED_SERVERS: mc.address,
      WEB_POLL_MS: '50',
      WEB_SSE_MAX_CLIENTS: String(MAX_CLIENTS),
      WEB_SSE_MAX_PER_IP: String(MAX_PER_IP),
      // Long enough that the non-reading streams pile up a backlog (memory the flood costs) before they are found.
      WEB_SSE_HEARTBEAT_MS: '2000',
      WEB_HEADERS_TIMEOUT_MS: '1500',
      WEB_REQUEST_TIMEOUT_MS: '5000',
      WEB_TRUST_PROXY: 'loopback',
    });
    const w = web;
    const pid = w.proc.child.pid!;
    try {
      await waitFor(async () => (await getJson(`${w.url}/api/symbols`)).status === 200, { what: 'the table' });
      // Warm up the paths the flood will use, so the baseline includes what any running web holds anyway.
      for (let i = 0; i < 200; i++) await getJson(`${w.url}/api/symbols`);
      const warm = Array.from({ length: 5 }, () => openStream(w.port, '192.0.2.250', true));
      await Promise.all(warm.map((s) => s.status));
      for (const s of warm) s.socket.destroy();
      await waitFor(async () => (await metric(w.url, 'confluence_web_sse_clients')) === 0, { what: 'warm-up streams gone' });
      const baseline = rssBytes(pid);

      // The market keeps moving: a new generation of a 300-symbol table every 200 ms, so every stream gets frames.
      let publishing = true;
      const publisher = (async () => {
        while (publishing) {
          generation += 1;
          await publishGeneration(cache, generation, { symbols: SYMBOLS }).catch(() => undefined);
          await sleep(200);
        }
      })();

      // 8 addresses × 10 streams, then 10 more from the first: 90 asked, the caps allow 30 in total and 10 each.
      const streams: Array<Stream & { ip: string; reads: boolean }> = [];
      for (let a = 1; a <= 8; a++) {
        for (let i = 0; i < 10; i++) {
          const reads = !(a === 1 && i < 5); // five of the first address's streams never read
          streams.push({ ...openStream(w.port, `198.51.100.${a}`, reads), ip: `198.51.100.${a}`, reads });
        }
      }
      for (let i = 0; i < 10; i++) streams.push({ ...openStream(w.port, '198.51.100.1', true), ip: '198.51.100.1', reads: true });
      const slow = Array.from({ length: SLOW_HEADER_SOCKETS }, () => slowHeaders(w.port));
      sockets.push(...streams.map((s) => s.socket), ...slow.map((s) => s.socket));
      const statuses = await Promise.all(streams.map((s) => s.status));
      const accepted = streams.filter((_, i) => statuses[i] === 200);
      const refused = streams.filter((_, i) => statuses[i] === 503);
      expect(accepted).toHaveLength(MAX_CLIENTS);
      expect(refused).toHaveLength(streams.length - MAX_CLIENTS);
      expect(refused.every((s) => /too_many_streams/.test(s.body()))).toBe(true);
      for (const ip of new Set(accepted.map((s) => s.ip))) expect(accepted.filter((s) => s.ip === ip).length).toBeLessThanOrEqual(MAX_PER_IP);
      // Under the flood the web answers its health check and the table; latencies measured and printed.
      const latencies: Record<string, number[]> = { '/healthz': [], '/api/symbols': [] };
      for (let i = 0; i < 20; i++) {
        for (const path of Object.keys(latencies)) {
          const t0 = process.hrtime.bigint();
          const res = await getJson(`${w.url}${path}`, { timeoutMs: 10_000 });
          latencies[path].push(Number(process.hrtime.bigint() - t0) / 1e6);
          expect([path, res.status]).toEqual([path, 200]);
        }
      }
      let peak = rssBytes(pid);

      // Every slow-header client is cut off by the server, with a JSON 408.
      const answers = await waitFor(
        async () => {
          peak = Math.max(peak, rssBytes(pid));
          const done = await Promise.all(slow.map((s) => Promise.race([s.closedByServer, Promise.resolve(null)])));
          return done.every((x) => x !== null) ? (done as string[]) : null;
        },
        { timeoutMs: 30_000, what: 'slow-header clients cut off' },
      );
      expect(answers.filter((a) => /^HTTP\/1\.1 408/.test(a) && /"request_timeout"/.test(a)).length).toBe(SLOW_HEADER_SOCKETS);

      // The streams that never read are dropped by the heartbeat (or the buffer cap); the readers stay.
      const tSlow = Date.now();
      const deadReaders = accepted.filter((s) => !s.reads).length;
      expect(deadReaders).toBeGreaterThan(0);
      await waitFor(
        async () => {
          peak = Math.max(peak, rssBytes(pid));
          return (await metric(w.url, 'confluence_web_sse_dropped_total')) >= deadReaders;
        },
        { timeoutMs: 60_000, what: 'non-reading streams dropped' },
      );
      const tDropped = Date.now();
      const text = String((await getJson(`${w.url}/metrics`)).body);
      const reasons = [...text.matchAll(/^confluence_web_sse_dropped_total\{[^}]*reason="(\w+)"[^}]*\} (\d+)/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ');
      expect(await metric(w.url, 'confluence_web_sse_clients')).toBe(MAX_CLIENTS - deadReaders);
      expect((await getJson(`${w.url}/healthz`)).status).toBe(200);

      // Everyone leaves; the memory they cost comes back.
      publishing = false;
      await publisher;
      for (const s of sockets) s.destroy();
      await waitFor(async () => (await metric(w.url, 'confluence_web_sse_clients')) === 0, { what: 'all streams gone' });
      const allowance = Math.max(16 * 1048576, baseline * 0.2);
      const tLeft = Date.now();
      let last = rssBytes(pid);
      await waitFor(
        async () => {
          last = rssBytes(pid);
          return last <= baseline + allowance;
        },
        { timeoutMs: 90_000, intervalMs: 500, what: `RSS back within ${mb(allowance)} of its ${mb(baseline)} baseline` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last ${mb(last)}, peak ${mb(peak)}`);
      });
      const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))].toFixed(1);
      process.stdout.write(
        `\nflood: ${streams.length} streams asked, ${accepted.length} accepted, ${refused.length} refused (503); ${deadReaders} non-reading dropped in ${((tDropped - tSlow) / 1000).toFixed(1)} s (${reasons}); ${SLOW_HEADER_SOCKETS} slow-header sockets cut off (408)\n` +
          `under flood: /healthz p50 ${p(latencies['/healthz'], 0.5)} ms, max ${p(latencies['/healthz'], 1)} ms; /api/symbols (${SYMBOLS} rows) p50 ${p(latencies['/api/symbols'], 0.5)} ms, max ${p(latencies['/api/symbols'], 1)} ms\n` +
          `RSS: baseline ${mb(baseline)}, peak ${mb(peak)}, ${mb(last)} ${((Date.now() - tLeft) / 1000).toFixed(1)} s after the clients left\n`,
      );
      expect(w.proc.exited()).toBe(false);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOnFailure(w)}`);
    }
  });
});
