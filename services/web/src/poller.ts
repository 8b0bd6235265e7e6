import type { Status } from '@confluence/contracts';
import type { Reader, TableSnapshot } from './reader';

/** The loop that watches the heartbeat(s) and keeps the current view: what the rest of the web sees of it. */
export interface ViewPoller {
  start(): void;
  /** Stops the loop; resolves once the poll in flight (if any) is done. */
  stop(): Promise<void>;
  /** The last good view, null before the first. */
  current(): TableSnapshot | null;
  /** A new view (a new generation, or a new set of shards) was accepted. */
  onChange(cb: (view: TableSnapshot) => void): void;
  /** The status changed state, flags, generation or problems. */
  onStatus(cb: (status: Status) => void): void;
}

/** Polls the reader every `intervalMs`, the next poll timed from the end of the previous one. */
export class Poller implements ViewPoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly reader: Reader,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      await this.reader.pollOnce();
      if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.reader.settled();
  }

  current(): TableSnapshot | null {
    return this.reader.snapshot();
  }

  onChange(cb: (view: TableSnapshot) => void): void {
    this.reader.on('snapshot', cb);
  }

  onStatus(cb: (status: Status) => void): void {
    this.reader.on('status', cb);
  }
}
