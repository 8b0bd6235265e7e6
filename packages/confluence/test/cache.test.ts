import { TIMEFRAMES, type Direction, type Timeframe } from '@confluence/contracts';
import { createEngine, DEFAULT_ENGINE_CONFIG, tradeColumns, type Candle, type MarketSnapshot, type Trade } from '@confluence/confluence';
import { anchorIndex, anchorPhase } from '../src/series';
import { candlesFromCloses, NOW, rng, syntheticMarket, TF_MS, tick } from './helpers/market';

/** A forming candle `f` thirds of the way to its final values. */
function partial(c: Candle, f: number): Candle {
  const close = tick(c.open + ((c.close - c.open) * f) / 3);
  return { ...c, close, high: Math.max(c.open, close), low: Math.min(c.open, close), volume: (c.volume * f) / 3, confirmed: false };
}

describe('warm caches', () => {
  it('when a market evolves second by second (forming updates, closes, re-anchors, trade evictions), then a warm engine equals a fresh one at every step', () => {
    const base = syntheticMarket('up', { candles: 320, seed: 7 });
    const full = base.candles;
    // A longer trade history: 3 trades a second over 40 min, sides and sizes random.
    const r = rng(11);
    const trades: Trade[] = [];
    for (let t = NOW - 40 * 60_000; t <= NOW + 80 * 60_000; t += 333)
      trades.push({ ts: t, price: tick(1000 + 3 * Math.sin(t / 1e6)), size: Math.round(r() * 5000) / 1000, side: r() < 0.55 ? 'Buy' : 'Sell' });

    const warm = createEngine();
    let label: Direction | null = null;
    let steps = 0;
    // 1m index j walks 80 closes; each minute shows the forming candle at 1/3, 2/3 and 3/3.
    for (let j = 220; j < 300; j++) {
      for (let f = 1; f <= 3; f++) {
        const now = NOW - (319 - j) * 60_000 + f * 15_000;
        const candles = {} as Record<Timeframe, Candle[]>;
        for (const tf of TIMEFRAMES) {
          const perMin = TF_MS[tf] / 60_000;
          const idx = Math.floor(j / perMin);
          const src = full[tf];
          const lo = Math.max(0, idx - 199);
          candles[tf] = [...src.slice(lo, idx).map((c) => ({ ...c, confirmed: true })), partial(src[idx], f)];
        }
        // The intake keeps the last 15 min, at most 2,000 trades.
        const inWindow = trades.filter((t) => t.ts <= now && t.ts >= now - 15 * 60_000);
        const snap: MarketSnapshot = { ...base, candles, trades: tradeColumns(inWindow.slice(-2000)) };
        // A fresh engine is told the label the warm one held before (hysteresis is the only state that may differ).
        const before = label;
        const a = warm.score(snap, now);
        const b = createEngine().score(snap, now, before);
        expect(a).toEqual(b);
        label = a.direction;
        steps++;
      }
    }
    expect(steps).toBe(240);
  });

  it('when the anchor rule picks the window, then it holds W … W+K−1 candles, moves only on its grid, and differs by symbol', () => {
    const { indicatorWindow: W, anchorBlock: K } = DEFAULT_ENGINE_CONFIG;
    const closes = Array.from({ length: 400 }, (_, i) => 1000 + i);
    const all = candlesFromCloses('1m', closes, { allConfirmed: true });
    const phase = anchorPhase('BTCUSDT', '1m', K);
    let prevAnchor = Number.NaN;
    let moves = 0;
    for (let end = 200; end <= 400; end++) {
      const view = all.slice(end - 200, end);
      const a = anchorIndex(view, view.length, 60_000, W, K, phase);
      const len = view.length - a;
      expect(len).toBeGreaterThanOrEqual(W);
      expect(len).toBeLessThanOrEqual(W + K - 1);
      const anchor = view[a].start;
      if (anchor !== prevAnchor) moves++;
      prevAnchor = anchor;
    }
    // 201 slides of a 200-candle view move the anchor about 201/K times, not 201 times.
    expect(moves).toBeLessThanOrEqual(Math.ceil(201 / K) + 1);
    const phases = new Set(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT'].map((s) => anchorPhase(s, '1m', K)));
    expect(phases.size).toBeGreaterThan(1);
  });

  it('when the snapshot is shorter than W + K, then the window still starts on a grid point if ≥ 60 candles remain, else at the first candle', () => {
    const all = candlesFromCloses(
      '1m',
      Array.from({ length: 300 }, (_, i) => 1000 + i),
      { allConfirmed: true },
    );
    const view = all.slice(0, 150);
    const a = anchorIndex(view, 150, 60_000, 120, 60, 0);
    expect((view[a].start / 60_000) % 60).toBe(0);
    expect(150 - a).toBeGreaterThanOrEqual(60);
    expect(anchorIndex(all.slice(0, 30), 30, 60_000, 120, 60, 0)).toBe(0);
  });
});
