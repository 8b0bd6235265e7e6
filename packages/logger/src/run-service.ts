import { errorMessage } from './errors';
import type { Logger } from './index';

export interface RunnableService {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

/** Exit codes: 0 clean stop, 1 failure, 2 configuration problem. */
export const EXIT_CONFIG = 2;
/** Shutdown must finish within this; the 5 s budget of orchestrators leaves a margin. */
export const SHUTDOWN_DEADLINE_MS = 4500;

/**
 * The one process shell both services share: wires SIGTERM/SIGINT to a graceful stop (exit 0, or 1 past the
 * deadline), logs unhandled rejections, treats uncaught exceptions as fatal, and prints one machine-readable
 * `{"event":"listening"}` line on stdout once the service listens.
 */
/** Exits once what was written to stdout and stderr has been handed to the OS: to a pipe those writes are asynchronous, and the last log lines would be lost. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export async function runService(name: string, logger: Logger, app: RunnableService): Promise<void> {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    app.stop().then(
      () => exitAfterFlush(0),
      (err) => {
        logger.error('shutdown failed', { error: errorMessage(err) });
        exitAfterFlush(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { error: err instanceof Error ? err.stack : String(err) }));
  process.on('uncaughtException', (err) => {
    logger.error('uncaught exception', { error: err.stack });
    process.exit(1);
  });
  try {
    const { port } = await app.start();
    process.stdout.write(`${JSON.stringify({ event: 'listening', service: name, port })}\n`);
  } catch (err) {
    const listen = listenProblem(err);
    if (listen) {
      // The address or port it was told to use cannot be had: a configuration problem, said plainly.
      logger.error(`${name} cannot listen`, { problem: listen });
      process.stderr.write(`${name}: ${listen}\n`);
      exitAfterFlush(EXIT_CONFIG);
      return;
    }
    logger.error(`${name} failed to start`, { error: errorMessage(err) });
    process.exit(1);
  }
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use; stop what uses it or choose another port',
  EADDRNOTAVAIL: "the address is not one of this machine's; bind to 127.0.0.1, 0.0.0.0 or one of its own addresses",
  EACCES: 'permission denied; ports below 1024 need privileges, choose a higher port',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved',
  EAI_FAIL: 'the host name could not be resolved',
};

/** A readable sentence for a listen() failure caused by the configured host or port, or undefined for anything else. */
export function listenProblem(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, syscall, address, hostname, port } = err as { code?: string; syscall?: string; address?: string; hostname?: string; port?: number };
  if (!code || !(code in LISTEN_ERRORS) || (syscall !== 'listen' && syscall !== 'bind' && syscall !== 'getaddrinfo')) return undefined;
  const where = [address ?? hostname, port].filter((x) => x !== undefined && x !== '').join(':');
  return `cannot listen${where ? ` on ${where}` : ''}: ${LISTEN_ERRORS[code]} (${code})`;
}
