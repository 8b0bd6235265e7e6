import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Engine, EngineConfigInput, MarketSnapshot, SymbolScore } from '@confluence/confluence';
import type { ComponentDetail } from '@confluence/contracts';
import { Slicer } from '../slicer';
import { scoreAll, scoredOf, type Scored, type ScoreSource } from './cycle';
import { SnapshotEncoder, type SnapshotDelta } from './snapshot-delta';
import type { FromWorker, ScoringWorkerData, ToWorker, WireResult } from './worker-protocol';
import { errorMessage } from '@confluence/logger';

/** Scores every symbol of a source once per cycle: in the main thread, or in worker threads. */
export interface Scorer {
  scoreAll(source: ScoreSource, now: number): Promise<Scored[]>;
  /** Worker threads scoring (0: the main thread). */
  readonly workers: number;
  /** Restarts of crashed or stuck workers since start. */
  readonly restarts: number;
  close(): Promise<void>;
}

/** The cycle in the main thread, sliced with yields (scoring/cycle.ts). */
export function inThreadScorer(engine: Engine): Scorer {
  return { scoreAll: (source, now) => scoreAll(engine, source, now), workers: 0, restarts: 0, close: async () => {} };
}

export interface ScoringPoolOptions {
  readonly workers: number;
  readonly engineConfig?: EngineConfigInput;
  /** A worker that has not answered a cycle by then is terminated and restarted (ms). */
  readonly cycleTimeoutMs?: number;
  readonly resultsPerMessage?: number;
  /** The compiled worker script; default dist/scoring/worker.js of this package (also when running from src). */
  readonly workerFile?: string;
  readonly onRestart?: (info: { worker: number; reason: string; symbols: number }) => void;
}

const DEFAULT_WORKER_FILE = path.resolve(__dirname, '../../dist/scoring/worker.js');

interface Pending {
  readonly id: number;
  readonly results: Map<string, WireResult>;
  readonly resolve: (outcome: { ok: true } | { ok: false; reason: string }) => void;
}

/** One worker thread, the encoder that knows what its mirrors hold, and the components it last sent per symbol. */
class Slot {
  worker!: Worker;
  encoder = new SnapshotEncoder();
  readonly symbols = new Set<string>();
  readonly components = new Map<string, readonly ComponentDetail[]>();
  pending: Pending | null = null;
  /** False once the thread reported an error or exited; the next cycle starts a new one first. */
  alive = false;
  /** Worker busy time of the last cycle (ms), for the metrics. */
  busyMs = 0;

  constructor(
    readonly index: number,
    private readonly start: () => Worker,
  ) {
    this.spawn();
  }

  spawn(): void {
    this.encoder = new SnapshotEncoder();
    this.components.clear();
    const w = this.start();
    w.on('message', (msg: FromWorker) => this.onMessage(msg));
    w.on('error', (err) => {
      this.alive = false;
      this.fail(`worker error: ${err.message}`);
    });
    w.on('exit', (code) => {
      this.alive = false;
      this.fail(`worker exited with code ${code}`);
    });
    this.worker = w;
    this.alive = true;
  }

  private onMessage(msg: FromWorker): void {
    const p = this.pending;
    if (p === null || msg.id !== p.id) return;
    if (msg.type === 'part') for (const r of msg.results) p.results.set(r.symbol, r);
    else if (msg.type === 'done') {
      this.busyMs = msg.busyMs;
      this.pending = null;
      p.resolve({ ok: true });
    } else {
      this.pending = null;
      p.resolve({ ok: false, reason: msg.error });
    }
  }

  fail(reason: string): void {
    const p = this.pending;
    this.pending = null;
    if (p !== null) p.resolve({ ok: false, reason });
  }
}

/** Snapshot deltas per message while a cycle's deltas are being made. */
const DELTAS_PER_MESSAGE = 50;

/**
 * Scoring in worker threads, so a full-universe cycle neither blocks the thread that answers the exchange's pings
 * nor competes with message intake for one core. Each symbol belongs to one worker for as long as it is tracked
 * (its engine state and label hysteresis live there); each cycle sends a worker only what changed in its symbols'
 * snapshots (see snapshot-delta.ts) and gets back their scores, with unchanged component details left out.
 * Results are the engine's exactly: the worker scores a mirror equal to the main thread's snapshot.
 */
export class ScoringPool implements Scorer {
  private readonly slots: Slot[] = [];
  private readonly owner = new Map<string, Slot>();
  private nextId = 1;
  private restartCount = 0;
  private closed = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: ScoringPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`ScoringPool needs at least one worker, got ${options.workers}`);
    this.timeoutMs = options.cycleTimeoutMs ?? 30_000;
    const data: ScoringWorkerData = { engineConfig: options.engineConfig, resultsPerMessage: options.resultsPerMessage ?? 40 };
    const file = options.workerFile ?? DEFAULT_WORKER_FILE;
    for (let i = 0; i < options.workers; i++) this.slots.push(new Slot(i, () => new Worker(file, { workerData: data })));
  }

  get workers(): number {
    return this.slots.length;
  }

  get restarts(): number {
    return this.restartCount;
  }

  /** Symbols each worker holds. */
  symbolsPerWorker(): number[] {
    return this.slots.map((s) => s.symbols.size);
  }

  /** The thread of worker `i`, for fault-injection tests. */
  workerForTests(i: number): Worker {
    return this.slots[i].worker;
  }

  /** Busy time of each worker in the last cycle (ms). */
  busyMs(): number[] {
    return this.slots.map((s) => s.busyMs);
  }

  async scoreAll(source: ScoreSource, now: number): Promise<Scored[]> {
    if (this.closed) throw new Error('scoring pool closed');
    for (const slot of this.slots) if (!slot.alive) this.restart(slot, 'the worker had stopped');
    const symbols = source.symbols();
    this.reassign(symbols);
    // Snapshots and deltas, sliced like the in-thread cycle so intake keeps running meanwhile.
    const statuses = new Array<ReturnType<ScoreSource['symbolStatus']>>(symbols.length);
    const snapshots = new Array<MarketSnapshot | undefined>(symbols.length);
    const work = new Map<Slot, { symbols: string[]; deltas: SnapshotDelta[] }>();
    for (const slot of this.slots) work.set(slot, { symbols: [], deltas: [] });
    const slicer = new Slicer();
    for (let i = 0; i < symbols.length; i++) {
      await slicer.turn();
      const symbol = symbols[i];
      const status = source.symbolStatus(symbol);
      const snapshot = source.snapshot(symbol);
      statuses[i] = status;
      snapshots[i] = snapshot;
      if (!(status?.warm && snapshot)) continue;
      const slot = this.owner.get(symbol) as Slot;
      const w = work.get(slot) as { symbols: string[]; deltas: SnapshotDelta[] };
      w.symbols.push(symbol);
      const d = slot.encoder.encode(snapshot);
      if (d !== null) w.deltas.push(d);
      // Deltas go out in small batches as they are made: the worker applies them while this thread goes on, and no
      // single message takes long to serialise here.
      if (w.deltas.length >= DELTAS_PER_MESSAGE && slot.alive) {
        const msg: ToWorker = { type: 'deltas', deltas: w.deltas };
        slot.worker.postMessage(msg);
        w.deltas = [];
      }
    }
    const outcomes = await Promise.all(this.slots.map((slot) => this.run(slot, now, work.get(slot) as { symbols: string[]; deltas: SnapshotDelta[] })));
    const outcomeOf = new Map(this.slots.map((slot, i) => [slot, outcomes[i]]));
    const out = new Array<Scored>(symbols.length);
    const collect = new Slicer();
    for (let i = 0; i < symbols.length; i++) {
      await collect.turn();
      const symbol = symbols[i];
      const slot = this.owner.get(symbol) as Slot;
      const warm = Boolean(statuses[i]?.warm && snapshots[i]);
      let result: SymbolScore | null = null;
      let failure: string | null = null;
      if (warm) {
        const o = outcomeOf.get(slot) as (typeof outcomes)[number];
        const r = o.ok ? o.results.get(symbol) : undefined;
        if (!o.ok) failure = `scoring worker ${slot.index}: ${o.reason}`;
        else if (r === undefined) failure = 'no result from the scoring worker';
        else if (r.error !== undefined || r.score === undefined) {
          failure = r.error ?? 'no result from the scoring worker';
          // Whatever went wrong, the next cycle sends this symbol's snapshot whole.
          slot.encoder.forget(symbol);
          slot.components.delete(symbol);
        } else {
          result = this.decode(slot, r.score);
          if (result === null) failure = 'scoring worker lost the component details';
        }
      }
      out[i] = scoredOf(source, symbol, statuses[i], snapshots[i], result, failure);
    }
    return out;
  }

  private decode(slot: Slot, wire: NonNullable<WireResult['score']>): SymbolScore | null {
    const last = slot.components.get(wire.symbol);
    const components = new Array<ComponentDetail>(wire.components.length);
    for (let i = 0; i < components.length; i++) {
      const c = wire.components[i] ?? last?.[i];
      if (c === undefined || c === null) {
        slot.components.delete(wire.symbol);
        slot.encoder.forget(wire.symbol);
        return null;
      }
      components[i] = c;
    }
    slot.components.set(wire.symbol, components);
    return { ...wire, components };
  }

  /** Sends one cycle to one worker and waits for it (restarting the worker when it fails or stalls). */
  private async run(
    slot: Slot,
    now: number,
    w: { symbols: string[]; deltas: SnapshotDelta[] },
  ): Promise<{ ok: true; results: Map<string, WireResult> } | { ok: false; reason: string; results: Map<string, WireResult> }> {
    const results = new Map<string, WireResult>();
    if (w.symbols.length === 0 && w.deltas.length === 0) return { ok: true, results };
    if (!slot.alive) {
      const reason = 'the worker stopped during the cycle';
      if (!this.closed) this.restart(slot, reason);
      return { ok: false, reason, results };
    }
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
      slot.pending = { id, results, resolve };
      timer = setTimeout(() => slot.fail(`no answer within ${this.timeoutMs} ms`), this.timeoutMs);
      const msg: ToWorker = { type: 'score', id, now, symbols: w.symbols, deltas: w.deltas };
      try {
        slot.worker.postMessage(msg);
      } catch (err) {
        slot.fail(`could not send the cycle: ${errorMessage(err)}`);
      }
    });
    clearTimeout(timer);
    if (!outcome.ok) {
      if (!this.closed) this.restart(slot, outcome.reason);
      return { ok: false, reason: outcome.reason, results };
    }
    return { ok: true, results };
  }

  private restart(slot: Slot, reason: string): void {
    this.restartCount++;
    const old = slot.worker;
    old.removeAllListeners();
    old.on('error', () => {});
    void old.terminate();
    slot.spawn();
    this.options.onRestart?.({ worker: slot.index, reason, symbols: slot.symbols.size });
  }

  /** New symbols go to the worker with the fewest; symbols no longer tracked are forgotten where they were. */
  private reassign(symbols: readonly string[]): void {
    const current = new Set(symbols);
    const gone = new Map<Slot, string[]>();
    for (const [symbol, slot] of this.owner) {
      if (current.has(symbol)) continue;
      this.owner.delete(symbol);
      slot.symbols.delete(symbol);
      slot.components.delete(symbol);
      slot.encoder.forget(symbol);
      const list = gone.get(slot) ?? [];
      list.push(symbol);
      gone.set(slot, list);
    }
    for (const [slot, list] of gone) {
      const msg: ToWorker = { type: 'forget', symbols: list };
      slot.worker.postMessage(msg);
    }
    for (const symbol of symbols) {
      if (this.owner.has(symbol)) continue;
      let best = this.slots[0];
      for (const s of this.slots) if (s.symbols.size < best.symbols.size) best = s;
      best.symbols.add(symbol);
      this.owner.set(symbol, best);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.worker.removeAllListeners('exit');
        slot.fail('scoring pool closed');
        await slot.worker.terminate();
      }),
    );
  }
}
