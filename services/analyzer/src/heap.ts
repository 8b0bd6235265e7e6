import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 may grow the old generation after a major GC, in percent of the live heap. V8's own rule lets it grow
 * up to 4× while the program allocates fast, which for the analyzer (a steady stream of short-lived market events
 * next to ~100 MB of long-lived state at 500 symbols) means hundreds of MB of pages it rarely needs. 50 % measured:
 * peak RSS of a 500-symbol replay 798 → 464 MB, scoring cycle within noise (see the README's Performance section).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;

/** Applies the growth limit to this process (0 leaves V8's heuristic). V8 reads it at every major GC. */
export function tuneHeap(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}
