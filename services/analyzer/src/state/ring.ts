/**
 * Bounded FIFO (oldest first) that grows on demand up to `capacity`, then overwrites the oldest element.
 * `view()` returns a plain array of the current contents, rebuilt only after a change: callers may keep it,
 * it is never mutated afterwards (a snapshot taken every second costs one copy only if something changed).
 */
export class Ring<T> {
  private buf: (T | undefined)[] = [];
  private head = 0;
  private len = 0;
  private cached: readonly T[] | undefined = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.len;
  }

  /** Appends; returns the element evicted to make room, if any. */
  push(item: T): T | undefined {
    this.cached = undefined;
    if (this.len === this.buf.length && this.buf.length < this.capacity) this.grow();
    const cap = this.buf.length;
    if (this.len < cap) {
      this.buf[(this.head + this.len) % cap] = item;
      this.len++;
      return undefined;
    }
    const evicted = this.buf[this.head];
    this.buf[this.head] = item;
    this.head = (this.head + 1) % cap;
    return evicted;
  }

  /** i = 0 is the oldest. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + i) % this.buf.length];
  }

  oldest(): T | undefined {
    return this.len ? this.buf[this.head] : undefined;
  }

  newest(): T | undefined {
    return this.len ? this.buf[(this.head + this.len - 1) % this.buf.length] : undefined;
  }

  /** Replaces the newest element (e.g. a sample in the same bucket). */
  replaceNewest(item: T): void {
    if (!this.len) {
      this.push(item);
      return;
    }
    this.cached = undefined;
    this.buf[(this.head + this.len - 1) % this.buf.length] = item;
  }

  shift(): T | undefined {
    if (!this.len) return undefined;
    this.cached = undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.len--;
    return item;
  }

  /** Drops oldest elements while `pred` holds; returns how many were dropped. */
  dropWhile(pred: (item: T) => boolean): number {
    let n = 0;
    while (this.len && pred(this.buf[this.head] as T)) {
      this.shift();
      n++;
    }
    return n;
  }

  clear(): void {
    this.buf = [];
    this.head = 0;
    this.len = 0;
    this.cached = [];
  }

  view(): readonly T[] {
    if (this.cached) return this.cached;
    const out = new Array<T>(this.len);
    const cap = this.buf.length;
    for (let i = 0; i < this.len; i++) out[i] = this.buf[(this.head + i) % cap] as T;
    this.cached = out;
    return out;
  }

  /** Allocated slots (for memory-bound checks). */
  get allocated(): number {
    return this.buf.length;
  }

  private grow(): void {
    const next = Math.min(this.capacity, Math.max(16, this.buf.length * 2));
    const nb = new Array<T | undefined>(next);
    const cap = this.buf.length;
    for (let i = 0; i < this.len; i++) nb[i] = this.buf[(this.head + i) % cap];
    this.buf = nb;
    this.head = 0;
  }
}
