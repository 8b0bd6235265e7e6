import type { Keys } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import type { OnDemandCache } from './on-demand';
import type { StreamHub } from './stream';
import { errorMessage } from '@confluence/logger';

const EXTRAS_POLL_MS = 2000;

/** Alerts and the scoreboard change about once a minute: look every couple of seconds and push changes to the stream. */
export class ExtrasPoller {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly keys: Keys,
    private readonly onDemand: OnDemandCache,
    private readonly hub: Pick<StreamHub, 'publishExtra'>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.pollOnce().catch((err) => this.logger.warn('alerts/calibration poll failed', { error: errorMessage(err) }));
    }, EXTRAS_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async pollOnce(): Promise<void> {
    const { keys } = this;
    for (const [event, kind, key] of [
      ['alerts', 'alerts', keys.alerts()],
      ['calibration', 'calibration', keys.calibration()],
    ] as const) {
      const { envelope } = await this.onDemand.read(kind, key);
      if (envelope) this.hub.publishExtra(event, JSON.stringify(envelope.data));
    }
  }
}
