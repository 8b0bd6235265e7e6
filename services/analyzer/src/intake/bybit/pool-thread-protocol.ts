import type { LogLevel, LogMeta } from '@confluence/logger';
import type { NormalizerCounters } from './normalize';
import type { EventBatch } from './event-batch';
import type { ConnectionStats, DisconnectInfo, WsTiming } from './ws-connection';

/** What the intake thread starts with (workerData). */
export interface PoolThreadData {
  readonly url: string;
  readonly timing: Partial<WsTiming>;
  readonly maxTopicsPerConnection: number | undefined;
  readonly connectsPerWindow: number;
  readonly connectWindowMs: number;
  /** Connection attempts of an earlier thread still inside the window (a restarted thread keeps the budget spent). */
  readonly connectTimes: readonly number[];
  /** Whether raw frames are sent back for the recorder. */
  readonly record: boolean;
  /** How often the thread reports its connections and counters (ms). */
  readonly stateMs: number;
}

export type ToPoolThread =
  | { readonly t: 'add'; readonly symbol: string; readonly topics: readonly string[] }
  | { readonly t: 'remove'; readonly symbol: string }
  | { readonly t: 'resubscribe'; readonly topic: string }
  | { readonly t: 'start' }
  | { readonly t: 'stop' };

/** The thread's connections, its decoder's counters and its connection budget, as of `at`. */
export interface PoolThreadState {
  readonly at: number;
  readonly stats: readonly ConnectionStats[];
  readonly totals: { readonly reconnects: number; readonly subscribeRejected: number };
  readonly counters: NormalizerCounters;
  readonly connectAttempts: number;
  readonly connectDeferred: number;
  readonly connectTimes: readonly number[];
}

export type FromPoolThread =
  | {
      readonly t: 'batch';
      /** Data events decoded since the last batch (null when only frames without data arrived). */
      readonly batch: EventBatch | null;
      /** Frames received since the last batch, and the receive time of the newest. */
      readonly frames: number;
      readonly lastRecvTs: number;
      /** Raw frames for the recorder: receive time, connection id, text. */
      readonly raw: readonly (readonly [number, number, string])[] | null;
    }
  | { readonly t: 'state'; readonly state: PoolThreadState }
  | { readonly t: 'disconnect'; readonly info: DisconnectInfo }
  | { readonly t: 'reconnect'; readonly info: { readonly connId: number; readonly topics: readonly string[] } }
  | { readonly t: 'log'; readonly level: LogLevel; readonly message: string; readonly meta: LogMeta | undefined }
  | { readonly t: 'stopped' };
