import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { canConnect, freePort } from './ports';
import { type Proc, startProcess } from './processes';
import { waitFor } from './wait';

export function memcachedBinary(): string {
  const candidates = [process.env.MEMCACHED_BIN, '/usr/bin/memcached', '/usr/local/bin/memcached', '/opt/homebrew/bin/memcached'].filter(Boolean) as string[];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', 'command -v memcached'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('memcached is not installed: run `apt-get install -y memcached` (Debian/Ubuntu) or `brew install memcached` (macOS), or set MEMCACHED_BIN');
  }
}

export interface Memcached {
  readonly port: number;
  readonly address: string;
  /** Starts memcached (again) on the same port; an earlier instance's data is gone, as after a real restart. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * SIGSTOP: the process keeps its sockets but stops answering. Resolves once the kernel reports it stopped (a signal
   * to a process running on another core is not instant).
   */
  pause(): Promise<void>;
  /** SIGCONT; resolves once the process runs again. */
  resume(): Promise<void>;
  proc(): Proc | undefined;
}

export async function startMemcached(
  options: { port?: number; memoryMb?: number; extraArgs?: string[]; env?: Record<string, string> } = {},
): Promise<Memcached> {
  const port = options.port ?? (await freePort());
  const bin = memcachedBinary();
  let proc: Proc | undefined;
  const mc: Memcached = {
    port,
    address: `127.0.0.1:${port}`,
    async start() {
      if (proc && !proc.exited()) return;
      const args = [
        '-l',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        '0',
        '-m',
        String(options.memoryMb ?? 64),
        '-t',
        '2',
        ...(process.getuid?.() === 0 ? ['-u', 'root'] : []),
        ...(options.extraArgs ?? []),
      ];
      const started = startProcess('memcached', args, options.env ?? {}, { command: bin });
      proc = started;
      await waitFor(async () => (started.exited() ? Promise.reject(new Error(`memcached exited: ${started.output()}`)) : canConnect(port)), {
        timeoutMs: 10_000,
        what: `memcached on port ${port}`,
      });
    },
    async stop() {
      if (proc && !proc.exited()) {
        proc.child.kill('SIGCONT');
        await proc.stop('SIGTERM', 3000);
      }
    },
    async pause() {
      if (!proc) return;
      proc.child.kill('SIGSTOP');
      await untilProcessState(proc.child.pid, true);
    },
    async resume() {
      if (!proc) return;
      proc.child.kill('SIGCONT');
      await untilProcessState(proc.child.pid, false);
    },
    proc: () => proc,
  };
  await mc.start();
  return mc;
}

/** memcached's own counters (`stats`), read over a plain socket so no client library's behaviour is involved. */
export function memcachedStats(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    socket.setTimeout(3000, () => {
      socket.destroy();
      reject(new Error('memcached stats timed out'));
    });
    socket.once('error', reject);
    socket.on('connect', () => socket.write('stats\r\n'));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('END\r\n')) {
        socket.end();
        const out: Record<string, number> = {};
        for (const line of buf.split('\r\n')) {
          const m = /^STAT (\S+) (\S+)$/.exec(line);
          if (m && Number.isFinite(Number(m[2]))) out[m[1]] = Number(m[2]);
        }
        resolve(out);
      }
    });
  });
}

/**
 * Stores bytes under key exactly as given, over a plain socket (text protocol), bypassing every client library and
 * our framing: how tests put poisoned values into the cache.
 */
export function memcachedRawSet(port: number, key: string, value: Buffer | string, ttlS = 300): Promise<void> {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let buf = '';
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`memcached raw set of ${key} timed out`));
    });
    socket.once('error', reject);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(`set ${key} 0 ${ttlS} ${bytes.length}\r\n`), bytes, Buffer.from('\r\n')])));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n')) return;
      socket.end();
      if (buf.startsWith('STORED')) resolve();
      else reject(new Error(`memcached refused ${key}: ${buf.trim()}`));
    });
  });
}

/** Waits until /proc says the process is (or is no longer) stopped; gives up quietly after 5 s or without /proc. */
async function untilProcessState(pid: number | undefined, stopped: boolean): Promise<void> {
  if (pid === undefined) return;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    let state: string;
    try {
      // Field 3 of /proc/<pid>/stat, after the parenthesised command name: T = stopped by a signal.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return;
    }
    if ((state === 'T') === stopped) return;
    await sleep(5);
  }
}
