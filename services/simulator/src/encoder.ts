// Wire shapes of the public linear stream and REST answers, with key order as in real captures
// (consumers must not rely on it, but matching it keeps fixtures and simulator output comparable).
// The shapes are the shared wire contract's, with every field present.
import {
  INTERVAL_MS,
  type KlineInterval,
  type RestEnvelope,
  type WireEnvelope,
  type WireKline,
  type WireLevel,
  type WireLiquidation,
  type WireOpResponse,
  type WireOrderbookData,
  type WireTrade,
} from '@confluence/bybit-wire';
import type { CandleValues } from './history';
import type { InstrumentSpec } from './instruments';
import type { LiquidationEvent, TickerFields, TradeEvent } from './symbol-market';

export type PriceLevelWire = WireLevel;

export type BookFrame = Required<Pick<WireEnvelope<Required<WireOrderbookData>>, 'topic' | 'type' | 'ts' | 'data' | 'cts'>>;

export interface TickerFrame {
  topic: string;
  type: 'snapshot' | 'delta';
  data: Partial<TickerFields> & { symbol: string };
  cs: number;
  ts: number;
}

export type TradeWire = Required<WireTrade>;
export type KlineWire = WireKline;
export type LiquidationWire = WireLiquidation;
export type CommandAnswer = Required<Pick<WireOpResponse, 'success' | 'ret_msg' | 'conn_id' | 'req_id' | 'op'>>;
/** Bybit's REST envelope, every field present. */
export type SimRestEnvelope<T> = Required<RestEnvelope<T>> & { retExtInfo: Record<string, never> };

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

export function envelope<T>(result: T, now: number, retCode = 0, retMsg = 'OK'): SimRestEnvelope<T> {
  return { retCode, retMsg, result, retExtInfo: {}, time: now };
}
