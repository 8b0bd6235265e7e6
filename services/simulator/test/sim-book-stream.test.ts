// BookStream against a hand-set book: what a client rebuilds from its frames must be what the fault promised.
import { BookStream } from '../src/book-stream';
import type { Level } from '../src/book';
import { buildUniverse } from '../src/instruments';
import type { SymbolMarket } from '../src/symbol-market';
import { BookReplica, type Frame } from './sim-client';

const spec = buildUniverse(20).simulated.find((s) => s.symbol === 'XRPUSDT')!;
const levels = (from: number, step: -1 | 1, n = 5): Level[] => Array.from({ length: n }, (_, i) => ({ tick: from + step * i, units: 100 + i }));

/** The two fields BookStream reads from the market, plus the spec and symbol. */
function fakeMarket(bestBid: number): { market: SymbolMarket; move(bestBid: number): void } {
  const state = { symbol: spec.symbol, spec, crossSeq: 1, book: { bids: levels(bestBid, -1), asks: levels(bestBid + 1, 1) } };
  return {
    market: state as unknown as SymbolMarket,
    move(b: number) {
      state.book = { bids: levels(b, -1), asks: levels(b + 1, 1) };
      state.crossSeq++;
    },
  };
}

const parse = (s: string | undefined): Frame => JSON.parse(s!) as Frame;

describe('sim book stream', () => {
  test.each([
    ['stays put', 0],
    // The crossing bid (best ask + 1 tick) lands on a bid price the same delta deletes.
    ['falls two ticks in the same step', -2],
    ['falls three ticks in the same step', -3],
    ['rises two ticks in the same step', 2],
  ])('when a crossed book is injected and the market %s, then the replica is crossed after that delta and healed after the next', (_name, move) => {
    const base = 22_124;
    const m = fakeMarket(base);
    const stream = new BookStream(m.market, 'orderbook.50.XRPUSDT', 50, 1_000, 0);
    const replica = new BookReplica();
    replica.apply(parse(stream.snapshotFrame(0)));
    m.move(base + move);
    replica.apply(parse(stream.update(100, { gap: false, crossed: true })));
    expect(replica.bestBid()).toBeGreaterThanOrEqual(replica.bestAsk());
    m.move(base + move);
    const heal = stream.update(200, { gap: false, crossed: false });
    replica.apply(parse(heal));
    expect(replica.bestBid()).toBeLessThan(replica.bestAsk());
    expect(replica.bestBid()).toBeCloseTo((base + move) * spec.tick, 8);
  });
});
