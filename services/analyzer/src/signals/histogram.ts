/**
 * A fixed log-bucketed histogram of signed returns (DDSketch-style), so the scoreboard's medians come from a few
 * kilobytes per cell instead of every sample, and can be updated (and un-updated when samples expire) in O(1).
 * Every |value| in [MIN_ABS, MAX_ABS] is represented within RELATIVE_ACCURACY of itself; |value| < MIN_ABS
 * (0.01 basis point) counts as zero; larger magnitudes are clamped to MAX_ABS.
 */
export const RELATIVE_ACCURACY = 0.001;
// Bound once: these run hundreds of thousands of times in a replay, and a global lookup per call is measurable.
const { abs: mathAbs, ceil, log, max, min, pow } = Math;
export const MIN_ABS = 1e-6;
export const MAX_ABS = 10;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = log(GAMMA);
/** Buckets on each side of zero. */
const K = ceil(log(MAX_ABS / MIN_ABS) / LOG_GAMMA);

export class LogHistogram {
  private readonly counts = new Uint32Array(2 * K + 1);
  private total = 0;

  get count(): number {
    return this.total;
  }

  private static slot(value: number): number {
    const a = mathAbs(value);
    if (a < MIN_ABS) return K;
    const i = min(K, max(1, ceil(log(a / MIN_ABS) / LOG_GAMMA)));
    return value < 0 ? K - i : K + i;
  }

  private static representative(slot: number): number {
    const i = slot - K;
    if (i === 0) return 0;
    const mag = (MIN_ABS * 2 * pow(GAMMA, mathAbs(i))) / (GAMMA + 1);
    return i < 0 ? -mag : mag;
  }

  add(value: number): void {
    this.counts[LogHistogram.slot(value)]++;
    this.total++;
  }

  /** Removes a value added before (an expired sample). */
  remove(value: number): void {
    const s = LogHistogram.slot(value);
    if (this.counts[s] === 0) return;
    this.counts[s]--;
    this.total--;
  }

  /** The k-th smallest value, 1-based, approximated by its bucket. */
  private rank(k: number): number {
    let seen = 0;
    for (let s = 0; s < this.counts.length; s++) {
      seen += this.counts[s];
      if (seen >= k) return LogHistogram.representative(s);
    }
    return LogHistogram.representative(this.counts.length - 1);
  }

  /** Median (mean of the two middle values for an even count); null when empty. */
  median(): number | null {
    const n = this.total;
    if (n === 0) return null;
    if (n % 2 === 1) return this.rank((n + 1) / 2);
    return (this.rank(n / 2) + this.rank(n / 2 + 1)) / 2;
  }
}
