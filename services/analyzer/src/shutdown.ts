import { errorMessage, type Logger } from '@confluence/logger';

export interface ShutdownStep {
  what: string;
  /** Null: nothing to do for this step (read when the step's turn comes). */
  run: () => Promise<unknown> | null;
  boundMs: number;
}

/**
 * Runs the steps in order. Every step has its own bound and a failing step does not skip the rest: a late step is
 * abandoned with a warning, so the whole sequence ends within the sum of the bounds.
 */
export async function runShutdown(logger: Logger, steps: readonly ShutdownStep[]): Promise<void> {
  for (const { what, run, boundMs } of steps) {
    let t: NodeJS.Timeout | undefined;
    const bound = new Promise<'late'>((r) => {
      t = setTimeout(() => r('late'), boundMs);
      t.unref();
    });
    try {
      const running = run();
      if (running === null) continue;
      if ((await Promise.race([running, bound])) === 'late') logger.warn('shutdown step abandoned', { step: what, afterMs: boundMs });
    } catch (err) {
      logger.warn('shutdown step failed', { step: what, error: errorMessage(err) });
    } finally {
      clearTimeout(t);
    }
  }
}
