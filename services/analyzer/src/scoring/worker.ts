// Scoring worker (worker_threads): holds a mirror of its symbols' market snapshots and an engine, scores on request.
// Started by ScoringPool (pool.ts); never run directly.
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from '@confluence/confluence';
import type { ComponentDetail } from '@confluence/contracts';
import { SnapshotMirror, type SnapshotDelta } from './snapshot-delta';
import type { FromWorker, ScoringWorkerData, ToWorker, WireResult } from './worker-protocol';

const data = workerData as ScoringWorkerData;
const engine = createEngine(data.engineConfig);
const mirrors = new Map<string, SnapshotMirror>();
const sentComponents = new Map<string, readonly ComponentDetail[]>();
const port = parentPort;
const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
if (port === null) throw new Error('worker.ts runs only as a worker thread');

function post(msg: FromWorker): void {
  (port as NonNullable<typeof port>).postMessage(msg);
}

function scoreOne(symbol: string, now: number): WireResult {
  const mirror = mirrors.get(symbol);
  if (mirror === undefined) return { symbol, error: 'no snapshot reached the scoring worker' };
  try {
    const s = engine.score(mirror.snapshot, now);
    const last = sentComponents.get(symbol);
    const components = s.components.map((c, i) => (last !== undefined && last[i] === c ? null : c));
    sentComponents.set(symbol, s.components);
    return { symbol, score: { ...s, components } };
  } catch (err) {
    return { symbol, error: errorMessage(err) };
  }
}

function applyDeltas(deltas: readonly SnapshotDelta[]): void {
  for (const d of deltas) {
    let m = mirrors.get(d.symbol);
    if (m === undefined && !d.full) continue; // a change to a snapshot this worker never had: wait for the full one
    if (m === undefined || d.full) {
      m = new SnapshotMirror(d.symbol);
      mirrors.set(d.symbol, m);
      sentComponents.delete(d.symbol);
    }
    m.apply(d);
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'deltas') {
    try {
      applyDeltas(msg.deltas);
    } catch {
      // A delta that cannot be applied leaves the mirror unknown: drop those symbols until a full snapshot comes.
      for (const d of msg.deltas) mirrors.delete(d.symbol);
    }
    return;
  }
  if (msg.type === 'forget') {
    for (const s of msg.symbols) {
      mirrors.delete(s);
      sentComponents.delete(s);
      engine.forget(s);
    }
    return;
  }
  const t0 = performance.now();
  try {
    applyDeltas(msg.deltas);
    let part: WireResult[] = [];
    for (const symbol of msg.symbols) {
      part.push(scoreOne(symbol, msg.now));
      if (part.length >= data.resultsPerMessage) {
        post({ type: 'part', id: msg.id, results: part });
        part = [];
      }
    }
    if (part.length > 0) post({ type: 'part', id: msg.id, results: part });
    post({ type: 'done', id: msg.id, busyMs: performance.now() - t0 });
  } catch (err) {
    post({ type: 'failed', id: msg.id, error: errorMessage(err) });
  }
});
