export {
  createIntake,
  intakeOptionsFromConfig,
  IntakeError,
  type Intake,
  type IntakeHealth,
  type IntakeOptions,
  type IntakeState,
  type IntakeTiming,
  type ConnectionHealth,
  type MarketClock,
} from './intake';
export type { SymbolIntakeStatus } from '../state/market-store';
export type { WarmupProgress } from './warmup';
export { RECORDING_VERSION, type RecordingMeta } from './recorder';
