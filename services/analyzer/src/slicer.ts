import { setImmediate as yieldToLoop } from 'node:timers/promises';

/**
 * Longest stretch (ms) the publish cycle runs without letting the event loop in. The intake's WebSocket frames and
 * pongs wait that long at most (plus a GC pause): at the full universe, scoring takes hundreds of milliseconds and
 * serialising the details about a hundred, so each is cut into slices of this length.
 */
export const CYCLE_SLICE_MS = 8;

/**
 * Cuts a long synchronous loop into slices: `await slicer.turn()` between items yields to the event loop once the
 * current slice has run `sliceMs`, and costs a clock read and a microtask otherwise.
 */
export class Slicer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = CYCLE_SLICE_MS) {}

  /** Whether the current slice is used up (then `turn()` would yield). */
  due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Yields if the slice is used up. */
  async turn(): Promise<void> {
    if (this.due()) await this.yield();
  }

  /** Yields now and starts a new slice. */
  async yield(): Promise<void> {
    await yieldToLoop();
    this.sliceStart = performance.now();
  }
}
