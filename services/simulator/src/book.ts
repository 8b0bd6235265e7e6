// The order book of one symbol: price levels on the tick grid around the mid, sizes that persist
// between steps (so deltas only carry what changed), a size profile that deepens away from the
// touch, and stable holes on some ticks as in real books.
import { hashUnit, type Rng } from './rng';

// Math is read through module bindings: under jest's vm sandbox each global lookup is ~25x slower.
const { abs, exp, floor, max, min, round } = Math;

export interface Level {
  tick: number;
  /** Size in quantity steps. */
  units: number;
}

export interface BookConfig {
  readonly depth: number;
  /** Key for the stable per-tick holes. */
  readonly key: number;
  /** Typical size at the touch, in quantity steps. */
  readonly baseUnits: number;
  /** Share of ticks (beyond the touch) that never hold a level. */
  readonly gapProb: number;
}

export class OrderBookModel {
  /** Best first: bids descending, asks ascending. */
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];

  /**
   * Log-size tilt of new liquidity: > 0 adds bid depth and thins asks (buyers supporting a rising market), < 0 the
   * reverse. Without it a rising book shows old, large ask levels at the touch against fresh small bids, which reads
   * as ask-heavy in exactly the markets where the bids are the stronger side.
   */
  tilt = 0;

  constructor(private readonly cfg: BookConfig) {}

  get depth(): number {
    return this.cfg.depth;
  }

  bestBid(): number {
    return this.bids.length > 0 ? this.bids[0].tick : 0;
  }

  bestAsk(): number {
    return this.asks.length > 0 ? this.asks[0].tick : 0;
  }

  /** Moves the touch to (bid, ask); levels on the far side of it are taken out, new ones appear. */
  recenter(bid: number, ask: number, rng: Rng): void {
    this.recenterSide(this.bids, bid, -1, rng);
    this.recenterSide(this.asks, ask, 1, rng);
  }

  /** Aggressive volume eats into the touch; levels are never emptied here (the touch is the model's). */
  consume(side: 'bid' | 'ask', units: number): void {
    const levels = side === 'bid' ? this.bids : this.asks;
    let left = units;
    for (let i = 0; i < levels.length && left > 0 && i < 3; i++) {
      // Makers refill the touch quickly, so a step never strips a level below 40 %.
      const take = min(left, floor(levels[i].units * 0.6));
      if (take <= 0) continue;
      levels[i].units -= take;
      left -= take;
    }
  }

  /** Random size changes, concentrated near the touch where real books are busiest. */
  churn(rng: Rng, count: number): void {
    for (let j = 0; j < count; j++) {
      const levels = rng.float() < 0.5 ? this.bids : this.asks;
      const u = rng.float();
      const i = floor(this.cfg.depth * u * u);
      if (i >= levels.length) continue;
      const level = levels[i];
      level.units = rng.float() < 0.3 ? this.freshUnits(i, rng, levels === this.bids ? 1 : -1) : max(1, round(level.units * exp(0.5 * rng.normal())));
    }
  }

  private freshUnits(position: number, rng: Rng, side: 1 | -1): number {
    const profile = 0.5 + 0.04 * position;
    return max(1, round(this.cfg.baseUnits * profile * exp(0.7 * rng.normal() - 0.245 + side * this.tilt)));
  }

  private isHole(tick: number, best: number): boolean {
    return tick !== best && hashUnit(this.cfg.key, tick, 3) < this.cfg.gapProb;
  }

  /** dir = -1 for bids (prices fall away from the touch), +1 for asks. */
  private recenterSide(levels: Level[], best: number, dir: -1 | 1, rng: Rng): void {
    const depth = this.cfg.depth;
    const oldBest = levels.length > 0 ? levels[0].tick : undefined;
    // A jump wider than the book leaves nothing worth keeping.
    if (oldBest === undefined || abs(oldBest - best) > depth) levels.length = 0;
    // Levels now at or beyond the other side's touch are gone (filled or cancelled).
    let drop = 0;
    while (drop < levels.length && (levels[drop].tick - best) * dir < 0) drop++;
    if (drop > 0) levels.splice(0, drop);
    // New levels between the new touch and the old one.
    const inserted: Level[] = [];
    const stopAt = levels.length > 0 ? levels[0].tick : best + dir * depth * 4;
    for (let t = best; (t - stopAt) * dir < 0 && inserted.length < depth; t += dir) {
      if (t <= 0) break;
      if (!this.isHole(t, best)) inserted.push({ tick: t, units: this.freshUnits(inserted.length, rng, dir === -1 ? 1 : -1) });
    }
    if (inserted.length > 0) levels.unshift(...inserted);
    if (levels.length > depth) levels.length = depth;
    // Refill the far end so the book keeps its depth.
    let t = levels.length > 0 ? levels[levels.length - 1].tick + dir : best;
    while (levels.length < depth && t > 0) {
      if (!this.isHole(t, best)) levels.push({ tick: t, units: this.freshUnits(levels.length, rng, dir === -1 ? 1 : -1) });
      t += dir;
    }
  }
}
