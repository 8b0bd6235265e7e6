// Turns model steps into frames. Each topic has one stream shared by its subscribers: a frame is
// serialised once and the same string goes to every subscriber; topics nobody follows cost nothing.
import type { KlineInterval, Topic } from '@confluence/bybit-wire';
import { BookStream } from './book-stream';
import type { FaultState } from './faults';
import type { Market } from './market';
import { hashString } from './rng';
import type { StepOutput, SymbolMarket } from './symbol-market';
import {
  klineWire,
  liquidationWire,
  TICKER_KEYS,
  tickerWire,
  tradeWire,
  type KlineWire,
  type LiquidationWire,
  type TickerFrame,
  type TickerWire,
} from './encoder';

export interface Subscriber {
  readonly id: string;
  send(frame: string): void;
}

export interface PublisherOptions {
  /** Minimum spacing of kline updates for a candle that has not closed. */
  readonly klinePushMs: number;
  /** allLiquidation batches are flushed at most this often. */
  readonly liquidationPushMs: number;
}

const MAX_TRADES_PER_FRAME = 1024;

class TickerStream {
  private published: TickerWire;

  constructor(
    private readonly market: SymbolMarket,
    readonly topic: string,
  ) {
    this.published = tickerWire(market.spec, market.ticker());
  }

  snapshotFrame(now: number): string {
    return this.frame('snapshot', { ...this.published }, now);
  }

  update(now: number): string | undefined {
    const next = tickerWire(this.market.spec, this.market.ticker());
    const delta: Partial<TickerWire> & { symbol: string } = { symbol: next.symbol };
    let changed = false;
    for (const key of TICKER_KEYS) {
      if (next[key] !== this.published[key]) {
        delta[key] = next[key];
        changed = true;
      }
    }
    this.published = next;
    return changed ? this.frame('delta', delta, now) : undefined;
  }

  private frame(type: 'snapshot' | 'delta', data: TickerFrame['data'], now: number): string {
    const frame: TickerFrame = { topic: this.topic, type, data, cs: this.market.crossSeq, ts: now };
    return JSON.stringify(frame);
  }
}

class KlineStream {
  private lastPushAt: number;
  private lastSignature = '';

  constructor(
    private readonly market: SymbolMarket,
    readonly topic: string,
    private readonly interval: KlineInterval,
    now: number,
  ) {
    this.lastPushAt = now;
  }

  snapshotFrame(now: number): string {
    const c = this.market.currentCandle(this.interval);
    this.lastSignature = signature(c.close, c.volume, c.start);
    return this.frame([klineWire(this.market.spec, this.interval, c, false, now)], now);
  }

  update(output: StepOutput, now: number, pushMs: number): string | undefined {
    const closed = output.closed?.get(this.interval);
    const c = this.market.currentCandle(this.interval);
    const sig = signature(c.close, c.volume, c.start);
    if (closed === undefined && (now - this.lastPushAt < pushMs || sig === this.lastSignature)) return undefined;
    const data: KlineWire[] = (closed ?? []).map((k) => klineWire(this.market.spec, this.interval, k, true, now));
    data.push(klineWire(this.market.spec, this.interval, c, false, now));
    this.lastPushAt = now;
    this.lastSignature = sig;
    return this.frame(data, now);
  }

  private frame(data: KlineWire[], now: number): string {
    return JSON.stringify({ topic: this.topic, data, ts: now, type: 'snapshot' });
  }
}

class LiquidationStream {
  private readonly pending: LiquidationWire[] = [];
  private lastFlushAt = 0;

  constructor(
    private readonly market: SymbolMarket,
    readonly topic: string,
  ) {}

  update(output: StepOutput, now: number, pushMs: number): string | undefined {
    for (const l of output.liquidations) this.pending.push(liquidationWire(this.market.spec, l));
    if (this.pending.length === 0 || now - this.lastFlushAt < pushMs) return undefined;
    this.lastFlushAt = now;
    const data = this.pending.splice(0, this.pending.length);
    return JSON.stringify({ topic: this.topic, type: 'snapshot', ts: now, data });
  }
}

type Stream =
  | { readonly kind: 'orderbook'; readonly s: BookStream }
  | { readonly kind: 'tickers'; readonly s: TickerStream }
  | { readonly kind: 'kline'; readonly s: KlineStream }
  | { readonly kind: 'publicTrade' }
  | { readonly kind: 'allLiquidation'; readonly s: LiquidationStream };

interface TopicEntry {
  readonly topic: Topic;
  readonly market: SymbolMarket;
  readonly subscribers: Set<Subscriber>;
  readonly stream: Stream;
}

export class Publisher {
  /** symbol → topic name → entry; only topics with at least one subscriber exist. */
  private readonly bySymbol = new Map<string, Map<string, TopicEntry>>();
  /** Book update ids survive a stream being torn down so `u` never goes backwards for a topic. */
  private readonly lastU = new Map<string, number>();
  private subscriptionCount = 0;
  framesSent = 0;

  constructor(
    private readonly market: Market,
    private readonly faults: FaultState,
    private readonly opts: PublisherOptions,
  ) {}

  get subscriptions(): number {
    return this.subscriptionCount;
  }

  /** Registers a subscriber and returns the frames it must receive first (snapshots), if any. */
  subscribe(sub: Subscriber, topic: Topic, now: number): string[] {
    const entry = this.entryFor(topic, now);
    if (!entry.subscribers.has(sub)) {
      entry.subscribers.add(sub);
      this.subscriptionCount++;
    }
    const st = entry.stream;
    switch (st.kind) {
      case 'orderbook':
      case 'tickers':
      case 'kline':
        return [st.s.snapshotFrame(now)];
      default:
        return [];
    }
  }

  unsubscribe(sub: Subscriber, topic: Topic): void {
    const topics = this.bySymbol.get(topic.symbol);
    const entry = topics?.get(topic.name);
    if (topics === undefined || entry === undefined || !entry.subscribers.delete(sub)) return;
    this.subscriptionCount--;
    if (entry.subscribers.size === 0) {
      if (entry.stream.kind === 'orderbook') this.lastU.set(topic.name, entry.stream.s.u);
      topics.delete(topic.name);
      if (topics.size === 0) this.bySymbol.delete(topic.symbol);
    }
  }

  /** Publishes what the given step outputs changed, to the topics that have subscribers. */
  publish(outputs: readonly StepOutput[], now: number): void {
    for (const output of outputs) {
      const topics = this.bySymbol.get(output.market.symbol);
      if (topics === undefined) continue;
      this.publishSymbol(output, topics, now);
    }
  }

  private publishSymbol(output: StepOutput, topics: Map<string, TopicEntry>, now: number): void {
    const symbol = output.market.symbol;
    let bookFaults: { gap: boolean; crossed: boolean } | undefined;
    for (const entry of topics.values()) {
      let frames: string[] = [];
      const st = entry.stream;
      switch (st.kind) {
        case 'publicTrade':
          frames = this.tradeFrames(entry.topic.name, output, now);
          break;
        case 'orderbook': {
          if (this.faults.takeEmptySnapshot(symbol)) {
            this.faults.count('emptySnapshot');
            frames = [st.s.emptySnapshotFrame(now)];
            break;
          }
          if (!st.s.snapshotOnly && bookFaults === undefined && this.faults.hasBookFault(symbol)) {
            bookFaults = { gap: this.faults.takeGap(symbol), crossed: this.faults.takeCrossed(symbol) };
            if (bookFaults.gap) this.faults.count('gap');
            if (bookFaults.crossed) this.faults.count('crossed');
          }
          const f = st.s.update(now, st.s.snapshotOnly ? NO_FAULTS : (bookFaults ?? NO_FAULTS));
          if (f !== undefined) frames = [f];
          break;
        }
        case 'tickers': {
          const f = st.s.update(now);
          if (f !== undefined) frames = [f];
          break;
        }
        case 'kline': {
          const f = st.s.update(output, now, this.opts.klinePushMs);
          if (f !== undefined) frames = [f];
          break;
        }
        case 'allLiquidation': {
          const f = st.s.update(output, now, this.opts.liquidationPushMs);
          if (f !== undefined) frames = [f];
          break;
        }
      }
      for (const frame of frames) this.broadcast(entry.subscribers, frame);
    }
  }

  private tradeFrames(topic: string, output: StepOutput, now: number): string[] {
    const frames: string[] = [];
    const spec = output.market.spec;
    for (let i = 0; i < output.trades.length; i += MAX_TRADES_PER_FRAME) {
      const data = output.trades.slice(i, i + MAX_TRADES_PER_FRAME).map((t) => tradeWire(spec, t));
      frames.push(JSON.stringify({ topic, type: 'snapshot', ts: now, data }));
    }
    return frames;
  }

  private broadcast(subscribers: ReadonlySet<Subscriber>, frame: string): void {
    for (const sub of subscribers) {
      sub.send(frame);
      this.framesSent++;
    }
  }

  private entryFor(topic: Topic, now: number): TopicEntry {
    let topics = this.bySymbol.get(topic.symbol);
    if (topics === undefined) {
      topics = new Map();
      this.bySymbol.set(topic.symbol, topics);
    }
    const existing = topics.get(topic.name);
    if (existing !== undefined) return existing;
    const market = this.market.get(topic.symbol);
    if (market === undefined) throw new Error(`unknown symbol ${topic.symbol}`);
    const entry: TopicEntry = { topic, market, subscribers: new Set(), stream: this.makeStream(topic, market, now) };
    topics.set(topic.name, entry);
    return entry;
  }

  private makeStream(topic: Topic, market: SymbolMarket, now: number): Stream {
    switch (topic.kind) {
      case 'orderbook': {
        const previous = this.lastU.get(topic.name);
        // Fresh topics start at a symbol-specific id well above 1 (u = 1 would mean "service restarted").
        const u = previous !== undefined ? previous + 1 : 1_000_000 + (hashString(topic.name) % 9_000_000);
        return { kind: 'orderbook', s: new BookStream(market, topic.name, topic.depth, u, now) };
      }
      case 'tickers':
        return { kind: 'tickers', s: new TickerStream(market, topic.name) };
      case 'kline':
        return { kind: 'kline', s: new KlineStream(market, topic.name, topic.interval, now) };
      case 'publicTrade':
        return { kind: 'publicTrade' };
      case 'allLiquidation':
        return { kind: 'allLiquidation', s: new LiquidationStream(market, topic.name) };
    }
  }
}

const NO_FAULTS = { gap: false, crossed: false } as const;

function signature(close: number, volume: number, start: number): string {
  return `${start}:${close}:${volume}`;
}
