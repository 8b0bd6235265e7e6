/**
 * A small time series kept sorted by `ts` (oldest first), one point per `ts`, capped at `capacity` points (oldest dropped).
 * For data that arrives mostly in order but may be merged out of order (REST backfill + live samples): open interest,
 * long/short ratio, funding. `view()` is rebuilt only after a change and never mutated afterwards.
 */
export class TimeSeries<T extends { readonly ts: number }> {
  private items: T[] = [];
  private cached: readonly T[] | undefined = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  last(): T | undefined {
    return this.items[this.items.length - 1];
  }

  /** Inserts by ts; a point with the same ts replaces the old one. */
  upsert(item: T): void {
    this.cached = undefined;
    const items = this.items;
    const n = items.length;
    if (n === 0 || items[n - 1].ts < item.ts) {
      items.push(item);
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (items[mid].ts < item.ts) lo = mid + 1;
        else hi = mid;
      }
      if (lo < n && items[lo].ts === item.ts) items[lo] = item;
      else items.splice(lo, 0, item);
    }
    if (items.length > this.capacity) items.splice(0, items.length - this.capacity);
  }

  merge(points: readonly T[]): void {
    for (const p of points) this.upsert(p);
  }

  /** Drops points older than `ts`. */
  dropBefore(ts: number): void {
    let i = 0;
    while (i < this.items.length && this.items[i].ts < ts) i++;
    if (i > 0) {
      this.items.splice(0, i);
      this.cached = undefined;
    }
  }

  view(): readonly T[] {
    if (!this.cached) this.cached = this.items.slice();
    return this.cached;
  }
}
