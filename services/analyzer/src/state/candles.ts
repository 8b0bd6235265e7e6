import type { Candle } from '@confluence/confluence';

/**
 * Candles kept per timeframe. The engine's longest look-back is its indicator window: up to indicatorWindow +
 * anchorBlock − 1 = 179 confirmed candles plus the forming one with the default config (swings use 100, volume
 * measures ≤ 96). 200 covers that with a margin and is Bybit's default kline page. Every candle beyond it cost
 * memory, a slot in every snapshot's candle view and old-generation objects the GC has to mark, for no score.
 */
export const CANDLES_PER_TIMEFRAME = 200;

/** Doubles per stored candle: start, open, high, low, close, volume, turnover. */
const FIELDS = 7;
/** Free slots a compacted arena leaves for closes and backfill replacements before the next compaction. */
export const CANDLE_ARENA_SLACK = 16;

/**
 * A closed candle whose numbers live in its series' arena (one Float64Array) instead of in seven boxed numbers of
 * its own: ≈100 bytes a candle instead of ≈200, and far fewer objects for the garbage collector to trace. The slot
 * it reads is never written again; when the arena is compacted the candle is pointed at an identical copy, so every
 * holder (a snapshot, the engine's caches) keeps seeing the same values.
 */
export class StoredCandle implements Candle {
  constructor(
    /** @internal */ public arena: Float64Array,
    /** @internal */ public at: number,
  ) {}

  get start(): number {
    return this.arena[this.at];
  }

  get open(): number {
    return this.arena[this.at + 1];
  }

  get high(): number {
    return this.arena[this.at + 2];
  }

  get low(): number {
    return this.arena[this.at + 3];
  }

  get close(): number {
    return this.arena[this.at + 4];
  }

  get volume(): number {
    return this.arena[this.at + 5];
  }

  get turnover(): number {
    return this.arena[this.at + 6];
  }

  get confirmed(): boolean {
    return true;
  }

  /** Plain values (what JSON and test equality see). */
  toJSON(): Candle {
    return {
      start: this.start,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: this.volume,
      turnover: this.turnover,
      confirmed: true,
    };
  }
}

/**
 * Append-only slots for closed candles' numbers, shared by the candles stored in them. When the arena is full, the
 * candles still held move to a fresh one (with `slack` free slots) and are re-pointed; the old one is left to the GC.
 */
export class CandleArena {
  private arena = new Float64Array(0);
  private used = 0;

  constructor(private readonly slack: number) {}

  /** Slots allocated (for memory-bound checks). */
  get slots(): number {
    return this.arena.length / FIELDS;
  }

  /**
   * Stores one closed candle (`values[from..from + 6]`: start, open, high, low, close, volume, turnover) and returns
   * it; `live` are the candles still held, the ones a compaction must keep.
   */
  store(values: ArrayLike<number>, from: number, live: readonly Candle[]): StoredCandle {
    if ((this.used + 1) * FIELDS > this.arena.length) this.compact(live);
    const at = this.used++ * FIELDS;
    const a = this.arena;
    for (let k = 0; k < FIELDS; k++) a[at + k] = values[from + k];
    return new StoredCandle(a, at);
  }

  clear(): void {
    this.arena = new Float64Array(0);
    this.used = 0;
  }

  /** Copies the live candles into a fresh arena with room to grow and re-points them (same values, new place). */
  private compact(live: readonly Candle[]): void {
    const closed = live.filter((c): c is StoredCandle => c instanceof StoredCandle);
    const next = new Float64Array((closed.length + this.slack) * FIELDS);
    for (let i = 0; i < closed.length; i++) {
      const sc = closed[i];
      next.set(sc.arena.subarray(sc.at, sc.at + FIELDS), i * FIELDS);
      sc.arena = next;
      sc.at = i * FIELDS;
    }
    this.arena = next;
    this.used = closed.length;
  }
}

/**
 * Candles of one timeframe: a bounded, start-sorted list of closed candles plus at most one forming candle.
 * - WS update (confirm false) replaces the forming candle; a newer forming candle closes the previous one (a missed confirm).
 * - WS confirm closes the candle.
 * - REST backfill merges by `start`: closed REST candles replace closed ones with the same start; the REST candle still
 *   forming (start + interval > now) only fills in when no live forming candle exists (the live one is fresher).
 */
export class CandleSeries {
  private closed: StoredCandle[] = [];
  private readonly arena = new CandleArena(CANDLE_ARENA_SLACK);
  /** One candle's numbers on their way into the arena. */
  private readonly scratch = new Float64Array(FIELDS);
  private forming: Candle | undefined;
  private cached: readonly Candle[] | undefined = [];

  constructor(
    readonly intervalMs: number,
    readonly capacity = CANDLES_PER_TIMEFRAME,
  ) {}

  get size(): number {
    return this.closed.length + (this.forming ? 1 : 0);
  }

  lastClosed(): Candle | undefined {
    return this.closed[this.closed.length - 1];
  }

  current(): Candle | undefined {
    return this.forming ?? this.lastClosed();
  }

  /**
   * Start of the newest candle held (forming or closed), or undefined when empty. A live candle that starts more than
   * one interval after it means candles are missing (an outage, a missed message): see applyLive's result.
   */
  newestStart(): number | undefined {
    return this.forming?.start ?? this.lastClosed()?.start;
  }

  /**
   * A live (WebSocket) candle. Returns true when it leaves a gap: it starts more than one interval after the newest
   * candle held (the candles in between are missing), or it replaces a forming candle whose confirm never came (its
   * final values are missing).
   */
  applyLive(c: Candle): boolean {
    const newest = this.newestStart();
    // Missing candles, or a forming candle about to be closed by a newer one without its confirm (its final values
    // were never received): both need the REST truth.
    const gap = newest !== undefined && (c.start > newest + this.intervalMs || (!c.confirmed && this.forming !== undefined && c.start > this.forming.start));
    this.applyLiveCandle(c);
    return gap;
  }

  private applyLiveCandle(c: Candle): void {
    if (c.confirmed) {
      if (this.forming && this.forming.start <= c.start) this.forming = undefined;
      this.upsertClosed(c);
      return;
    }
    const last = this.lastClosed();
    if (last && c.start <= last.start) return; // already closed: a late update must not reopen it
    if (this.forming && c.start < this.forming.start) return;
    if (this.forming && c.start > this.forming.start) this.upsertClosed({ ...this.forming, confirmed: true });
    this.forming = c;
    this.cached = undefined;
  }

  /**
   * REST candles (any order). A candle is closed if flagged so (the REST client judges by the answer's server time,
   * which a replay reproduces exactly) or if its interval ended before `now`; otherwise it is forming.
   */
  mergeBackfill(candles: readonly Candle[], now: number): void {
    const sorted = [...candles].sort((a, b) => a.start - b.start);
    for (const c of sorted) {
      if (c.confirmed || c.start + this.intervalMs <= now) {
        if (this.forming && this.forming.start <= c.start) this.forming = undefined;
        this.upsertClosed(c.confirmed ? c : { ...c, confirmed: true });
      } else if (!this.forming) {
        const last = this.lastClosed();
        if (!last || c.start > last.start) {
          this.forming = c;
          this.cached = undefined;
        }
      } else if (c.start > this.forming.start) {
        this.upsertClosed({ ...this.forming, confirmed: true });
        this.forming = c;
        this.cached = undefined;
      }
    }
  }

  clear(): void {
    this.closed = [];
    this.arena.clear();
    this.forming = undefined;
    this.cached = [];
  }

  /** True when the candles from `from` to the newest one held follow each other without a missing interval. */
  contiguousFrom(from: number): boolean {
    const list = this.view();
    let prev: number | undefined;
    for (const c of list) {
      if (c.start < from) continue;
      if (prev !== undefined && c.start !== prev + this.intervalMs) return false;
      prev = c.start;
    }
    return prev !== undefined;
  }

  /** Oldest first; the last element may be forming. Built once per change and shared. */
  view(): readonly Candle[] {
    if (this.cached) return this.cached;
    // concat and slice allocate the exact length once; a spread into a literal grows its store step by step.
    const closed: readonly Candle[] = this.closed;
    const out = this.forming ? closed.concat(this.forming) : closed.slice();
    this.cached = out;
    return out;
  }

  /** Arena slots allocated (for memory-bound checks). */
  get allocatedSlots(): number {
    return this.arena.slots;
  }

  private store(c: Candle): StoredCandle {
    const v = this.scratch;
    v[0] = c.start;
    v[1] = c.open;
    v[2] = c.high;
    v[3] = c.low;
    v[4] = c.close;
    v[5] = c.volume;
    v[6] = c.turnover;
    return this.arena.store(v, 0, this.closed);
  }

  private upsertClosed(input: Candle): void {
    this.cached = undefined;
    const c = this.store(input);
    const list = this.closed;
    const n = list.length;
    if (n === 0 || list[n - 1].start < c.start) {
      list.push(c);
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid].start < c.start) lo = mid + 1;
        else hi = mid;
      }
      if (lo < n && list[lo].start === c.start) list[lo] = c;
      else list.splice(lo, 0, c);
    }
    // One slot is left for the forming candle so the view never exceeds `capacity`.
    const max = this.capacity - 1;
    if (list.length > max) list.splice(0, list.length - max);
  }
}
