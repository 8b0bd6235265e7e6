import type { Engine } from '@confluence/confluence';
import type { Intake } from '../intake/intake';
import { scoreAllSync, type ScoreSource } from '../scoring/cycle';
import type { Signals } from '../signals';
import type { Scoreboard } from './scoreboard';

export interface WiringDeps {
  intake: Pick<Intake, 'marketClock' | 'onMinute'> & ScoreSource;
  engine: Engine;
  signals: Pick<Signals, 'onCycle' | 'onMinute'>;
  board: Scoreboard;
}

/** Where the scoreboard is sampled for the history, the track record and alerts. */
interface Sampling {
  afterCycle(marketNow: number, feedOk: boolean): void;
  atMinute(minuteTs: number): void;
}

/** Market time with the wall clock: each publish cycle samples; a minute records the last cycle's rows (at most one interval old). */
function cycleSampling({ signals, board }: WiringDeps): Sampling {
  return {
    afterCycle(marketNow, feedOk) {
      board.sampleHistory(marketNow);
      // Alerts never fire on stale or gapped data: the feed must be up, and each row carries its own dataOk.
      signals.onCycle(board.rows, marketNow, feedOk);
    },
    atMinute(minuteTs) {
      if (board.rows.length) signals.onMinute(minuteTs, board.rows);
    },
  };
}

/**
 * Market time of a recording: at full speed many market minutes pass between two publish cycles, so the rows are
 * scored right at the minute, from the state as it is at that moment.
 */
function minuteSampling({ intake, engine, signals, board }: WiringDeps): Sampling {
  return {
    afterCycle() {},
    atMinute(minuteTs) {
      const rows = board.build(scoreAllSync(engine, intake, minuteTs), minuteTs).rows;
      board.sampleHistory(minuteTs);
      signals.onCycle(rows, minuteTs, true);
      if (rows.length) signals.onMinute(minuteTs, rows);
    },
  };
}

/**
 * Calibration, alerts and time travel fed from the scoreboard: at each market minute (the time-travel snapshot and
 * the scoreboard's samples) and after each cycle, as the intake's market clock requires.
 */
export class SignalsWiring {
  private readonly sampling: Sampling;
  private stopped = false;

  constructor(private readonly deps: WiringDeps) {
    this.sampling = deps.intake.marketClock === 'recording' ? minuteSampling(deps) : cycleSampling(deps);
  }

  attach(): void {
    this.deps.intake.onMinute((minuteTs) => {
      if (!this.stopped) this.sampling.atMinute(minuteTs);
    });
  }

  afterCycle(marketNow: number, feedOk: boolean): void {
    this.sampling.afterCycle(marketNow, feedOk);
  }

  stop(): void {
    this.stopped = true;
  }
}
