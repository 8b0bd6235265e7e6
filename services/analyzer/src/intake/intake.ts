import type { AnalyzerConfig } from '@confluence/config';
import type { Logger } from '@confluence/logger';
import { LiveIntake } from './live-intake';
import { ReplayIntake } from './replay-intake';
import type { Intake, IntakeOptions } from './types';

export type { SymbolIntakeStatus } from '../state/market-store';
export type { WarmupProgress } from './warmup';
export {
  IntakeError,
  type ClockHealth,
  type ConnectionHealth,
  type Intake,
  type IntakeHealth,
  type IntakeOptions,
  type IntakeState,
  type IntakeTiming,
  type MarketClock,
} from './types';
export { CLOCK_SYNC_MS } from './exchange-clock';
export { UNIVERSE_GRACE_MS } from './intake-base';

/** Intake options from the analyzer's validated config: the one mapping the analyzer and the recorder share. */
export function intakeOptionsFromConfig(config: AnalyzerConfig, logger: Logger): IntakeOptions {
  return {
    wsUrl: config.bybitWsUrl,
    restUrl: config.bybitRestUrl,
    topSymbols: config.topSymbols,
    symbols: config.symbols,
    shard: config.shard,
    universeRefreshMs: config.universeRefreshMs,
    logger,
    source: config.marketSource,
    timing: { ...config.intakeTiming, clockSyncMs: config.clockSyncMs },
    replay: config.marketSource === 'replay' && config.replayFile ? { file: config.replayFile, speed: config.replaySpeed } : undefined,
    includeTradFi: config.includeTradFi,
    universeGraceMs: config.universeGraceMs,
    restBudget: config.restBudget,
    wsConnectsPer5Min: config.wsConnectsPer5Min,
    intakeThread: config.intakeThread,
  };
}

/** The one place the mode is chosen: a replay of a recording, or the exchange (live Bybit or the simulator). */
export function createIntake(options: IntakeOptions): Intake {
  if (options.source !== 'replay') return new LiveIntake(options);
  if (!options.replay) throw new Error("createIntake: source 'replay' needs options.replay");
  return new ReplayIntake(options, options.replay);
}
