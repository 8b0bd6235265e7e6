import type { HistoryData, HistoryPoint } from '@confluence/contracts';

/** 24 h at one point a minute. */
export const HISTORY_MAX_POINTS = 1440;

/**
 * Score/price history per symbol for charts. Bounded per symbol; read back from Memcached when the
 * analyzer starts so a restart does not wipe the charts.
 */
export class HistoryStore {
  private readonly points = new Map<string, HistoryPoint[]>();
  private readonly loaded = new Set<string>();

  constructor(private readonly maxPoints = HISTORY_MAX_POINTS) {}

  isLoaded(symbol: string): boolean {
    return this.loaded.has(symbol);
  }

  /** Merges points read back from the cache with any recorded since start (by timestamp, newest wins). */
  restore(symbol: string, stored: readonly HistoryPoint[]): void {
    this.loaded.add(symbol);
    const mine = this.points.get(symbol) ?? [];
    const byTs = new Map<number, HistoryPoint>();
    for (const p of stored) byTs.set(p[0], p);
    for (const p of mine) byTs.set(p[0], p);
    this.points.set(symbol, this.trim([...byTs.values()].sort((a, b) => a[0] - b[0])));
  }

  markLoaded(symbol: string): void {
    this.loaded.add(symbol);
  }

  add(symbol: string, point: HistoryPoint): void {
    const list = this.points.get(symbol) ?? [];
    const last = list[list.length - 1];
    if (last && last[0] >= point[0]) {
      if (last[0] === point[0]) list[list.length - 1] = point;
    } else list.push(point);
    this.points.set(symbol, this.trim(list));
  }

  get(symbol: string): HistoryData {
    return { symbol, points: this.points.get(symbol) ?? [] };
  }

  /** Score at or before ts (for "how did it look a minute ago"), null when unknown. */
  scoreAt(symbol: string, ts: number): number | null {
    const list = this.points.get(symbol);
    if (!list || list.length === 0 || list[0][0] > ts) return null;
    // Points are in time order: binary search, since every row asks twice a cycle (15 min and 1 h back).
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (list[mid][0] <= ts) lo = mid;
      else hi = mid - 1;
    }
    return list[lo][1];
  }

  drop(symbol: string): void {
    this.points.delete(symbol);
    this.loaded.delete(symbol);
  }

  symbols(): string[] {
    return [...this.points.keys()];
  }

  private trim(list: HistoryPoint[]): HistoryPoint[] {
    return list.length > this.maxPoints ? list.slice(list.length - this.maxPoints) : list;
  }
}
