import type { Logger } from '@confluence/logger';
import type { MarketStore } from '../state/market-store';
import { createNormalizer, type Normalizer, type NormalizerCounters } from './bybit/normalize';
import type { DataEvent, MarketEvent } from './events';
import { RateMeter } from './rate-meter';
import type { IntakeHealth } from './types';

/** The frame counters every intake reports, whatever feeds it. */
export type FeedTotals = Pick<IntakeHealth['totals'], 'messages' | 'messagesPerSec' | 'byTopic' | 'malformed' | 'fastDecoded' | 'fastDecodeErrors'>;

/**
 * Raw exchange frames into the market store: normalised once, counted (per topic, malformed per reason, per
 * second), and the data events applied. Live frames arrive through the WebSocket pool (`decode` / `apply`); a
 * replay hands whole frames to `feed`.
 */
export class MarketFeed {
  private readonly normalizer: Normalizer;
  private readonly meter = new RateMeter(10);
  /** Receive time of the last frame (local clock live; the recorded receive time in a replay). */
  lastMessageAt: number | null = null;
  /** Where the decoder's counters come from when frames are decoded in the intake thread. */
  private threadCounters: (() => NormalizerCounters) | undefined;

  constructor(
    private readonly store: MarketStore,
    logger: Logger,
  ) {
    this.normalizer = createNormalizer({ logger });
  }

  /** Live path: the pool decodes with this and hands the data events to `apply`. */
  decode(raw: string, recvTs: number): MarketEvent[] {
    this.meter.mark(recvTs);
    this.lastMessageAt = recvTs;
    return this.normalizer.normalize(raw, recvTs);
  }

  /**
   * Threaded live path: the intake thread decoded `frames` frames (the newest received at `lastRecvTs`) and keeps the
   * decoder's counters, read through `counters`; its data events come to `apply`.
   */
  received(frames: number, lastRecvTs: number): void {
    this.meter.mark(lastRecvTs, frames);
    this.lastMessageAt = lastRecvTs;
  }

  decodedElsewhere(counters: () => NormalizerCounters): void {
    this.threadCounters = counters;
  }

  apply(ev: DataEvent): void {
    this.store.apply(ev);
  }

  /** Replay path: one recorded frame, applied at once. Rates are measured in wall time. */
  feed(raw: string, recvTs: number): void {
    this.meter.mark(Date.now());
    this.lastMessageAt = recvTs;
    const events = this.normalizer.normalize(raw, recvTs);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      if (ev.type !== 'pong' && ev.type !== 'subscribe_ack') this.apply(ev);
    }
  }

  totals(wall: number): FeedTotals {
    const c = this.threadCounters?.() ?? this.normalizer.counters;
    return {
      messages: c.messages,
      messagesPerSec: this.meter.perSecond(wall),
      byTopic: { ...c.byTopic },
      malformed: { ...c.malformed },
      fastDecoded: c.fastDecoded,
      fastDecodeErrors: c.fastDecodeErrors,
    };
  }
}
