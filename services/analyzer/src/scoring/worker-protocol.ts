import type { EngineConfigInput, SymbolScore } from '@confluence/confluence';
import type { ComponentDetail } from '@confluence/contracts';
import type { SnapshotDelta } from './snapshot-delta';

/** What a scoring worker is started with. */
export interface ScoringWorkerData {
  readonly engineConfig: EngineConfigInput | undefined;
  /** Results per message back to the main thread: each message is decoded in one go there, so it stays small. */
  readonly resultsPerMessage: number;
}

/** Main → worker. */
export type ToWorker =
  | {
      readonly type: 'score';
      readonly id: number;
      readonly now: number;
      /** Symbols to score, in order; each has a delta here or an unchanged mirror. */
      readonly symbols: readonly string[];
      readonly deltas: readonly SnapshotDelta[];
    }
  /** Deltas sent ahead of the cycle's 'score' message, applied as they come. */
  | { readonly type: 'deltas'; readonly deltas: readonly SnapshotDelta[] }
  | { readonly type: 'forget'; readonly symbols: readonly string[] };

/**
 * A score on the wire: `components[i]` is null when it is the very object sent last time for the symbol (the engine
 * hands out unchanged component details again), so an unchanged component crosses the thread boundary once.
 */
export interface WireScore extends Omit<SymbolScore, 'components'> {
  readonly components: readonly (ComponentDetail | null)[];
}

export interface WireResult {
  readonly symbol: string;
  readonly score?: WireScore;
  readonly error?: string;
}

/** Worker → main. */
export type FromWorker =
  | { readonly type: 'part'; readonly id: number; readonly results: readonly WireResult[] }
  | { readonly type: 'done'; readonly id: number; readonly busyMs: number }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };
