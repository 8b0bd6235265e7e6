// Wire shapes of the public linear stream and REST answers, with key order as in real captures
// (consumers must not rely on it, but matching it keeps fixtures and simulator output comparable).
import type { CandleValues, KlineInterval } from './history';
import { INTERVAL_MS } from './history';
import type { InstrumentSpec } from './instruments';
import type { LiquidationEvent, TickerFields, TradeEvent } from './symbol-market';

export type PriceLevelWire = [price: string, size: string];

export interface BookFrame {
  topic: string;
  type: 'snapshot' | 'delta';
  ts: number;
  data: { s: string; b: PriceLevelWire[]; a: PriceLevelWire[]; u: number; seq: number };
  cts: number;
}

export interface TickerFrame {
  topic: string;
  type: 'snapshot' | 'delta';
  data: Partial<TickerFields> & { symbol: string };
  cs: number;
  ts: number;
}

export interface TradeWire {
  T: number;
  s: string;
  S: 'Buy' | 'Sell';
  v: string;
  p: string;
  L: string;
  i: string;
  BT: boolean;
  RPI: boolean;
  seq: number;
}

export interface KlineWire {
  start: number;
  end: number;
  interval: string;
  open: string;
  close: string;
  high: string;
  low: string;
  volume: string;
  turnover: string;
  confirm: boolean;
  timestamp: number;
}

export interface LiquidationWire {
  T: number;
  s: string;
  S: 'Buy' | 'Sell';
  v: string;
  p: string;
}

export interface CommandAnswer {
  success: boolean;
  ret_msg: string;
  conn_id: string;
  req_id: string;
  op: string;
}

/** Bybit's REST envelope. */
export interface RestEnvelope<T> {
  retCode: number;
  retMsg: string;
  result: T;
  retExtInfo: Record<string, never>;
  time: number;
}

export function formatPrice(spec: InstrumentSpec, ticks: number): string {
  return (ticks * spec.tick).toFixed(spec.priceScale);
}

export function formatQty(spec: InstrumentSpec, units: number): string {
  return (units * spec.qty).toFixed(spec.qtyDecimals);
}

export function tradeWire(spec: InstrumentSpec, t: TradeEvent): TradeWire {
  return {
    T: t.time,
    s: spec.symbol,
    S: t.side,
    v: formatQty(spec, t.units),
    p: formatPrice(spec, t.priceTicks),
    L: t.tickDirection,
    i: t.id,
    BT: t.blockTrade,
    RPI: t.rpi,
    seq: t.seq,
  };
}

export function liquidationWire(spec: InstrumentSpec, l: LiquidationEvent): LiquidationWire {
  return { T: l.time, s: spec.symbol, S: l.side, v: formatQty(spec, l.units), p: formatPrice(spec, l.priceTicks) };
}

export function klineWire(spec: InstrumentSpec, interval: KlineInterval, c: CandleValues, confirm: boolean, now: number): KlineWire {
  return {
    start: c.start,
    end: c.start + INTERVAL_MS[interval] - 1,
    interval,
    open: formatPrice(spec, c.open),
    close: formatPrice(spec, c.close),
    high: formatPrice(spec, c.high),
    low: formatPrice(spec, c.low),
    volume: formatQty(spec, c.volume),
    turnover: c.turnover.toFixed(4),
    confirm,
    timestamp: now,
  };
}

/** REST kline row: [startTime, open, high, low, close, volume, turnover]. */
export function klineRow(spec: InstrumentSpec, c: CandleValues): string[] {
  return [
    String(c.start),
    formatPrice(spec, c.open),
    formatPrice(spec, c.high),
    formatPrice(spec, c.low),
    formatPrice(spec, c.close),
    formatQty(spec, c.volume),
    c.turnover.toFixed(4),
  ];
}

export function envelope<T>(result: T, now: number, retCode = 0, retMsg = 'OK'): RestEnvelope<T> {
  return { retCode, retMsg, result, retExtInfo: {}, time: now };
}
