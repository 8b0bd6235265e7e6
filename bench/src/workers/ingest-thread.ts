// The decoding half of the threaded ingest benchmark (lib/ingest.ts, benchIngestThreaded), as a worker thread: what
// the analyzer's intake thread does per frame (normalize, then the data events into an EventBatchWriter), over
// pre-built frames instead of sockets. Warms up on a slice, says "ready", then on "go" decodes every frame and posts a
// batch every `batchFrames` frames (about one 64 KB socket read's worth), the buffer transferred as the analyzer does.
import { parentPort, workerData } from 'node:worker_threads';
import { createNormalizer, EventBatchWriter, isControlEvent, type MarketEvent } from '@confluence/analyzer';

const { frames, batchFrames } = workerData as { frames: readonly string[]; batchFrames: number };
const port = parentPort;
if (port === null) throw new Error('ingest-thread.ts runs only as a worker thread');

function decode(count: number, post: boolean): void {
  const normalizer = createNormalizer();
  const writer = new EventBatchWriter();
  const events: MarketEvent[] = [];
  const flush = (): void => {
    const batch = writer.take();
    if (post && batch) port?.postMessage({ t: 'batch', batch }, [batch.nums.buffer as ArrayBuffer]);
  };
  for (let i = 0; i < count; i++) {
    events.length = 0;
    normalizer.normalizeInto(frames[i], i, events);
    for (let k = 0; k < events.length; k++) {
      const ev = events[k];
      if (!isControlEvent(ev)) writer.push(ev);
    }
    if ((i + 1) % batchFrames === 0) flush();
  }
  flush();
}

decode(Math.min(frames.length, 30_000), false);
port.on('message', (msg: string) => {
  if (msg !== 'go') return;
  decode(frames.length, true);
  port.postMessage({ t: 'end' });
});
port.postMessage({ t: 'ready' });
