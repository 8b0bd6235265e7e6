import type { Logger, LogMeta } from '@confluence/logger';
import { runShutdown } from '../src/shutdown';

function capture(): { logger: Logger; lines: { message: string; meta?: LogMeta }[] } {
  const lines: { message: string; meta?: LogMeta }[] = [];
  const logger: Logger = { error: () => {}, warn: (message, meta) => void lines.push({ message, meta }), info: () => {}, debug: () => {}, child: () => logger };
  return { logger, lines };
}

describe('runShutdown', () => {
  test('when a step is late or fails, then it is reported and the later steps still run, in order; a null step is skipped', async () => {
    const { logger, lines } = capture();
    const ran: string[] = [];
    const started = Date.now();
    await runShutdown(logger, [
      {
        what: 'late',
        run: () => {
          ran.push('late');
          return new Promise(() => {});
        },
        boundMs: 50,
      },
      {
        what: 'failing',
        run: () => {
          ran.push('failing');
          return Promise.reject(new Error('boom'));
        },
        boundMs: 1_000,
      },
      {
        what: 'throwing',
        run: () => {
          ran.push('throwing');
          throw new Error('sync');
        },
        boundMs: 1_000,
      },
      {
        what: 'nothing',
        run: () => {
          ran.push('nothing');
          return null;
        },
        boundMs: 1_000,
      },
      {
        what: 'quick',
        run: () => {
          ran.push('quick');
          return Promise.resolve();
        },
        boundMs: 1_000,
      },
    ]);
    expect(ran).toEqual(['late', 'failing', 'throwing', 'nothing', 'quick']);
    expect(lines).toEqual([
      { message: 'shutdown step abandoned', meta: { step: 'late', afterMs: 50 } },
      { message: 'shutdown step failed', meta: { step: 'failing', error: 'boom' } },
      { message: 'shutdown step failed', meta: { step: 'throwing', error: 'sync' } },
    ]);
    expect(Date.now() - started).toBeLessThan(900);
  });
});
