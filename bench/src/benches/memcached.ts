// Publish-cycle time: the analyzer's Publisher writing every detail + symbols + overview + heartbeat to a real memcached,
// against raw memjs sets of the very bytes that ended up stored, in the same order and with the same concurrency.
import memjs from 'memjs';
import { createCache } from '@confluence/cache';
import { createKeys, encodeEnvelope, makeEnvelope } from '@confluence/contracts';
import { Publisher } from '@confluence/analyzer';
import { cycleOutput, type Fixture } from '../lib/fixtures';
import type { Memcached } from '../lib/procs';
import { row, type Row } from '../lib/report';
import { nowMs, summarize, type Summary } from '../lib/stats';

/** Same as the Publisher's. */
const WRITE_CONCURRENCY = 32;

async function inBatches<T>(items: readonly T[], limit: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}

export interface PublishSizeResult {
  symbols: number;
  cycles: number;
  detailsPerCycle: number;
  bytesPerCycle: number;
  storedBytesPerCycle: number;
  publisher: Summary;
  rawMemjs: Summary;
}

export async function benchPublishSize(mc: Memcached, fixture: Fixture, cycles: number): Promise<PublishSizeResult> {
  const n = fixture.symbols.length;
  const keys = createKeys(`benchpub${n}:`);
  const cache = createCache({ servers: [mc.address], timeoutMs: 5000 });
  const raw = memjs.Client.create(mc.address, {
    retries: 1,
    timeout: 5,
    conntimeout: 5,
    keepAlive: true,
    failover: false,
    logger: { log: () => {} },
  } as memjs.ClientOptions);
  const publisher = new Publisher({ cache, keys, analyzerId: 'bench', source: 'sim', shard: undefined });
  const rawGet = (key: string) => new Promise<Buffer | null>((resolve, reject) => raw.get(key, (err, v) => (err ? reject(err) : resolve(v ?? null))));
  const rawSet = (key: string, value: Buffer) =>
    new Promise<void>((resolve, reject) => raw.set(key, value, { expires: 3600 }, (err) => (err ? reject(err) : resolve())));
  try {
    let gen = Date.now();
    const detailKeys = fixture.symbols.filter((s) => fixture.details.has(s)).map((s) => keys.symbol(s));
    // Warm-up: connections, JIT, memcached slabs.
    for (let i = 0; i < 3; i++) {
      const r = await publisher.publish(cycleOutput(fixture, ++gen, { variant: -1 - i }));
      if (!r.ok) throw new Error(`publish failed: ${r.error}`);
    }
    // JSON bytes of one generation, counted here (PublishResult.bytes loses updates under concurrency: `bytes += await …`).
    const sample = cycleOutput(fixture, gen);
    const meta = { generation: gen, producedAt: sample.producedAt, analyzerId: 'bench', source: 'sim' as const };
    let bytes =
      Buffer.byteLength(encodeEnvelope(makeEnvelope('symbols', meta, sample.symbols))) +
      Buffer.byteLength(encodeEnvelope(makeEnvelope('overview', meta, sample.overview))) +
      Buffer.byteLength(encodeEnvelope(makeEnvelope('heartbeat', meta, sample.heartbeat)));
    for (const d of sample.details.values()) bytes += Buffer.byteLength(encodeEnvelope(makeEnvelope('symbol', meta, d)));
    // The stored bytes of one generation, exactly as memcached holds them (compressed where the codec compressed).
    const stored = async (list: string[]) => Promise.all(list.map(async (k) => [k, (await rawGet(k)) ?? Buffer.alloc(0)] as [string, Buffer]));
    const detailItems = await stored(detailKeys);
    const [symbolsItem, overviewItem, heartbeatItem] = await stored([keys.symbols(), keys.overview(), keys.heartbeat()]);
    if (detailItems.some(([, v]) => v.length === 0) || symbolsItem[1].length === 0) throw new Error('stored values missing after publish');
    const storedBytes = [...detailItems, symbolsItem, overviewItem, heartbeatItem].reduce((s, [, v]) => s + v.length, 0);
    const rawKeys = createKeys(`benchraw${n}:`);
    const rawDetails = detailItems.map(([k, v]) => [rawKeys.prefix + k.slice(keys.prefix.length), v] as [string, Buffer]);
    const rawCycle = async () => {
      await inBatches(rawDetails, WRITE_CONCURRENCY, ([k, v]) => rawSet(k, v));
      await Promise.all([rawSet(rawKeys.symbols(), symbolsItem[1]), rawSet(rawKeys.overview(), overviewItem[1])]);
      await rawSet(rawKeys.heartbeat(), heartbeatItem[1]);
    };
    for (let i = 0; i < 3; i++) await rawCycle();

    const pub: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < cycles; i++) {
      // Every detail changes each cycle (prices move), so the Publisher writes all of them, like a busy market.
      const out = cycleOutput(fixture, ++gen, { variant: i + 1 });
      const t0 = nowMs();
      const r = await publisher.publish(out);
      pub.push(nowMs() - t0);
      if (!r.ok) throw new Error(`publish failed: ${r.error}`);
      if (r.detailsWritten !== detailKeys.length) throw new Error(`expected ${detailKeys.length} details written, got ${r.detailsWritten}`);
      const t1 = nowMs();
      await rawCycle();
      base.push(nowMs() - t1);
    }
    return {
      symbols: n,
      cycles,
      detailsPerCycle: detailKeys.length,
      bytesPerCycle: bytes,
      storedBytesPerCycle: storedBytes,
      publisher: summarize(pub),
      rawMemjs: summarize(base),
    };
  } finally {
    cache.close();
    raw.close();
  }
}

export function publishRows(r: PublishSizeResult): Row[] {
  const n = r.symbols;
  const note = `${r.detailsPerCycle} details + 3 keys, ${Math.round(r.bytesPerCycle / 1024)} KiB JSON → ${Math.round(r.storedBytesPerCycle / 1024)} KiB stored`;
  return [
    row({
      name: `publish cycle ${n} sym: p50`,
      unit: 'ms',
      value: r.publisher.p50,
      baseline: r.rawMemjs.p50,
      baselineLabel: 'raw memjs sets',
      target: '',
      pass: null,
      note,
    }),
    row({
      name: `publish cycle ${n} sym: p95`,
      unit: 'ms',
      value: r.publisher.p95,
      baseline: r.rawMemjs.p95,
      baselineLabel: 'raw memjs sets',
      target: '',
      pass: null,
    }),
  ];
}
