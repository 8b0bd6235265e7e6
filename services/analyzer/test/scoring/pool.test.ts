import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '@confluence/confluence';
import type { ScoreSource } from '../../src/scoring/cycle';
import { inThreadScorer, ScoringPool } from '../../src/scoring/pool';
import { MarketFeed } from './market-feed';

// Real worker threads running the compiled worker (dist/scoring/worker.js; `npm test` builds first).

function sourceOf(feed: MarketFeed, symbols: () => readonly string[] = () => feed.symbols): ScoreSource {
  return {
    symbols,
    snapshot: (s) => feed.store.snapshot(s),
    symbolStatus: () => ({ warm: true, bookSynced: true, lastUpdateAt: feed.clock }),
  };
}

const SYMBOLS = ['AUSDT', 'BUSDT', 'CUSDT', 'DUSDT', 'EUSDT'];

describe('scoring pool (worker threads)', () => {
  let pool: ScoringPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('when a market moves for a minute, then the workers score exactly what the main-thread engine scores, cycle after cycle', async () => {
    const feed = new MarketFeed(SYMBOLS, 5);
    feed.advance(30_000);
    pool = new ScoringPool({ workers: 2 });
    const reference = inThreadScorer(createEngine());
    const source = sourceOf(feed);
    for (let cycle = 0; cycle < 60; cycle++) {
      feed.advance(1000);
      const [got, want] = [await pool.scoreAll(source, feed.clock), await reference.scoreAll(source, feed.clock)];
      expect(got.map((s) => s.reason)).toEqual(want.map((s) => s.reason));
      expect(got.map((s) => s.result)).toEqual(want.map((s) => s.result));
      expect(got.every((s) => s.result !== null)).toBe(true);
    }
    expect(pool.restarts).toBe(0);
  });

  it('when a cycle holds more symbols than one message carries, then the deltas stream ahead in batches and the scores still match', async () => {
    const many = Array.from({ length: 130 }, (_, i) => `S${i}USDT`);
    const feed = new MarketFeed(many, 12);
    feed.advance(5_000);
    pool = new ScoringPool({ workers: 1 });
    const reference = inThreadScorer(createEngine());
    const source = sourceOf(feed);
    for (let cycle = 0; cycle < 6; cycle++) {
      feed.advance(1000);
      const got = await pool.scoreAll(source, feed.clock);
      const want = await reference.scoreAll(source, feed.clock);
      expect(got.map((s) => s.result)).toEqual(want.map((s) => s.result));
    }
  });

  it('when a worker thread has died between cycles, then the next cycle restarts it and scores every symbol', async () => {
    const feed = new MarketFeed(SYMBOLS, 6);
    feed.advance(10_000);
    const restarts: string[] = [];
    pool = new ScoringPool({ workers: 2, onRestart: (r) => restarts.push(r.reason) });
    const source = sourceOf(feed);
    await pool.scoreAll(source, feed.clock);
    await pool.workerForTests(0).terminate();
    feed.advance(1000);
    const out = await pool.scoreAll(source, feed.clock);
    expect(out.every((s) => s.result !== null)).toBe(true);
    expect(restarts).toEqual(['the worker had stopped']);
    const reference = await inThreadScorer(createEngine()).scoreAll(source, feed.clock);
    expect(out.map((s) => s.result?.score)).toEqual(reference.map((s) => s.result?.score));
  });

  it('when a worker dies in the middle of a cycle, then its symbols say why for that cycle and the restarted worker scores them the next', async () => {
    // A worker script that dies on its first cycle and is the real worker once restarted.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-'));
    const marker = path.join(dir, 'crashed');
    const file = path.join(dir, 'crash-once.js');
    const real = path.resolve(__dirname, '../../dist/scoring/worker.js');
    fs.writeFileSync(
      file,
      `const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
if (fs.existsSync(${JSON.stringify(marker)})) require(${JSON.stringify(real)});
else parentPort.once('message', () => { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(3); });
`,
    );
    try {
      const feed = new MarketFeed(SYMBOLS, 9);
      feed.advance(10_000);
      pool = new ScoringPool({ workers: 1, workerFile: file });
      const source = sourceOf(feed);
      const hit = await pool.scoreAll(source, feed.clock);
      expect(hit.map((s) => s.result)).toEqual(SYMBOLS.map(() => null));
      expect(hit[0].reason).toBe('scoring failed: scoring worker 0: worker exited with code 3');
      expect(pool.restarts).toBe(1);
      feed.advance(1000);
      const again = await pool.scoreAll(source, feed.clock);
      expect(again.every((s) => s.result !== null && s.reason === null)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when symbols leave and new ones come, then every tracked symbol is scored and the newcomers fill the emptier worker', async () => {
    const all = [...SYMBOLS, 'FUSDT', 'GUSDT'];
    const feed = new MarketFeed(all, 7);
    feed.advance(10_000);
    let tracked: readonly string[] = SYMBOLS;
    pool = new ScoringPool({ workers: 2 });
    const source = sourceOf(feed, () => tracked);
    await pool.scoreAll(source, feed.clock);
    tracked = ['BUSDT', 'DUSDT', 'FUSDT', 'GUSDT'];
    feed.advance(1000);
    const out = await pool.scoreAll(source, feed.clock);
    expect(out.map((s) => s.symbol)).toEqual(tracked);
    expect(out.every((s) => s.result !== null)).toBe(true);
    expect(pool.symbolsPerWorker()).toEqual([2, 2]);
  });

  it('when a symbol is not warm, then it is not sent to a worker and reads as warming up', async () => {
    const feed = new MarketFeed(SYMBOLS, 8);
    feed.advance(5_000);
    pool = new ScoringPool({ workers: 1 });
    const source: ScoreSource = { ...sourceOf(feed), symbolStatus: (s) => ({ warm: s !== 'CUSDT', bookSynced: true, lastUpdateAt: null }) };
    const out = await pool.scoreAll(source, feed.clock);
    expect(out.find((s) => s.symbol === 'CUSDT')).toMatchObject({ result: null, reason: 'warming up' });
    expect(out.filter((s) => s.result !== null)).toHaveLength(4);
  });
});
