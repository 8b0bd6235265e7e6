import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { canConnect, freePort } from './ports';
import { Proc, startProcess } from './processes';
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
  /** SIGSTOP / SIGCONT: the process keeps its sockets but stops answering. */
  pause(): void;
  resume(): void;
  proc(): Proc | undefined;
}

export async function startMemcached(options: { port?: number; extraArgs?: string[]; env?: Record<string, string> } = {}): Promise<Memcached> {
  const port = options.port ?? (await freePort());
  const bin = memcachedBinary();
  let proc: Proc | undefined;
  const mc: Memcached = {
    port,
    address: `127.0.0.1:${port}`,
    async start() {
      if (proc && !proc.exited()) return;
      const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '64', '-t', '2', ...(process.getuid?.() === 0 ? ['-u', 'root'] : []), ...(options.extraArgs ?? [])];
      proc = startProcess('memcached', args, options.env ?? {}, { command: bin });
      await waitFor(async () => (proc!.exited() ? Promise.reject(new Error(`memcached exited: ${proc!.output()}`)) : canConnect(port)), {
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
    pause() {
      proc?.child.kill('SIGSTOP');
    },
    resume() {
      proc?.child.kill('SIGCONT');
    },
    proc: () => proc,
  };
  await mc.start();
  return mc;
}
