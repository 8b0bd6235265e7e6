import type { HeartbeatData } from '@confluence/contracts';
import type { Intake } from '../intake/intake';

/** Silence from the exchange this long counts as a feed problem in the heartbeat. */
export const FEED_SILENT_MS = 15_000;

/** The heartbeat's view of the exchange feed: the intake's state, and silence noticed in wall time between cycles. */
export class FeedWatch {
  private lastMessages = -1;
  private lastMessageWallAt: number | null = null;

  constructor(private readonly intake: Pick<Intake, 'health'>) {}

  state(now: number): HeartbeatData['intake'] {
    const h = this.intake.health();
    const messages = Object.values(h.totals.byTopic).reduce((a, b) => a + b, 0);
    if (messages !== this.lastMessages) {
      this.lastMessages = messages;
      this.lastMessageWallAt = messages > 0 ? now : this.lastMessageWallAt;
    }
    const silent = this.lastMessageWallAt !== null && now - this.lastMessageWallAt > FEED_SILENT_MS && h.state !== 'closed';
    const connected = h.state === 'connected' && !silent;
    const lastError = h.connections.map((c) => c.lastError).find((e) => e) ?? null;
    const block = h.accessBlock;
    const blocked = block !== null;
    return {
      state: h.state,
      connected: connected || h.state === 'closed',
      lastMessageAt: this.lastMessageWallAt,
      reconnects: h.totals.reconnects,
      detail:
        h.state === 'closed' ? 'replay finished' : blocked ? block.message : silent ? 'no exchange message for a while' : (lastError?.slice(0, 300) ?? null),
      accessBlocked: blocked,
      repairing: h.symbols.repairing,
      clockOffsetMs: h.clock.offsetMs,
    };
  }
}
