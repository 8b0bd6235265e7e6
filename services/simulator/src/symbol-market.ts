// One symbol's live market: price, trades, book, candles and the slow series (open interest,
// funding, long/short ratio). Every random draw comes from the symbol's own seeded stream, so the
// sequence of values depends only on the seed and the step number, not on wall-clock time or on
// which clients are connected.
import { OrderBookModel } from './book';
import { applyTrade, ClosedCandles, emptyCandle, RollingDay } from './candles';
import { HOUR_MS, INTERVAL_MS, KLINE_INTERVALS, MINUTE_MS, type KlineInterval } from '@confluence/bybit-wire';
import { PriceHistory, type CandleValues } from './history';
import type { InstrumentSpec } from './instruments';
import { RANGE_HALF_LIFE_H, regimeEffects, type RegimeEffects, type RegimeSetting } from './regimes';
import { hashNormal, hashString, Rng } from './rng';

// Math is read through module bindings: under jest's vm sandbox each global lookup is ~25x slower.
const { LN2, abs, ceil, exp, floor, log, max, min, round, sqrt } = Math;

export type Side = 'Buy' | 'Sell';
export type TickDirection = 'PlusTick' | 'ZeroPlusTick' | 'MinusTick' | 'ZeroMinusTick';

export interface SimTrade {
  readonly time: number;
  /** Taker side. */
  readonly side: Side;
  readonly units: number;
  readonly priceTicks: number;
  readonly tickDirection: TickDirection;
  readonly id: string;
  readonly seq: number;
  readonly blockTrade: boolean;
  readonly rpi: boolean;
}

export interface SimLiquidation {
  readonly time: number;
  /** "Buy" = a long position was liquidated (Bybit's allLiquidation convention). */
  readonly side: Side;
  readonly units: number;
  readonly priceTicks: number;
}

export interface StepOutput {
  readonly market: SymbolMarket;
  readonly trades: readonly SimTrade[];
  readonly liquidations: readonly SimLiquidation[];
  /** Candles closed during this step, oldest first; absent when none closed. */
  readonly closed: ReadonlyMap<KlineInterval, readonly CandleValues[]> | undefined;
}

/**
 * The ticker as the model knows it: prices in ticks, sizes in quantity steps, the rest as plain numbers. The encoder
 * (encoder.ts) turns it into Bybit's string fields.
 */
export interface SimTicker {
  readonly symbol: string;
  readonly tickDirection: TickDirection;
  /** Fractional change over 24 h (0.01 = +1 %). */
  readonly change24h: number;
  readonly lastTicks: number;
  readonly prev24hTicks: number;
  readonly high24hTicks: number;
  readonly low24hTicks: number;
  readonly prev1hTicks: number;
  readonly markTicks: number;
  readonly indexTicks: number;
  readonly openInterestUnits: number;
  /** Open interest in quote currency. */
  readonly openInterestValue: number;
  readonly turnover24h: number;
  /** Base-currency volume over 24 h (not in quantity steps). */
  readonly volume24h: number;
  readonly nextFundingTime: number;
  readonly fundingRate: number;
  readonly bid1Ticks: number;
  readonly bid1Units: number;
  readonly ask1Ticks: number;
  readonly ask1Units: number;
  readonly fundingIntervalHours: number;
  readonly fundingCap: number;
}

export interface SeriesPoint {
  readonly time: number;
  readonly value: number;
}

export const BOOK_DEPTH = 200;
const RECENT_TRADES = 1000;
const LIVE_CANDLES = 1200;
const SAMPLE_MS = 5 * MINUTE_MS;
const MAX_SAMPLES = 4000;
/** Share of the price shock that comes from aggressor flow. */
const FLOW_PRICE_CORR = 0.6;
/** Log-odds of a buy aggressor per unit of flow shock. */
const FLOW_SHOCK = 0.9;
const GARCH_ALPHA = 0.03;
const GARCH_BETA = 0.965;
const SLOW_VOL_SD = 0.35;
const SLOW_VOL_HALF_LIFE_H = 1 / 6;
const TRADE_SIZE_SIGMA = 1.0;
const LIQUIDATIONS_PER_S = 0.02;
const FUNDING_CAP = 0.005;
const REFERENCE_TURNOVER = 8e9;

export interface SymbolMarketParams {
  readonly spec: InstrumentSpec;
  readonly seed: number;
  readonly regime: RegimeSetting;
  readonly startTime: number;
}

/** Book depth leans with the order flow: the same sign as the regime's aggressor bias, capped. */
function bookTilt(effects: RegimeEffects): number {
  return Math.max(-0.6, Math.min(0.6, effects.flowBias * 0.6));
}

export class SymbolMarket {
  readonly spec: InstrumentSpec;
  readonly symbol: string;
  readonly history: PriceHistory;
  readonly book: OrderBookModel;
  private readonly rng: Rng;
  private settingValue: RegimeSetting;
  private effects: RegimeEffects;

  /** Log mid price and the level a ranging market returns to. */
  private x: number;
  private anchor: number;
  private garch = 1;
  private slowVol = 0;
  private lastEps = 0;
  private pendingJumpTicks: number | undefined;

  lastTradeTicks: number;
  lastTradeId = '';
  lastTradeTime = 0;
  tickDirection: TickDirection = 'ZeroPlusTick';
  /** Cross sequence shared by trades, book and ticker messages. */
  crossSeq: number;
  /** Book version for REST `u`. */
  bookVersion: number;
  tradeCount = 0;
  /** Aggressor flow of the trades published so far, in base units: ordinary trades apart from block and RPI trades. */
  readonly flow = { buyVolume: 0, sellVolume: 0, ordinaryTrades: 0, blockTrades: 0, rpiTrades: 0 };
  /** Trades per second while a busy-market burst is on (undefined: the symbol's own rate). */
  burstTradesPerSecond: number | undefined;
  /** Replaces the 24 h turnover the ranking sees (undefined: the market's own). */
  turnoverOverride: number | undefined;

  private markTicks: number;
  openInterest: number;
  fundingRate: number;
  buyRatio: number;
  private readonly oiBase: number;
  nextFundingTime: number;

  private readonly current = new Map<KlineInterval, CandleValues>();
  private readonly closedLive = new Map<KlineInterval, ClosedCandles>();
  private readonly day = new RollingDay();
  private readonly recent: SimTrade[] = [];
  private readonly oiSamples = new Map<number, number>();
  private readonly ratioSamples = new Map<number, number>();
  private readonly fundingSamples = new Map<number, number>();
  private nextSampleAt: number;

  private readonly tradesPerSecond: number;
  private readonly meanTradeUnits: number;
  private readonly spreadTicks: number;

  constructor(p: SymbolMarketParams) {
    const { spec } = p;
    this.spec = spec;
    this.symbol = spec.symbol;
    const key = (p.seed ^ hashString(spec.symbol)) >>> 0;
    this.rng = new Rng(key);
    this.settingValue = p.regime;
    this.effects = regimeEffects(p.regime);

    // Seeds shift the start price a little so different seeds give visibly different markets.
    const startTicks = max(1, round((spec.basePrice * exp(0.03 * hashNormal(key, 1))) / spec.tick));
    const price = startTicks * spec.tick;
    const liquidity = sqrt(spec.turnover24h / REFERENCE_TURNOVER);
    this.tradesPerSecond = min(40, max(0.3, 1 + 30 * liquidity));
    this.meanTradeUnits = max(1, spec.turnover24h / 86400 / this.tradesPerSecond / price / spec.qty);
    this.spreadTicks = max(1, round((1e-6 / max(liquidity, 1e-3)) * (price / spec.tick)));

    this.oiBase = (spec.turnover24h / price) * 0.4 * exp(0.2 * hashNormal(key, 2));
    this.openInterest = this.oiBase;
    this.fundingRate = this.effects.fundingTarget + 0.00003 * hashNormal(key, 3);
    this.buyRatio = min(0.95, max(0.05, this.effects.buyRatioTarget + 0.02 * hashNormal(key, 4)));

    this.history = new PriceHistory({
      key,
      startTime: p.startTime,
      startTicks,
      tick: spec.tick,
      qty: spec.qty,
      hourlyVol: spec.hourlyVol,
      turnover24h: spec.turnover24h,
      regime: p.regime,
      openInterest: this.openInterest,
      fundingRate: this.fundingRate,
      buyRatio: this.buyRatio,
    });

    for (const interval of KLINE_INTERVALS) {
      this.current.set(interval, { ...this.history.candle(interval, 0) });
      this.closedLive.set(interval, new ClosedCandles(LIVE_CANDLES));
    }
    const dayCandles: CandleValues[] = [];
    for (let k = 1440; k >= 1; k--) dayCandles.push(this.history.candle('1', k));
    this.day.pushAll(dayCandles);

    this.x = log(price);
    this.anchor = this.x;
    this.markTicks = startTicks;
    this.lastTradeTicks = startTicks;
    this.lastTradeTime = p.startTime;
    this.crossSeq = 1e9 + floor(abs(hashNormal(key, 5)) * 1e9);
    this.bookVersion = 1_000_000 + (key % 1_000_000);

    const tickRel = spec.tick / price;
    this.book = new OrderBookModel({
      depth: BOOK_DEPTH,
      key,
      baseUnits: this.meanTradeUnits * 20,
      gapProb: tickRel < 5e-6 ? 0.3 : tickRel < 5e-5 ? 0.15 : 0.05,
    });
    this.book.tilt = bookTilt(this.effects);
    const { bid, ask } = this.touchFor(startTicks);
    this.book.recenter(bid, ask, this.rng);

    this.nextSampleAt = ceil(p.startTime / SAMPLE_MS) * SAMPLE_MS;
    const fundingMs = this.fundingIntervalMs();
    this.nextFundingTime = floor(p.startTime / fundingMs) * fundingMs + fundingMs;
  }

  get setting(): RegimeSetting {
    return this.settingValue;
  }

  setRegime(setting: RegimeSetting): void {
    this.settingValue = setting;
    this.effects = regimeEffects(setting);
    this.book.tilt = bookTilt(this.effects);
    // A new range centres where the price is now rather than snapping back to an old level.
    this.anchor = this.x;
  }

  /** The next step trades at this price and the book moves there. */
  jumpTo(price: number): void {
    this.pendingJumpTicks = max(1, round(price / this.spec.tick));
  }

  get midPrice(): number {
    return exp(this.x);
  }

  currentCandle(interval: KlineInterval): CandleValues {
    const c = this.current.get(interval);
    if (c === undefined) throw new Error(`no candle for interval ${interval}`);
    return c;
  }

  /**
   * Advances the market by dtMs of model time (scaled by speed for price dynamics only, so trade
   * rates stay realistic when the simulation is accelerated).
   */
  step(now: number, dtMs: number, speed: number): StepOutput {
    const closed = this.rollCandles(now);
    this.sampleSeries(now);
    const rng = this.rng;
    const dtH = (dtMs * speed) / HOUR_MS;
    const sigmaH = this.spec.hourlyVol;

    // Volatility: fast GARCH(1,1) on the standardized shock times a slow log-volatility factor.
    this.garch = 1 - GARCH_ALPHA - GARCH_BETA + GARCH_ALPHA * this.garch * this.lastEps * this.lastEps + GARCH_BETA * this.garch;
    const phi = exp((-LN2 * dtH) / SLOW_VOL_HALF_LIFE_H);
    this.slowVol = phi * this.slowVol + SLOW_VOL_SD * sqrt(1 - phi * phi) * rng.normal();
    const varianceMult = this.garch * exp(2 * this.slowVol - 2 * SLOW_VOL_SD * SLOW_VOL_SD);
    const volMult = sqrt(varianceMult);

    // The flow shock moves both the aggressor mix and the price: buying pressure lifts the price.
    const flowShock = rng.normal();
    const eps = FLOW_PRICE_CORR * flowShock + sqrt(1 - FLOW_PRICE_CORR * FLOW_PRICE_CORR) * rng.normal();
    this.lastEps = eps;
    const ranging = this.effects.direction === 0;
    const deviation = this.x - this.anchor;
    const drift = ranging ? -(1 - exp((-LN2 * dtH) / RANGE_HALF_LIFE_H)) * deviation : this.effects.driftSigmaPerHour * sigmaH * dtH;
    const jump = this.pendingJumpTicks;
    this.pendingJumpTicks = undefined;
    const newX = jump !== undefined ? log(jump * this.spec.tick) : this.x + drift + sigmaH * sqrt(dtH) * volMult * eps;
    if (jump !== undefined) this.anchor = newX;

    const meanReversionBias = ranging ? -0.3 * max(-1, min(1, deviation / (2 * sigmaH))) : 0;
    const buyProb = logistic(this.effects.flowBias + meanReversionBias + FLOW_SHOCK * flowShock);
    const burst = this.burstTradesPerSecond;
    // A burst is exact (n = rate × dt), so a replay of it has a known trade rate.
    let n = burst !== undefined ? round((burst * dtMs) / 1000) : rng.poisson(((this.tradesPerSecond * dtMs) / 1000) * min(3, max(0.4, volMult)));
    if (jump !== undefined) n = max(1, n);
    // A jump is made by aggressive flow in its direction, all at the target price.
    const jumpSide: Side = jump !== undefined && jump < this.lastTradeTicks ? 'Sell' : 'Buy';

    const trades: SimTrade[] = [];
    let buyUnits = 0;
    let sellUnits = 0;
    const oneMinuteStart = this.currentCandle('1').start;
    for (let i = 0; i < n; i++) {
      let side: Side;
      let priceTicks: number;
      if (jump !== undefined) {
        side = jumpSide;
        priceTicks = jump;
      } else {
        side = rng.float() < buyProb ? 'Buy' : 'Sell';
        const xi = this.x + ((newX - this.x) * (i + 1)) / n;
        const touch = this.touchFor(exp(xi) / this.spec.tick);
        priceTicks = side === 'Buy' ? touch.ask : touch.bid;
      }
      const block = rng.float() < 0.0005;
      const units = max(1, round(this.meanTradeUnits * exp(TRADE_SIZE_SIGMA * rng.normal() - (TRADE_SIZE_SIGMA * TRADE_SIZE_SIGMA) / 2) * (block ? 20 : 1)));
      const time = max(now - (n - 1 - i), this.lastTradeTime, oneMinuteStart);
      // The draws stay in the order they always had (tick direction, id, sequence step, RPI): the same seed, the same market.
      const tickDirection = this.nextTickDirection(priceTicks);
      const id = rng.uuid();
      this.crossSeq += 1 + rng.int(4);
      const trade: SimTrade = { time, side, units, priceTicks, tickDirection, id, seq: this.crossSeq, blockTrade: block, rpi: rng.float() < 0.02 };
      this.recordTrade(trade);
      trades.push(trade);
      if (side === 'Buy') buyUnits += units;
      else sellUnits += units;
    }
    this.x = newX;

    // Book: the touch follows the mid; a jump puts the touch on the jump price's side.
    let touch = this.touchFor(exp(newX) / this.spec.tick);
    if (jump !== undefined) {
      touch = jumpSide === 'Sell' ? { bid: jump, ask: jump + this.spreadTicks } : { bid: max(1, jump - this.spreadTicks), ask: jump };
    }
    this.book.recenter(touch.bid, touch.ask, rng);
    if (buyUnits > 0) this.book.consume('ask', buyUnits);
    if (sellUnits > 0) this.book.consume('bid', sellUnits);
    this.book.churn(rng, rng.poisson(2 + (dtMs / 100) * 2));
    this.bookVersion++;
    this.crossSeq += 1 + rng.int(8);
    this.markTicks += 0.3 * (exp(newX) / this.spec.tick - this.markTicks);

    this.updateSlowSeries(dtH, rng);
    const liquidations = this.maybeLiquidate(now, dtMs, eps, rng);
    return { market: this, trades, liquidations, closed };
  }

  private touchFor(midTicks: number): { bid: number; ask: number } {
    const bid = max(1, floor(midTicks - this.spreadTicks / 2));
    return { bid, ask: bid + this.spreadTicks };
  }

  private nextTickDirection(priceTicks: number): TickDirection {
    if (priceTicks > this.lastTradeTicks) return 'PlusTick';
    if (priceTicks < this.lastTradeTicks) return 'MinusTick';
    return this.tickDirection === 'PlusTick' || this.tickDirection === 'ZeroPlusTick' ? 'ZeroPlusTick' : 'ZeroMinusTick';
  }

  private recordTrade(t: SimTrade): void {
    this.lastTradeTicks = t.priceTicks;
    this.lastTradeId = t.id;
    this.lastTradeTime = t.time;
    this.tickDirection = t.tickDirection;
    this.tradeCount++;
    const volume = t.units * this.spec.qty;
    if (t.blockTrade) this.flow.blockTrades++;
    if (t.rpi) this.flow.rpiTrades++;
    if (!t.blockTrade && !t.rpi) {
      this.flow.ordinaryTrades++;
      if (t.side === 'Buy') this.flow.buyVolume += volume;
      else this.flow.sellVolume += volume;
    }
    const quote = t.units * this.spec.qty * t.priceTicks * this.spec.tick;
    for (const c of this.current.values()) applyTrade(c, t.priceTicks, t.units, quote);
    this.recent.push(t);
    if (this.recent.length > RECENT_TRADES) this.recent.shift();
  }

  /** Closes every candle whose interval ended before `now`; empty candles fill paused stretches. */
  private rollCandles(now: number): Map<KlineInterval, CandleValues[]> | undefined {
    let closed: Map<KlineInterval, CandleValues[]> | undefined;
    for (const interval of KLINE_INTERVALS) {
      const ms = INTERVAL_MS[interval];
      let c = this.currentCandle(interval);
      if (now < c.start + ms) continue;
      const list: CandleValues[] = [];
      const ring = this.closedLive.get(interval);
      // After a very long pause only the most recent empty candles are worth materialising.
      const missed = floor((now - c.start) / ms);
      if (missed > LIVE_CANDLES) {
        this.closeCandle(interval, c, ring, list);
        c = emptyCandle(floor(now / ms) * ms - LIVE_CANDLES * ms, c.close);
      }
      while (now >= c.start + ms) {
        this.closeCandle(interval, c, ring, list);
        c = emptyCandle(c.start + ms, c.close);
      }
      this.current.set(interval, c);
      closed ??= new Map();
      closed.set(interval, list.slice(-3));
    }
    return closed;
  }

  private closeCandle(interval: KlineInterval, c: CandleValues, ring: ClosedCandles | undefined, list: CandleValues[]): void {
    ring?.push(c);
    list.push(c);
    if (interval === '1') this.day.push(c);
  }

  private sampleSeries(now: number): void {
    while (now >= this.nextSampleAt) {
      setCapped(this.oiSamples, this.nextSampleAt, this.openInterest);
      setCapped(this.ratioSamples, this.nextSampleAt, this.buyRatio);
      this.nextSampleAt += SAMPLE_MS;
    }
    const fundingMs = this.fundingIntervalMs();
    while (now >= this.nextFundingTime) {
      setCapped(this.fundingSamples, this.nextFundingTime, this.fundingRate);
      this.nextFundingTime += fundingMs;
    }
  }

  private updateSlowSeries(dtH: number, rng: Rng): void {
    const e = this.effects;
    const rootDt = sqrt(dtH);
    let logOi = log(this.openInterest) + e.oiGrowthPerHour * dtH + 0.004 * rootDt * rng.normal();
    if (e.direction === 0) logOi -= (1 - exp(-dtH / 12)) * (logOi - log(this.oiBase));
    this.openInterest = exp(logOi);
    this.fundingRate += (1 - exp(-dtH / 2)) * (e.fundingTarget - this.fundingRate) + 0.00003 * rootDt * rng.normal();
    this.fundingRate = max(-FUNDING_CAP, min(FUNDING_CAP, this.fundingRate));
    this.buyRatio += (1 - exp(-dtH / 3)) * (e.buyRatioTarget - this.buyRatio) + 0.01 * rootDt * rng.normal();
    this.buyRatio = max(0.05, min(0.95, this.buyRatio));
  }

  /** Rare forced closes, more likely on big moves; longs get liquidated when the price drops. */
  private maybeLiquidate(now: number, dtMs: number, eps: number, rng: Rng): SimLiquidation[] {
    const p = ((LIQUIDATIONS_PER_S * dtMs) / 1000) * (0.3 + 0.7 * eps * eps) * (1 + 0.5 * abs(this.effects.direction));
    if (rng.float() >= p) return [];
    const longLiquidated = rng.float() < logistic(-2 * eps - 0.5 * this.effects.direction);
    const units = max(1, round(this.meanTradeUnits * exp(1 + 0.8 * rng.normal())));
    this.openInterest = max(this.openInterest * 0.5, this.openInterest - units * this.spec.qty);
    return [{ time: now, side: longLiquidated ? 'Buy' : 'Sell', units, priceTicks: this.lastTradeTicks }];
  }

  fundingIntervalMs(): number {
    return max(60, this.spec.fundingIntervalMin || 480) * MINUTE_MS;
  }

  ticker(): SimTicker {
    const s = this.spec;
    const one = this.currentCandle('1');
    const prev24 = this.day.prevPrice24h || one.open;
    const mark = round(this.markTicks);
    const oiUnits = round(this.openInterest / s.qty);
    return {
      symbol: s.symbol,
      tickDirection: this.tickDirection,
      change24h: this.lastTradeTicks / prev24 - 1,
      lastTicks: this.lastTradeTicks,
      prev24hTicks: prev24,
      high24hTicks: max(this.day.high24h, one.high),
      low24hTicks: min(this.day.low24h, one.low),
      prev1hTicks: this.day.prevPrice1h || one.open,
      markTicks: mark,
      indexTicks: max(1, round(this.markTicks * (1 - this.fundingRate * 0.5))),
      openInterestUnits: oiUnits,
      openInterestValue: oiUnits * s.qty * mark * s.tick,
      turnover24h: this.turnover24h(),
      volume24h: (this.day.volume24h + one.volume) * s.qty,
      nextFundingTime: this.nextFundingTime,
      fundingRate: this.fundingRate,
      bid1Ticks: this.book.bestBid(),
      bid1Units: this.book.bids[0]?.units ?? 0,
      ask1Ticks: this.book.bestAsk(),
      ask1Units: this.book.asks[0]?.units ?? 0,
      fundingIntervalHours: this.fundingIntervalMs() / HOUR_MS,
      fundingCap: FUNDING_CAP,
    };
  }

  /** Turnover of the rolling 24 h window (drives the top-N ranking). */
  turnover24h(): number {
    if (this.turnoverOverride !== undefined) return this.turnoverOverride;
    return this.day.turnover24h + this.currentCandle('1').turnover;
  }

  /** Newest first: live candles, then the backfill. `start`/`end` filter candle start times. */
  klines(interval: KlineInterval, start: number | undefined, end: number | undefined, limit: number): CandleValues[] {
    const out: CandleValues[] = [];
    const accept = (c: CandleValues): boolean | 'stop' => {
      if (start !== undefined && c.start < start) return 'stop';
      if (end !== undefined && c.start > end) return false;
      out.push(c);
      return out.length >= limit ? 'stop' : true;
    };
    if (accept(this.currentCandle(interval)) === 'stop') return out;
    const ring = this.closedLive.get(interval);
    if (ring !== undefined) {
      for (let i = ring.length - 1; i >= 0; i--) if (accept(ring.at(i)) === 'stop') return out;
    }
    for (let k = 1; k <= this.history.closedCount(interval); k++) {
      if (accept(this.history.candle(interval, k)) === 'stop') return out;
    }
    return out;
  }

  recentTrades(limit: number): SimTrade[] {
    return this.recent.slice(-limit).reverse();
  }

  /** Open interest at interval boundaries ≤ until, newest first. */
  openInterestSeries(intervalMs: number, until: number, from: number | undefined, limit: number): SeriesPoint[] {
    return this.series(intervalMs, until, from, limit, this.oiSamples, this.openInterest, (t) => this.history.openInterestAt(t));
  }

  buyRatioSeries(intervalMs: number, until: number, from: number | undefined, limit: number): SeriesPoint[] {
    return this.series(intervalMs, until, from, limit, this.ratioSamples, this.buyRatio, (t) => this.history.buyRatioAt(t));
  }

  fundingSeries(until: number, from: number | undefined, limit: number): SeriesPoint[] {
    return this.series(this.fundingIntervalMs(), until, from, limit, this.fundingSamples, this.fundingRate, (t) => this.history.fundingRateAt(t));
  }

  private series(
    intervalMs: number,
    until: number,
    from: number | undefined,
    limit: number,
    samples: ReadonlyMap<number, number>,
    currentValue: number,
    past: (t: number) => number,
  ): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    const oldest = this.history.startTime - 400 * 24 * HOUR_MS;
    for (let t = floor(until / intervalMs) * intervalMs; out.length < limit && t >= oldest; t -= intervalMs) {
      if (from !== undefined && t < from) break;
      const value = t < this.history.startTime ? past(t) : (samples.get(t) ?? currentValue);
      out.push({ time: t, value });
    }
    return out;
  }
}

function logistic(z: number): number {
  return 1 / (1 + exp(-z));
}

function setCapped(map: Map<number, number>, key: number, value: number): void {
  map.set(key, value);
  if (map.size > MAX_SAMPLES) {
    const first = map.keys().next();
    if (first.done !== true) map.delete(first.value);
  }
}
