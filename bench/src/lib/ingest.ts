// The ingest benchmark's core: normalize + MarketStore over pre-built frames, no sockets.
import { createNormalizer, isControlEvent, MarketStore, type MarketEvent } from '@confluence/analyzer';
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
