/**
 * Events per second over a moving window of whole seconds (default 10 s), cheap enough to call per message:
 * one integer division and an array write.
 */
export class RateMeter {
  private readonly buckets: number[];
  private readonly bucketSecond: number[];

  constructor(readonly windowSeconds = 10) {
    this.buckets = new Array<number>(windowSeconds).fill(0);
    this.bucketSecond = new Array<number>(windowSeconds).fill(-1);
  }

  mark(nowMs: number, n = 1): void {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % this.windowSeconds;
    if (this.bucketSecond[i] !== sec) {
      this.bucketSecond[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i] += n;
  }

  /** Average rate over the last `windowSeconds` complete-or-current seconds. */
  perSecond(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let k = 0; k < this.windowSeconds; k++) {
      const s = this.bucketSecond[k];
      if (s > sec - this.windowSeconds && s <= sec) sum += this.buckets[k];
    }
    return sum / this.windowSeconds;
  }
}
