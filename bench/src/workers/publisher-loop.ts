// Stands in for the analyzer during the API benchmark: publishes a fixture table with the real Publisher once a
// second (new generation and heartbeat each time; unchanged details are skipped, as in production). Runs as its own
// process so its JSON work never stalls the load generator's event loop.
//   FIXTURE_FILE=… MEMCACHED_SERVERS=… KEY_PREFIX=… node bench/dist/workers/publisher-loop.js
// Prints {"event":"published","generation":…,"ms":…} after each publish.
import fs from 'node:fs';
import { createCache } from '@confluence/cache';
import { createKeys, type SymbolDetail, type SymbolRow } from '@confluence/contracts';
import { Publisher } from '@confluence/analyzer';
import { cycleOutput, type Fixture } from '../lib/fixtures';

const raw = JSON.parse(fs.readFileSync(process.env.FIXTURE_FILE ?? '', 'utf8')) as {
  symbols: string[];
  rows: SymbolRow[];
  details: Array<[string, SymbolDetail]>;
};
const fixture: Fixture = { symbols: raw.symbols, rows: raw.rows, details: new Map(raw.details) };
const cache = createCache({ servers: (process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211').split(','), timeoutMs: 2000 });
const publisher = new Publisher({ cache, keys: createKeys(process.env.KEY_PREFIX), analyzerId: 'bench', source: 'sim', shard: undefined });
const intervalMs = Number(process.env.PUBLISH_INTERVAL_MS ?? 1000);
let generation = 0;
let timer: NodeJS.Timeout | undefined;

async function once(): Promise<void> {
  generation = Math.max(generation + 1, Date.now());
  const r = await publisher.publish(cycleOutput(fixture, generation, { publishIntervalMs: intervalMs }));
  process.stdout.write(`${JSON.stringify({ event: r.ok ? 'published' : 'publish_failed', generation, ms: r.durationMs, error: r.error })}\n`);
}

function schedule(): void {
  // Aligned to the interval like the analyzer's scheduler.
  timer = setTimeout(() => void once().finally(schedule), intervalMs - (Date.now() % intervalMs));
}

process.on('SIGTERM', () => {
  if (timer) clearTimeout(timer);
  cache.close();
  process.exit(0);
});
void once().finally(schedule);
