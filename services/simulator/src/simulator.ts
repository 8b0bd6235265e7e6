// Wires the market model, the WebSocket gateway, REST and controls onto one HTTP server.
// createSimulator() builds the market immediately (history included), so in-process users can
// step it without opening a socket; start() adds the network side.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlError, runControl, type RestFaultControl, type SimControls } from './controls';
import { errorMessage } from './errors';
import { FaultState, type FaultKind, type FaultSummary } from './faults';
import type { InstrumentStatus } from './instruments';
import { Market } from './market';
import { Publisher } from './publisher';
import type { SymbolMarket } from './symbol-market';
import { MAX_STRENGTH, type Regime, type RegimeSetting } from './regimes';
import { faultResponse, handleMarketRequest, REST_PREFIX, type RestResponse } from './rest';
import { formatPrice, tradeWire, type TradeWire } from './encoder';
import { WS_PATH, WsGateway } from './ws-server';

export interface SimOptions {
  /** 0 picks a free port. Default 0. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 42. */
  readonly seed?: number;
  /** Simulated USDT perpetuals (1..1000). Default 20. */
  readonly symbols?: number;
  /** Per-symbol regime overrides; the rest follow the seed. */
  readonly regimes?: Readonly<Record<string, Regime | RegimeSetting>>;
  /** Market step in ms. Default 100. */
  readonly tickMs?: number;
  /** Pace of price dynamics relative to real time (trade rates unchanged). Default 1. */
  readonly speed?: number;
  /** No timer: time advances only through step(); `startTime` is step 0. Default false. */
  readonly manualClock?: boolean;
  /** Time of step 0 (ms). Default Date.now(). Fix it (with manualClock) for reproducible timestamps. */
  readonly startTime?: number;
  /** Connections without a ping for this long are closed (Bybit: 10 min). */
  readonly idleTimeoutMs?: number;
  /** At most this many symbols move per step; larger universes are stepped round-robin. Default 100. */
  readonly maxSymbolsPerStep?: number;
  /** Spacing of kline updates for an open candle. Default 1000. */
  readonly klinePushMs?: number;
  /** A client with more unsent bytes than this is disconnected. Default 32 MiB. */
  readonly maxBufferedBytes?: number;
  /** Also list stock / commodity / ETF / FX perpetuals (symbolType set), as Bybit does. Default false. */
  readonly tradfi?: boolean;
  /** The simulator's clock runs this far ahead of (negative: behind) the host's. Default 0. */
  readonly clockOffsetMs?: number;
}

export interface SimAddress {
  readonly port: number;
  readonly wsUrl: string;
  readonly restUrl: string;
}

export interface SymbolState {
  readonly lastPrice: string;
  readonly lastTradeId: string;
  readonly trades: number;
  readonly regime: Regime;
  readonly strength: number;
  readonly bestBid: string;
  readonly bestAsk: string;
  readonly turnover24h: number;
  readonly bookUpdateId: number;
  readonly status: string;
  /** Aggressor flow published so far: ordinary trades' buy/sell volume (base units), block and RPI trade counts. */
  readonly flow: {
    readonly buyVolume: number;
    readonly sellVolume: number;
    readonly ordinaryTrades: number;
    readonly blockTrades: number;
    readonly rpiTrades: number;
  };
  readonly burstTradesPerSecond: number | null;
}

export interface SimState {
  readonly time: number;
  readonly steps: number;
  readonly paused: boolean;
  readonly manualClock: boolean;
  readonly tickMs: number;
  /** Each symbol moves every `stride` steps (round-robin for large universes). */
  readonly stride: number;
  readonly counters: {
    readonly connections: number;
    readonly connectionsTotal: number;
    readonly subscriptions: number;
    readonly subscribeRequests: number;
    readonly rejectedRequests: number;
    readonly pings: number;
    readonly pongs: number;
    readonly pongsWithheld: number;
    readonly framesSent: number;
    readonly restRequests: number;
    /** Most REST requests received within any one second (wall clock) so far. */
    readonly restMaxPerSecond: number;
    /** WebSocket upgrade requests (connection attempts) and those refused during an outage. */
    readonly upgradeRequests: number;
    readonly upgradesRefused: number;
    readonly idleClosed: number;
    readonly slowConsumersClosed: number;
    readonly faultsInjected: Readonly<Record<FaultKind, number>>;
  };
  readonly faults: FaultSummary;
  readonly symbols: Readonly<Record<string, SymbolState>>;
}

export interface Simulator extends SimControls {
  start(): Promise<SimAddress>;
  /** Closes every socket and timer; safe to call twice. */
  stop(): Promise<void>;
  /** Advances the market n steps now (manual clock: also advances time by n × tickMs). */
  step(n?: number): void;
  /** Current simulator time (ms). */
  now(): number;
  /** Simulated symbols, most traded first. */
  symbols(): string[];
  state(symbol?: string): SimState;
  /** Newest first, in wire format (as publicTrade data items). */
  recentTrades(symbol: string, limit?: number): TradeWire[];
  readonly market: Market;
}

const DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  seed: 42,
  symbols: 20,
  tickMs: 100,
  speed: 1,
  idleTimeoutMs: 10 * 60_000,
  maxSymbolsPerStep: 100,
  klinePushMs: 1000,
  maxBufferedBytes: 32 * 1024 * 1024,
} as const;
const LIQUIDATION_PUSH_MS = 500;
/** Idle connections are looked for at most this often. */
const IDLE_SWEEP_MS = 1000;
const MAX_BODY_BYTES = 64 * 1024;

export function createSimulator(opts: SimOptions = {}): Simulator {
  return new SimulatorImpl(opts);
}

class SimulatorImpl implements Simulator {
  readonly market: Market;
  private readonly faults = new FaultState();
  private readonly publisher: Publisher;
  private readonly gateway: WsGateway;
  private readonly tickMs: number;
  private readonly manual: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly idleTimeoutMs: number;
  private manualTime: number;
  private server: Server | undefined;
  private timers: NodeJS.Timeout[] = [];
  private restRequests = 0;
  /** Wall-clock times of the REST requests of the last second, for restMaxPerSecond. */
  private readonly restWindow: number[] = [];
  private restMaxPerSecond = 0;
  private clockOffsetMs: number;
  private stopped = false;

  constructor(opts: SimOptions) {
    this.tickMs = positive('tickMs', opts.tickMs ?? DEFAULTS.tickMs);
    this.manual = opts.manualClock ?? false;
    this.host = opts.host ?? DEFAULTS.host;
    this.port = opts.port ?? DEFAULTS.port;
    this.manualTime = opts.startTime ?? Date.now();
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
    const regimes = new Map<string, RegimeSetting>();
    for (const [symbol, r] of Object.entries(opts.regimes ?? {})) {
      regimes.set(symbol, typeof r === 'string' ? { regime: r, strength: 1 } : r);
    }
    this.market = new Market({
      seed: opts.seed ?? DEFAULTS.seed,
      symbols: opts.symbols ?? DEFAULTS.symbols,
      regimes,
      tickMs: this.tickMs,
      speed: positive('speed', opts.speed ?? DEFAULTS.speed),
      startTime: this.manualTime,
      maxSymbolsPerStep: positive('maxSymbolsPerStep', opts.maxSymbolsPerStep ?? DEFAULTS.maxSymbolsPerStep),
      tradfi: opts.tradfi ?? false,
    });
    this.publisher = new Publisher(this.market, this.faults, {
      klinePushMs: opts.klinePushMs ?? DEFAULTS.klinePushMs,
      liquidationPushMs: LIQUIDATION_PUSH_MS,
    });
    this.idleTimeoutMs = positive('idleTimeoutMs', opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs);
    this.gateway = new WsGateway(this.market, this.publisher, this.faults, () => this.now(), {
      idleTimeoutMs: this.idleTimeoutMs,
      maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
    });
  }

  now(): number {
    return this.manual ? this.manualTime : Date.now() + this.clockOffsetMs;
  }

  async start(): Promise<SimAddress> {
    if (this.server !== undefined || this.stopped) throw new Error('a simulator can be started once');
    const server = createServer((req, res) => this.onHttp(req, res));
    server.on('upgrade', (req, socket, head) => this.gateway.handleUpgrade(req, socket, head));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    if (!this.manual) this.timers.push(setInterval(() => this.tick(), this.tickMs));
    const sweepMs = Math.min(IDLE_SWEEP_MS, Math.max(20, this.idleTimeoutMs / 4));
    this.timers.push(setInterval(() => this.gateway.sweepIdle(Date.now()), sweepMs));
    return { port, wsUrl: `ws://${this.host}:${port}${WS_PATH}`, restUrl: `http://${this.host}:${port}` };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const server = this.server;
    this.server = undefined;
    await this.gateway.close();
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  step(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.manual) this.manualTime += this.tickMs;
      this.tick();
    }
  }

  private tick(): void {
    if (this.faults.paused) return;
    const now = this.now();
    this.publisher.publish(this.market.step(now), now);
  }

  symbols(): string[] {
    return [...this.market.markets].sort((a, b) => b.turnover24h() - a.turnover24h()).map((m) => m.symbol);
  }

  recentTrades(symbol: string, limit = 100): TradeWire[] {
    const m = this.requireMarket(symbol);
    return m.recentTrades(limit).map((t) => tradeWire(m.spec, t));
  }

  state(symbol?: string): SimState {
    const symbols: Record<string, SymbolState> = {};
    for (const m of this.market.markets) {
      if (symbol !== undefined && m.symbol !== symbol) continue;
      symbols[m.symbol] = {
        lastPrice: formatPrice(m.spec, m.lastTradeTicks),
        lastTradeId: m.lastTradeId,
        trades: m.tradeCount,
        regime: m.setting.regime,
        strength: m.setting.strength,
        bestBid: formatPrice(m.spec, m.book.bestBid()),
        bestAsk: formatPrice(m.spec, m.book.bestAsk()),
        turnover24h: Math.round(m.turnover24h()),
        bookUpdateId: m.bookVersion,
        status: this.market.statusOf(m.spec),
        flow: { ...m.flow },
        burstTradesPerSecond: m.burstTradesPerSecond ?? null,
      };
    }
    const w = this.gateway.counters;
    return {
      time: this.now(),
      steps: this.market.stepCount,
      paused: this.faults.paused,
      manualClock: this.manual,
      tickMs: this.tickMs,
      stride: this.market.stride,
      counters: {
        connections: this.gateway.openConnections,
        connectionsTotal: w.connectionsTotal,
        subscriptions: this.publisher.subscriptions,
        subscribeRequests: w.subscribeRequests,
        rejectedRequests: w.rejectedRequests,
        pings: w.pings,
        pongs: w.pongs,
        pongsWithheld: w.pongsWithheld,
        framesSent: this.publisher.framesSent,
        restRequests: this.restRequests,
        restMaxPerSecond: this.restMaxPerSecond,
        upgradeRequests: w.upgradeRequests,
        upgradesRefused: w.upgradesRefused,
        idleClosed: w.idleClosed,
        slowConsumersClosed: w.slowConsumersClosed,
        faultsInjected: { ...this.faults.injected },
      },
      faults: this.faults.describe(Date.now()),
      symbols,
    };
  }

  // --- SimControls -------------------------------------------------------------------------

  drop(): number {
    this.faults.count('drop');
    return this.gateway.dropAll();
  }

  stallPongs(ms: number): void {
    this.faults.count('stallPongs');
    this.faults.stallPongsUntil = Date.now() + ms;
  }

  gap(symbol: string): void {
    this.requireMarket(symbol);
    this.faults.requestGap(symbol);
  }

  crossed(symbol: string): void {
    this.requireMarket(symbol);
    this.faults.requestCrossed(symbol);
  }

  malformed(count: number): number {
    const sent = this.gateway.sendMalformed(count);
    this.faults.count('malformed', sent);
    return sent;
  }

  reject(pattern: string | null): void {
    this.faults.rejectPattern = pattern ?? undefined;
  }

  restFault(fault: RestFaultControl): void {
    if (!Number.isInteger(fault.count) || fault.count < 0) throw new ControlError('count must be a non-negative integer');
    this.faults.setRestFault(fault);
  }

  price(symbol: string, price: number): void {
    if (!(price > 0) || !Number.isFinite(price)) throw new ControlError('price must be a positive number');
    this.requireMarket(symbol).jumpTo(price);
    this.faults.count('price');
  }

  regime(symbol: string, regime: Regime, strength?: number): void {
    const s = strength ?? 1;
    if (!(s > 0 && s <= MAX_STRENGTH)) throw new ControlError(`strength must be in (0, ${MAX_STRENGTH}]`);
    this.requireMarket(symbol).setRegime({ regime, strength: s });
    this.faults.count('regime');
  }

  pause(paused: boolean): void {
    if (paused) this.faults.count('pause');
    this.faults.paused = paused;
  }

  wsOutage(ms: number, status: 403 | 503 = 503): void {
    if (!(ms >= 0)) throw new ControlError('ms must be ≥ 0');
    if (ms === 0) {
      this.faults.wsOutageUntil = 0;
      return;
    }
    this.faults.wsOutageStatus = status;
    this.faults.count('wsOutage');
    this.faults.wsOutageUntil = Date.now() + ms;
    this.gateway.dropAll();
  }

  burst(symbol: string, tradesPerSecond: number): void {
    if (!(tradesPerSecond >= 0) || !Number.isFinite(tradesPerSecond)) throw new ControlError('tradesPerSecond must be a number ≥ 0');
    const m = this.requireMarket(symbol);
    m.burstTradesPerSecond = tradesPerSecond > 0 ? tradesPerSecond : undefined;
    if (tradesPerSecond > 0) this.faults.count('burst');
  }

  emptySnapshot(symbol: string): void {
    this.requireMarket(symbol);
    this.faults.requestEmptySnapshot(symbol);
  }

  instrumentStatus(symbol: string, status: InstrumentStatus): void {
    const spec = this.market.universe.listed.find((i) => i.symbol === symbol);
    if (spec === undefined) throw new ControlError(`unknown symbol "${symbol}"`);
    this.market.statusOverride.set(symbol, status);
    this.faults.count('instrumentStatus');
  }

  clockOffset(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new ControlError('offsetMs must be a number');
    this.clockOffsetMs = offsetMs;
    this.faults.count('clock');
  }

  turnover(symbol: string, turnover24h: number | null): void {
    if (turnover24h !== null && !(turnover24h >= 0 && Number.isFinite(turnover24h))) throw new ControlError('turnover24h must be ≥ 0 or null');
    this.requireMarket(symbol).turnoverOverride = turnover24h ?? undefined;
  }

  reset(): void {
    this.faults.reset();
    for (const m of this.market.markets) m.burstTradesPerSecond = undefined;
  }

  private requireMarket(symbol: string): SymbolMarket {
    const m = this.market.get(symbol);
    if (m === undefined) throw new ControlError(`unknown symbol "${symbol}"`);
    return m;
  }

  // --- HTTP --------------------------------------------------------------------------------

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const path = url.pathname;
    if (req.method === 'GET' && path.startsWith(REST_PREFIX)) {
      this.restRequests++;
      const wall = Date.now();
      this.restWindow.push(wall);
      while (this.restWindow.length > 0 && this.restWindow[0] <= wall - 1000) this.restWindow.shift();
      if (this.restWindow.length > this.restMaxPerSecond) this.restMaxPerSecond = this.restWindow.length;
      const hit = this.faults.takeRestFault();
      if (hit !== undefined) this.faults.count('restFault');
      const now = this.now();
      send(res, hit !== undefined ? faultResponse(hit, now) : handleMarketRequest(path, url.searchParams, this.market, now));
      return;
    }
    if (req.method === 'GET' && path === '/sim/state') {
      const symbol = url.searchParams.get('symbol') ?? undefined;
      sendJson(res, 200, this.state(symbol));
      return;
    }
    if (req.method === 'POST' && path.startsWith('/sim/control/')) {
      readJsonBody(req)
        .then((body) => {
          const name = path.slice('/sim/control/'.length);
          if (name === 'step') {
            const n = body.n === undefined ? 1 : body.n;
            if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 100_000) throw new ControlError('"n" must be an integer in 1..100000');
            this.step(n);
            sendJson(res, 200, { ok: true, steps: this.market.stepCount, time: this.now() });
            return;
          }
          const result = runControl(this, name, body);
          sendJson(res, result.status, result.body);
        })
        .catch((err: unknown) => {
          const status = err instanceof ControlError ? err.status : 500;
          sendJson(res, status, { ok: false, error: errorMessage(err) });
        });
      return;
    }
    sendJson(res, 404, { ok: false, error: `no route for ${req.method ?? 'GET'} ${path}` });
  }
}

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

function send(res: ServerResponse, r: RestResponse): void {
  res.writeHead(r.status, { 'Content-Type': r.contentType, ...(r.headers ?? {}) });
  res.end(r.body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ControlError('body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new ControlError('body must be a JSON object'));
      }
    });
  });
}
