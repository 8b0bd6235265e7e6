import type { Logger } from '@confluence/logger';

/** The onMinute subscribers: a failing one is logged and does not keep the others from running. */
export class MinuteHub {
  private readonly callbacks: ((minuteTs: number) => void)[] = [];

  constructor(private readonly logger: Logger) {}

  add(cb: (minuteTs: number) => void): void {
    this.callbacks.push(cb);
  }

  fire(minuteTs: number): void {
    for (const cb of this.callbacks) {
      try {
        cb(minuteTs);
      } catch (err) {
        this.logger.error('onMinute callback failed', { error: err instanceof Error ? err : String(err) });
      }
    }
  }
}

/** Live/sim: a timer at each wall-clock minute boundary (re-armed if it fires early, so no minute repeats). */
export class WallMinutes {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly fire: (minuteTs: number) => void) {}

  start(boundary = (Math.floor(Date.now() / 60_000) + 1) * 60_000): void {
    this.timer = setTimeout(
      () => {
        if (this.stopped) return;
        if (Date.now() < boundary) return this.start(boundary);
        this.fire(boundary);
        this.start();
      },
      Math.max(1, boundary - Date.now()),
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
