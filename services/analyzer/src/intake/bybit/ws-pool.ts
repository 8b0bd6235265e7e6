import type { Logger } from '@confluence/logger';
import { MAX_ARGS_CHARS_PER_CONNECTION, symbolOfTopic } from '@confluence/bybit-wire';
import { WsConnection, type ConnectionStats, type DisconnectInfo, type WsConnectionOptions } from './ws-connection';

/** Bybit: the args of one public connection may total at most 21,000 characters. */
export { MAX_ARGS_CHARS_PER_CONNECTION };
/** Our own cap, so 500 symbols × 8 topics spread over ~20 sockets instead of piling onto a few. */
export const MAX_TOPICS_PER_CONNECTION = 200;

export interface WsPoolOptions extends Omit<WsConnectionOptions, 'id' | 'logger'> {
  logger: Logger;
  maxTopicsPerConnection?: number;
  maxArgsCharsPerConnection?: number;
  onDisconnect?: (info: DisconnectInfo) => void;
  /** A connection that had been open before is open again (its topics are being resubscribed). */
  onReconnect?: (info: { connId: number; topics: readonly string[] }) => void;
}

/** What the live intake needs of a pool: WsPool in the main thread, or ThreadedWsPool running one in a thread. */
export interface IntakePool {
  start(): void;
  stop(): Promise<void>;
  addSymbol(symbol: string, topics: readonly string[]): void;
  removeSymbol(symbol: string): void;
  resubscribe(topic: string): boolean;
  stats(): ConnectionStats[];
  totals(): { reconnects: number; subscribeRejected: number };
}

/** Characters a topic costs in the args budget: the string plus quotes and comma. */
const cost = (topic: string): number => topic.length + 3;

/**
 * Spreads symbols over connections. All topics of one symbol share a connection (a disconnect resets exactly the
 * symbols it carried; a resync resubscribes on the right socket). A connection that loses its last symbol is closed.
 */
export class WsPool implements IntakePool {
  private readonly conns = new Map<number, WsConnection>();
  private readonly load = new Map<number, { topics: number; chars: number }>();
  private readonly symbolConn = new Map<string, WsConnection>();
  private readonly symbolTopics = new Map<string, readonly string[]>();
  private readonly maxTopics: number;
  private readonly maxChars: number;
  private nextId = 0;
  private started = false;
  private stopped = false;
  /** Reconnects of connections already closed (kept so totals never go down). */
  private retiredReconnects = 0;
  private retiredRejected = 0;

  constructor(private readonly options: WsPoolOptions) {
    this.maxTopics = options.maxTopicsPerConnection ?? MAX_TOPICS_PER_CONNECTION;
    this.maxChars = options.maxArgsCharsPerConnection ?? MAX_ARGS_CHARS_PER_CONNECTION;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const c of this.conns.values()) c.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.conns.values()].map((c) => c.stop()));
  }

  symbols(): string[] {
    return [...this.symbolConn.keys()];
  }

  connections(): WsConnection[] {
    return [...this.conns.values()];
  }

  connectionOf(symbol: string): WsConnection | undefined {
    return this.symbolConn.get(symbol);
  }

  /** The topic and character count of a connection; every connection gets one when it is created. */
  private loadOf(c: WsConnection): { topics: number; chars: number } {
    const l = this.load.get(c.id);
    if (l === undefined) throw new Error(`no load entry for connection ${c.id}`);
    return l;
  }

  addSymbol(symbol: string, topics: readonly string[]): void {
    if (this.stopped || this.symbolConn.has(symbol)) return;
    const chars = topics.reduce((n, t) => n + cost(t), 0);
    let target: WsConnection | undefined;
    for (const c of this.conns.values()) {
      const l = this.loadOf(c);
      if (l.topics + topics.length <= this.maxTopics && l.chars + chars <= this.maxChars) {
        target = c;
        break;
      }
    }
    target ??= this.createConnection();
    const l = this.loadOf(target);
    l.topics += topics.length;
    l.chars += chars;
    this.symbolConn.set(symbol, target);
    this.symbolTopics.set(symbol, topics);
    target.subscribe(topics);
  }

  removeSymbol(symbol: string): void {
    const c = this.symbolConn.get(symbol);
    const topics = this.symbolTopics.get(symbol);
    if (!c || !topics) return;
    this.symbolConn.delete(symbol);
    this.symbolTopics.delete(symbol);
    c.unsubscribe(topics);
    const l = this.loadOf(c);
    l.topics -= topics.length;
    l.chars -= topics.reduce((n, t) => n + cost(t), 0);
    if (l.topics <= 0) {
      this.conns.delete(c.id);
      this.load.delete(c.id);
      this.retiredReconnects += c.reconnects;
      this.retiredRejected += c.subscribeRejected;
      void c.stop();
    }
  }

  /** Resubscribes one topic on its connection (book resync). */
  resubscribe(topic: string): boolean {
    const c = this.symbolConn.get(symbolOfTopic(topic));
    if (c?.state !== 'connected') return false;
    c.resubscribe(topic);
    return true;
  }

  stats(): ConnectionStats[] {
    return [...this.conns.values()].map((c) => c.stats());
  }

  totals(): { reconnects: number; subscribeRejected: number } {
    let reconnects = this.retiredReconnects;
    let subscribeRejected = this.retiredRejected;
    for (const c of this.conns.values()) {
      reconnects += c.reconnects;
      subscribeRejected += c.subscribeRejected;
    }
    return { reconnects, subscribeRejected };
  }

  private createConnection(): WsConnection {
    const id = this.nextId++;
    const { maxTopicsPerConnection: _t, maxArgsCharsPerConnection: _c, onDisconnect, onReconnect, ...connOptions } = this.options;
    const c = new WsConnection({ ...connOptions, id });
    if (onDisconnect) c.on('disconnect', onDisconnect);
    if (onReconnect) {
      let opened = false;
      c.on('open', (connId) => {
        if (opened) onReconnect({ connId, topics: c.topics() });
        opened = true;
      });
    }
    this.conns.set(id, c);
    this.load.set(id, { topics: 0, chars: 0 });
    if (this.started) c.start();
    return c;
  }
}
