import { OI_ACTIVITY_LOOKBACK_MS } from '@confluence/confluence';
import { DEFAULT_LIMITS, MarketStore } from '../../src/state/market-store';

const HOUR = 3_600_000;
const DAY_START = 1_767_225_600_000;

describe('slow series retention', () => {
  test('when a day of open interest, long/short and funding arrives, then the store keeps a bounded tail that still serves the engine', () => {
    let clock = DAY_START;
    const store = new MarketStore({ now: () => clock });
    store.add('BTCUSDT');
    // A day as the live analyzer sees it: the ticker's open interest every 10 s (sampled once a minute by the store),
    // the 5-minute REST polls of open interest and the long/short ratio, and funding settling every 8 hours.
    for (let t = DAY_START; t <= DAY_START + 24 * HOUR; t += 10_000) {
      clock = t;
      store.apply({ type: 'ticker', symbol: 'BTCUSDT', kind: 'delta', ts: t, recvTs: t, fields: { openInterest: 1e6 + (t - DAY_START) / 1000 } });
      if (t % 300_000 === 0) {
        store.mergeOpenInterest('BTCUSDT', [{ ts: t - 300_000, openInterest: 1e6 + (t - DAY_START) / 1000 - 300 }]);
        store.mergeLongShort('BTCUSDT', [{ ts: t - 300_000, buyRatio: 0.5, sellRatio: 0.5 }]);
      }
      if (t % (8 * HOUR) === 0) store.mergeFunding('BTCUSDT', [{ ts: t, rate: 0.0001 }]);
    }
    const now = clock;
    const sizes = store.sizes('BTCUSDT')!;
    expect(sizes.openInterest).toBeLessThanOrEqual(DEFAULT_LIMITS.openInterestMax);
    expect(sizes.longShort).toBeLessThanOrEqual(DEFAULT_LIMITS.longShortMax);
    expect(sizes.funding).toBeLessThanOrEqual(DEFAULT_LIMITS.fundingMax);
    const snap = store.snapshot('BTCUSDT')!;
    // The open-interest activity signal compares now with the newest point at least the look-back old: one must exist.
    expect(snap.openInterest[0].ts).toBeLessThanOrEqual(now - OI_ACTIVITY_LOOKBACK_MS);
    // …and no more than a few hours are held: a day of points per symbol would be ≈85 MB at the full universe.
    expect(snap.openInterest[0].ts).toBeGreaterThan(now - 4 * HOUR);
    expect(snap.longShort.length + snap.funding.length).toBeLessThanOrEqual(24);
    expect(snap.openInterest[snap.openInterest.length - 1].ts).toBeGreaterThan(now - 2 * 60_000);
    // The newest long/short and funding points are the ones scored.
    expect(snap.longShort[snap.longShort.length - 1].ts).toBe(now - 300_000);
    expect(snap.funding[snap.funding.length - 1].ts).toBe(DAY_START + 24 * HOUR);
  });
});
