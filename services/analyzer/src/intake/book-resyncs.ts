import { bookTopic } from '@confluence/bybit-wire';
import type { MarketStore } from '../state/market-store';

/** Books that asked for a fresh snapshot: resubscribed, and asked again while they stay unsynced. */
export class BookResyncs {
  private readonly requested = new Map<string, number>();

  constructor(
    private readonly store: MarketStore,
    private readonly resubscribe: (topic: string) => void,
    private readonly retryMs: number,
  ) {}

  request(symbol: string): void {
    this.requested.set(symbol, Date.now());
    this.resubscribe(bookTopic(symbol));
  }

  /** An empty snapshot: the book is resubscribed after the retry interval (a tick-size change), not at once. */
  later(symbol: string): void {
    this.requested.set(symbol, Date.now());
  }

  forget(symbol: string): void {
    this.requested.delete(symbol);
  }

  /** Housekeeping: synced books are forgotten, books still unsynced after the retry interval are asked again. */
  retryDue(): void {
    const wall = Date.now();
    for (const [symbol, at] of this.requested) {
      const why = this.store.bookUnsyncedReason(symbol);
      if (why === undefined) this.requested.delete(symbol);
      else if ((why === 'gap' || why === 'crossed' || why === 'empty') && wall - at >= this.retryMs) this.request(symbol);
    }
  }
}
