import type { MarketSnapshot } from '@confluence/confluence';
import { applyList, listDelta, SnapshotEncoder, SnapshotMirror } from '../../src/scoring/snapshot-delta';
import { MarketFeed } from './market-feed';

/** Everything the engine can read of a snapshot, as plain values (candles through toJSON, trades as a list). */
function plain(s: MarketSnapshot): unknown {
  const t = s.trades;
  const trades: number[][] = [];
  for (let i = t.head; i < t.tail; i++) trades.push([t.ts[i], t.price[i], t.size[i], t.buy[i]]);
  return JSON.parse(JSON.stringify({ ...s, trades }));
}

describe('listDelta / applyList', () => {
  const cases: [string, number[], number[]][] = [
    ['the newest item changed', [1, 2, 3, 4], [1, 2, 3, 5]],
    ['a window slid by one', [1, 2, 3, 4], [2, 3, 4, 5]],
    ['a window slid by three and grew', [1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9]],
    ['nothing in common', [1, 2, 3], [7, 8]],
    ['emptied', [1, 2, 3], []],
    ['from empty', [], [1, 2]],
    ['equal numbers that are not the same run', [5, 5, 1, 5], [5, 1, 5, 5]],
  ];
  it.each(cases)('when %s, then the delta rebuilds the new list exactly', (_name, prev, next) => {
    const d = listDelta(prev, next);
    expect(d).toBeDefined();
    const delta = { drop: d!.drop, keep: d!.keep, add: next.slice(d!.keep) };
    expect(applyList(prev, delta)).toEqual(next);
  });

  it('when a window slides, then only the new items are sent', () => {
    const prev = Array.from({ length: 200 }, (_, i) => ({ i }));
    const next = prev.slice(1).concat({ i: 200 });
    expect(listDelta(prev, next)).toEqual({ drop: 1, keep: 199 });
  });

  it('when the list is the very same array, then there is nothing to send', () => {
    const a = [1, 2];
    expect(listDelta(a, a)).toBeUndefined();
  });
});

describe('snapshot mirror', () => {
  it('when a live market runs for minutes, then the mirror rebuilt from deltas equals the store snapshot at every step, and the deltas stay small', () => {
    const feed = new MarketFeed(['AUSDT', 'BUSDT', 'CUSDT'], 11);
    const enc = new SnapshotEncoder();
    const mirrors = new Map<string, SnapshotMirror>();
    let steady = 0;
    let candlesSent = 0;
    for (let step = 0; step < 240; step++) {
      feed.advance(1000);
      for (const symbol of feed.symbols) {
        const snap = feed.snapshot(symbol);
        const d = enc.encode(snap);
        if (d === null) continue;
        // What crosses the thread boundary is a structured clone.
        const wire = structuredClone(d);
        let m = mirrors.get(symbol);
        if (m === undefined || wire.full) {
          m = new SnapshotMirror(symbol);
          mirrors.set(symbol, m);
        }
        const got = m.apply(wire);
        expect(plain(got)).toEqual(plain(snap));
        if (step > 10) {
          steady++;
          for (const c of Object.values(wire.candles)) candlesSent += c!.add.length / 8;
        }
        expect(wire.full).toBe(step === 0);
      }
    }
    // 4 timeframes × 24 candles = 96 a full send; a delta carries each forming candle and the few closed since.
    expect(candlesSent / steady).toBeLessThan(12);
  });

  it('when a snapshot did not change, then encode sends nothing; after forget, it sends it whole', () => {
    const feed = new MarketFeed(['AUSDT'], 3);
    feed.advance(2000);
    const enc = new SnapshotEncoder();
    const snap = feed.snapshot('AUSDT');
    expect(enc.encode(snap)?.full).toBe(true);
    expect(enc.encode(snap)).toBeNull();
    enc.forget('AUSDT');
    expect(enc.encode(snap)?.full).toBe(true);
  });
});
