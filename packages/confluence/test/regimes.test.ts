import { createEngine } from '@confluence/confluence';
import { NOW, rng, syntheticMarket } from './helpers/market';

const SEEDS = [1, 2, 3, 4, 5];

describe('regime separation on synthetic markets', () => {
  it('when every input trends up, then the score is Bullish (> 60) with every component above 50', () => {
    for (const seed of SEEDS) {
      const r = createEngine().score(syntheticMarket('up', { seed }), NOW);
      expect(r.score as number).toBeGreaterThan(60);
      expect(r.direction).toBe('Bullish');
      for (const c of r.components) expect(c.score as number).toBeGreaterThan(50);
      expect(r.confidence.value).toBeGreaterThan(0.5);
    }
  });

  it('when every input trends down, then the score is Bearish (< 40) with every component below 50', () => {
    for (const seed of SEEDS) {
      const r = createEngine().score(syntheticMarket('down', { seed }), NOW);
      expect(r.score as number).toBeLessThan(40);
      expect(r.direction).toBe('Bearish');
      for (const c of r.components) expect(c.score as number).toBeLessThan(50);
    }
  });

  it('when the market ranges (oscillating prices, balanced flow and book), then the score stays near 50', () => {
    for (const seed of SEEDS) {
      const r = createEngine().score(syntheticMarket('range', { seed }), NOW);
      expect(Math.abs((r.score as number) - 50)).toBeLessThan(7);
      expect(r.direction).toBe('Neutral');
    }
  });

  it('when inputs vary (drift, flow, book skew), then scores spread across the scale instead of clustering at 50', () => {
    const r = rng(99);
    const scores: number[] = [];
    for (let i = 0; i < 40; i++) {
      const drift = (r() - 0.5) * 0.3;
      const s = syntheticMarket(drift > 0 ? 'up' : 'down', {
        seed: 100 + i,
        drift,
        buyShare: 0.5 + (r() - 0.5) * 0.4,
        bookSkew: 1 + (r() - 0.5) * 1.2,
        candles: 120,
        trades: 400,
      });
      scores.push(createEngine().score(s, NOW).score as number);
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
    expect(sd).toBeGreaterThan(8);
    expect(Math.min(...scores)).toBeLessThan(40);
    expect(Math.max(...scores)).toBeGreaterThan(60);
    expect(scores.filter((x) => x > 45 && x < 55).length).toBeLessThan(scores.length / 2);
  });
});
