import { EMPTY_TRADES, type Engine, type MarketSnapshot, type SymbolScore } from '@confluence/confluence';
import { scoreAll, type Scored, type ScoreSource } from '../../src/scoring/cycle';

/** A source of `n` warm symbols and an engine that records each call into `log` (the unit's own collaborators). */
function setup(n: number, log: string[]): { engine: Engine; source: ScoreSource } {
  const symbols = Array.from({ length: n }, (_, i) => `S${i}USDT`);
  const snapshot = (symbol: string) => ({ symbol, trades: EMPTY_TRADES }) as unknown as MarketSnapshot;
  const source: ScoreSource = { symbols: () => symbols, snapshot, symbolStatus: () => ({ warm: true, bookSynced: true, lastUpdateAt: null }) };
  const engine = {
    score: (s: MarketSnapshot) => {
      log.push('score');
      return { symbol: s.symbol } as unknown as SymbolScore;
    },
  } as unknown as Engine;
  return { engine, source };
}

/** Runs scoreAll while a setImmediate loop stands in for WebSocket handling; returns the longest run of scores without it. */
async function longestRun(n: number, chunk: number, sliceMs: number): Promise<{ run: number; scored: number }> {
  const log: string[] = [];
  const { engine, source } = setup(n, log);
  let on = true;
  const tick = () => {
    log.push('io');
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  let out: Scored[] = [];
  try {
    out = await scoreAll(engine, source, 0, chunk, sliceMs);
  } finally {
    on = false;
  }
  let run = 0;
  let best = 0;
  for (const e of log) {
    run = e === 'score' ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return { run: best, scored: out.length };
}

describe('scoring cycle slices', () => {
  it('when a slice runs out of time, then the cycle yields to the event loop before the next symbol, and still scores every symbol', async () => {
    // A 0 ms budget is always spent after one symbol: I/O gets a turn between every two symbols.
    expect(await longestRun(60, 25, 0)).toEqual({ run: 1, scored: 60 });
  });

  it('when every symbol is fast, then the count still bounds a slice', async () => {
    expect(await longestRun(60, 25, Number.POSITIVE_INFINITY)).toEqual({ run: 25, scored: 60 });
  });
});
