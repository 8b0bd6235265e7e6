// The ingest benchmark's core: normalize + MarketStore over pre-built frames, no sockets; on one core, or split as
// the analyzer's intake thread splits it (decoding in a worker thread, applying in this one).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createNormalizer, isControlEvent, MarketStore, readEventBatch, type EventBatch, type MarketEvent } from '@confluence/analyzer';
import { syntheticFrames } from '@confluence/testkit';

export interface IngestBenchResult {
  messages: number;
  seconds: number;
  perSecond: number;
}

const TOPIC_SYMBOL = /"topic"\s*:\s*"[A-Za-z]+\.(?:[^".]+\.)?([A-Z0-9]{2,30})"/;

/**
 * Pushes pre-built raw frames through normalize + state on the current core (no sockets) and times it.
 * Every symbol named in a frame's topic is tracked. Builds its own normalizer and store, so runs are independent.
 */
export function benchIngest(frames: readonly string[]): IngestBenchResult {
  const symbols = new Set<string>();
  for (const f of frames) {
    const m = TOPIC_SYMBOL.exec(f);
    if (m) symbols.add(m[1]);
  }
  let clock = 0;
  const store = new MarketStore({ now: () => clock });
  for (const s of symbols) store.add(s);
  const normalizer = createNormalizer();
  const events: MarketEvent[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames.length; i++) {
    clock = i;
    events.length = 0;
    normalizer.normalizeInto(frames[i], i, events);
    for (let k = 0; k < events.length; k++) {
      const ev = events[k];
      if (!isControlEvent(ev)) store.apply(ev);
    }
  }
  for (const s of symbols) store.snapshot(s);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { messages: frames.length, seconds, perSecond: frames.length / seconds };
}

/** Frames per batch from the decoding thread: about one 64 KB socket read at ≈300 bytes a frame. */
const BATCH_FRAMES = 200;

/**
 * The same frames through the intake thread's split: a worker thread (ingest-thread.ts) normalizes them and hands the
 * data events over in transferred batches; this thread reads the batches and applies them to the store. Timed from
 * the start of decoding until the last batch is applied, both threads overlapping as in the analyzer: the pipeline's
 * capacity. Handing the frames to the worker and its JIT warm-up are not timed.
 */
export async function benchIngestThreaded(frames: readonly string[]): Promise<IngestBenchResult> {
  const symbols = new Set<string>();
  for (const f of frames) {
    const m = TOPIC_SYMBOL.exec(f);
    if (m) symbols.add(m[1]);
  }
  const store = new MarketStore({ now: () => 0 });
  for (const s of symbols) store.add(s);
  const names: string[] = [];
  const worker = new Worker(path.join(__dirname, '..', 'workers', 'ingest-thread.js'), { workerData: { frames, batchFrames: BATCH_FRAMES } });
  try {
    const seconds = await new Promise<number>((resolve, reject) => {
      let t0 = 0n;
      worker.on('error', reject);
      worker.on('message', (msg: { t: 'ready' } | { t: 'batch'; batch: EventBatch } | { t: 'end' }) => {
        if (msg.t === 'ready') {
          t0 = process.hrtime.bigint();
          worker.postMessage('go');
        } else if (msg.t === 'batch') {
          readEventBatch(msg.batch, names, (ev) => store.apply(ev));
        } else {
          for (const s of symbols) store.snapshot(s);
          resolve(Number(process.hrtime.bigint() - t0) / 1e9);
        }
      });
    });
    return { messages: frames.length, seconds, perSecond: frames.length / seconds };
  } finally {
    await worker.terminate();
  }
}

/** Realistic mixed frames (`syntheticFrames` of @confluence/testkit) for `npm run bench`. */
export function benchFrames(count = 200_000, symbols = 20): string[] {
  const list = Array.from({ length: symbols }, (_, i) => `SYM${i}USDT`);
  return syntheticFrames({ symbols: list, count, startTs: 1_767_225_600_000, seed: 7 });
}

if (require.main === module) {
  const frames = benchFrames();
  benchIngest(frames.slice(0, 20_000)); // JIT warm-up
  const r = benchIngest(frames);
  process.stdout.write(`ingest: ${r.messages} messages in ${r.seconds.toFixed(3)} s = ${Math.round(r.perSecond)} msg/s\n`);
}
