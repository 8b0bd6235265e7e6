import { WARMUP } from '@confluence/bybit-wire';
import type { Timeframe } from '@confluence/contracts';
import { createRateLimitedLog, type Logger, errorMessage } from '@confluence/logger';
import type { MarketStore } from '../state/market-store';
import { fullJitterDelay } from './backoff';
import { RestError, type BybitRestClient } from './bybit/rest-client';
import { INTERVAL_TO_TIMEFRAME, TIMEFRAME_MS, TIMEFRAME_TO_INTERVAL } from './events';
import { fnv1a32 } from './universe';

/** Fills the candle store of each timeframe in one request (it keeps CANDLES_PER_TIMEFRAME, the same number). */
export const KLINE_BACKFILL: number = WARMUP.klineLimit;
export const OPEN_INTEREST_BACKFILL: number = WARMUP.openInterestLimit;
export const ACCOUNT_RATIO_BACKFILL: number = WARMUP.accountRatioLimit;
export const FUNDING_BACKFILL: number = WARMUP.fundingLimit;
export const POLL_INTERVAL_MS = 60_000;
/** Funding changes every few hours: poll it every 10th round. */
export const FUNDING_POLL_EVERY = 10;
const POLL_LIMIT = 3;
export const WARMUP_RETRY_BASE_MS = 5_000;
export const WARMUP_RETRY_MAX_MS = 5 * 60_000;

const PARTS = ['kline.1', 'kline.5', 'kline.30', 'kline.240', 'openInterest', 'accountRatio', 'funding'] as const;
type Part = (typeof PARTS)[number];
type PartState = 'pending' | 'running' | 'done' | 'failed';

export interface WarmupProgress {
  /** Symbols whose every backfill request succeeded. */
  done: number;
  total: number;
  complete: boolean;
  /** Symbols with a failed part, retrying in the background. */
  failed: number;
  /** Up to 20 of them. */
  failedSymbols: string[];
  /** Candle repairs (gap backfills) in progress, symbols concerned (up to 20), completed and failed attempts. */
  repairing: number;
  repairingSymbols: string[];
  repairsDone: number;
  repairFailures: number;
}

export interface WarmupTiming {
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface WarmupOptions {
  rest: BybitRestClient;
  store: MarketStore;
  logger: Logger;
  timing?: Partial<WarmupTiming>;
  /** Periodic OI / account-ratio / funding polling after warm-up (off in replay). */
  poll?: boolean;
  /** Retry failed parts in the background (off in replay, where a missing answer stays missing). */
  retry?: boolean;
  random?: () => number;
  /** Exchange clock, to size a repair's request (how many candles the gap spans). Default Date.now. */
  now?: () => number;
}

interface RepairTask {
  readonly symbol: string;
  readonly timeframe: Timeframe;
  /** Start of the newest candle held before the gap: the backfill must reach back to it. */
  from: number;
  attempt: number;
  running: boolean;
  /** A new gap was reported while a request ran: run once more. */
  again: boolean;
  /** Grows when an answer did not reach back far enough. */
  minLimit: number;
  timer: NodeJS.Timeout | undefined;
}

interface SymbolTask {
  readonly symbol: string;
  readonly parts: Map<Part, PartState>;
  attempt: number;
  retryTimer: NodeJS.Timeout | undefined;
  removed: boolean;
  lastError: string | undefined;
  pollRound: number;
  nextPollAt: number;
  polling: boolean;
}

/**
 * REST backfill per symbol (klines 1/5/30/240, open interest, account ratio, funding), then periodic polling of the
 * slow series. All requests go through the REST client's shared rate limiter, so 500 symbols simply queue.
 */
export class Warmup {
  private readonly tasks = new Map<string, SymbolTask>();
  private readonly timing: WarmupTiming;
  private readonly rlog: ReturnType<typeof createRateLimitedLog>;
  private readonly random: () => number;
  private pollTimer: NodeJS.Timeout | undefined;
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly repairs = new Map<string, RepairTask>();
  private repairsDone = 0;
  private repairFailures = 0;

  constructor(private readonly options: WarmupOptions) {
    this.timing = { pollIntervalMs: POLL_INTERVAL_MS, retryBaseMs: WARMUP_RETRY_BASE_MS, retryMaxMs: WARMUP_RETRY_MAX_MS, ...options.timing };
    this.rlog = createRateLimitedLog(options.logger, 30_000);
    this.random = options.random ?? Math.random;
    if (options.poll) {
      const tick = Math.max(10, Math.min(1_000, Math.floor(this.timing.pollIntervalMs / 4)));
      this.pollTimer = setInterval(() => this.pollDue(), tick);
    }
  }

  add(symbols: readonly string[]): void {
    for (const symbol of symbols) {
      if (this.stopped || this.tasks.has(symbol)) continue;
      const task: SymbolTask = {
        symbol,
        parts: new Map(PARTS.map((p) => [p, 'pending' as PartState])),
        attempt: 0,
        retryTimer: undefined,
        removed: false,
        lastError: undefined,
        pollRound: 0,
        nextPollAt: Infinity,
        polling: false,
      };
      this.tasks.set(symbol, task);
      this.options.store.setWarmup(symbol, 'pending', false);
      void this.run(task);
    }
  }

  /**
   * A symbol back within the grace period: its klines and slow series were kept, so no full warm-up; polling resumes
   * and every timeframe's candle gap (the time it was away) is repaired.
   */
  addRestored(symbols: readonly string[]): void {
    for (const symbol of symbols) {
      if (this.stopped || this.tasks.has(symbol)) continue;
      const task: SymbolTask = {
        symbol,
        parts: new Map(PARTS.map((p) => [p, 'done' as PartState])),
        attempt: 0,
        retryTimer: undefined,
        removed: false,
        lastError: undefined,
        pollRound: 0,
        nextPollAt: Date.now() + this.pollOffset(symbol),
        polling: false,
      };
      this.tasks.set(symbol, task);
      for (const tf of Object.keys(TIMEFRAME_TO_INTERVAL) as Timeframe[]) this.repair(symbol, tf);
    }
  }

  remove(symbols: readonly string[]): void {
    for (const symbol of symbols) {
      const t = this.tasks.get(symbol);
      if (t) {
        t.removed = true;
        if (t.retryTimer) clearTimeout(t.retryTimer);
        this.tasks.delete(symbol);
      }
      for (const [key, r] of this.repairs) {
        if (r.symbol !== symbol) continue;
        if (r.timer) clearTimeout(r.timer);
        this.repairs.delete(key);
      }
    }
  }

  /**
   * Backfills a candle gap of one timeframe over REST (through the shared rate limiter) and marks the timeframe
   * repairing until it is in: `from` is the start of the newest candle held before the gap (default: the newest held
   * now). A symbol still warming up needs nothing (its backfill covers it). Failures retry with backoff.
   */
  repair(symbol: string, timeframe: Timeframe, from?: number): void {
    const task = this.tasks.get(symbol);
    if (this.stopped || !task || task.parts.get(`kline.${TIMEFRAME_TO_INTERVAL[timeframe]}` as Part) !== 'done') return;
    const start = from ?? this.options.store.newestCandleStart(symbol, timeframe);
    if (start === undefined) return;
    const key = `${symbol}|${timeframe}`;
    const existing = this.repairs.get(key);
    if (existing) {
      existing.from = Math.min(existing.from, start);
      if (existing.running) existing.again = true;
      return;
    }
    const r: RepairTask = { symbol, timeframe, from: start, attempt: 0, running: false, again: false, minLimit: 2, timer: undefined };
    this.repairs.set(key, r);
    this.options.store.setRepairing(symbol, timeframe, true);
    void this.runRepair(key, r);
  }

  progress(): WarmupProgress {
    let done = 0;
    const failed: string[] = [];
    for (const t of this.tasks.values()) {
      let allDone = true;
      let anyFailed = false;
      for (const s of t.parts.values()) {
        if (s !== 'done') allDone = false;
        if (s === 'failed') anyFailed = true;
      }
      if (allDone) done++;
      else if (anyFailed) failed.push(t.symbol);
    }
    const total = this.tasks.size;
    const repairing = [...new Set([...this.repairs.values()].map((r) => r.symbol))];
    return {
      done,
      total,
      complete: done === total,
      failed: failed.length,
      failedSymbols: failed.slice(0, 20),
      repairing: repairing.length,
      repairingSymbols: repairing.slice(0, 20),
      repairsDone: this.repairsDone,
      repairFailures: this.repairFailures,
    };
  }

  /** Resolves when no backfill or poll request is running (a scheduled retry does not count). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const t of this.tasks.values()) {
      t.removed = true;
      if (t.retryTimer) clearTimeout(t.retryTimer);
    }
    for (const r of this.repairs.values()) if (r.timer) clearTimeout(r.timer);
    this.repairs.clear();
  }

  private async runRepair(key: string, r: RepairTask): Promise<void> {
    const { rest, store } = this.options;
    r.running = true;
    r.again = false;
    const ms = TIMEFRAME_MS[r.timeframe];
    // The exchange clock, or the newest live candle if that is later (a clock offset not yet re-measured).
    const now = Math.max((this.options.now ?? Date.now)(), (store.newestCandleStart(r.symbol, r.timeframe) ?? 0) + ms);
    // The gap's candles plus the one before it and the forming one; never more than the store keeps.
    const limit = Math.min(KLINE_BACKFILL, Math.max(r.minLimit, Math.ceil((now - r.from) / ms) + 2));
    try {
      const candles = await rest.klines(r.symbol, TIMEFRAME_TO_INTERVAL[r.timeframe], limit);
      if (this.repairs.get(key) !== r) return;
      store.mergeCandles(r.symbol, r.timeframe, candles);
      r.running = false;
      // Repaired only when nothing is missing any more (a gap wider than the answer asks again, up to the store's size).
      if (limit < KLINE_BACKFILL && !store.candlesContiguousFrom(r.symbol, r.timeframe, r.from)) {
        r.minLimit = limit * 2;
        r.again = true;
      }
      if (r.again) return void this.runRepair(key, r);
      this.repairs.delete(key);
      this.repairsDone++;
      store.setRepairing(r.symbol, r.timeframe, false);
    } catch (err) {
      r.running = false;
      if (this.stopped || this.repairs.get(key) !== r || (err instanceof RestError && err.code === 'closed')) return;
      this.repairFailures++;
      this.rlog('warn', 'repair-failed', 'candle repair failed, will retry', {
        symbol: r.symbol,
        timeframe: r.timeframe,
        error: errorMessage(err),
        attempt: r.attempt,
      });
      const delay = fullJitterDelay(r.attempt++, this.timing.retryBaseMs, this.timing.retryMaxMs, this.random);
      r.timer = setTimeout(() => {
        r.timer = undefined;
        if (!this.stopped && this.repairs.get(key) === r) void this.runRepair(key, r);
      }, delay);
    }
  }

  private async run(task: SymbolTask): Promise<void> {
    const todo = PARTS.filter((p) => task.parts.get(p) !== 'done');
    for (const p of todo) task.parts.set(p, 'running');
    this.running++;
    try {
      await Promise.all(todo.map((p) => this.runPart(task, p)));
    } finally {
      this.running--;
      if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
    if (task.removed || this.stopped) return;
    const klinesReady = PARTS.filter((p) => p.startsWith('kline.')).every((p) => task.parts.get(p) === 'done');
    const allDone = PARTS.every((p) => task.parts.get(p) === 'done');
    this.options.store.setWarmup(task.symbol, allDone ? 'done' : 'failed', klinesReady);
    if (allDone) {
      task.nextPollAt = Date.now() + this.pollOffset(task.symbol);
      return;
    }
    this.rlog('warn', 'warmup-failed', 'warm-up of a symbol failed, will retry', { symbol: task.symbol, error: task.lastError, attempt: task.attempt });
    if (this.options.retry === false) return;
    const delay = fullJitterDelay(task.attempt++, this.timing.retryBaseMs, this.timing.retryMaxMs, this.random);
    task.retryTimer = setTimeout(() => {
      task.retryTimer = undefined;
      if (!task.removed && !this.stopped) void this.run(task);
    }, delay);
  }

  private async runPart(task: SymbolTask, part: Part): Promise<void> {
    const { rest, store } = this.options;
    const s = task.symbol;
    try {
      if (part.startsWith('kline.')) {
        const interval = part.slice('kline.'.length);
        const candles = await rest.klines(s, interval, KLINE_BACKFILL);
        if (!task.removed) store.mergeCandles(s, INTERVAL_TO_TIMEFRAME[interval], candles);
      } else if (part === 'openInterest') {
        const pts = await rest.openInterest(s, '5min', OPEN_INTEREST_BACKFILL);
        if (!task.removed) store.mergeOpenInterest(s, pts);
      } else if (part === 'accountRatio') {
        const pts = await rest.accountRatio(s, '5min', ACCOUNT_RATIO_BACKFILL);
        if (!task.removed) store.mergeLongShort(s, pts);
      } else {
        const pts = await rest.fundingHistory(s, FUNDING_BACKFILL);
        if (!task.removed) store.mergeFunding(s, pts);
      }
      task.parts.set(part, 'done');
    } catch (err) {
      task.parts.set(part, 'failed');
      task.lastError = `${part}: ${errorMessage(err)}`;
      // Said at once (progress counts the symbol failed from now), not only when its other parts have finished.
      if (!task.removed && !this.stopped)
        store.setWarmup(
          s,
          'failed',
          PARTS.filter((p) => p.startsWith('kline.')).every((p) => task.parts.get(p) === 'done'),
        );
      if (!(err instanceof RestError && err.code === 'closed')) {
        this.options.logger.debug('warm-up request failed', { symbol: s, part, error: task.lastError });
      }
    }
  }

  /** Spreads the symbols' polls evenly over the interval (stable per symbol). */
  private pollOffset(symbol: string): number {
    return ((fnv1a32(symbol) % 1000) / 1000) * this.timing.pollIntervalMs + this.timing.pollIntervalMs / 10;
  }

  private pollDue(): void {
    const now = Date.now();
    for (const t of this.tasks.values()) {
      if (t.polling || t.nextPollAt > now) continue;
      t.polling = true;
      t.nextPollAt = now + this.timing.pollIntervalMs;
      void this.poll(t);
    }
  }

  private async poll(task: SymbolTask): Promise<void> {
    const { rest, store } = this.options;
    const s = task.symbol;
    const round = task.pollRound++;
    this.running++;
    try {
      const jobs: Promise<void>[] = [
        rest.openInterest(s, '5min', POLL_LIMIT).then((p) => void (!task.removed && store.mergeOpenInterest(s, p))),
        rest.accountRatio(s, '5min', POLL_LIMIT).then((p) => void (!task.removed && store.mergeLongShort(s, p))),
      ];
      if (round % FUNDING_POLL_EVERY === FUNDING_POLL_EVERY - 1) {
        jobs.push(rest.fundingHistory(s, POLL_LIMIT).then((p) => void (!task.removed && store.mergeFunding(s, p))));
      }
      const results = await Promise.allSettled(jobs);
      for (const r of results) {
        if (r.status === 'rejected' && !(r.reason instanceof RestError && r.reason.code === 'closed')) {
          this.rlog('warn', 'poll-failed', 'periodic REST poll failed', { symbol: s, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
        }
      }
    } finally {
      task.polling = false;
      this.running--;
      if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
}
