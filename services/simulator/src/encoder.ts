// The wire encoder: turns the market model's typed values (ticks, quantity steps, plain numbers) into Bybit v5
// frames and REST rows, with key order as in real captures (consumers must not rely on it, but matching it keeps
// fixtures and simulator output comparable). The shapes are the shared wire contract's, with every field present.
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
import { formatTrimmed } from './decimal';
import type { CandleValues } from './history';
import type { ContractType, InstrumentSpec, InstrumentStatus } from './instruments';
import type { SimLiquidation, SimTicker, SimTrade } from './symbol-market';

export type PriceLevelWire = WireLevel;

export type BookFrame = Required<Pick<WireEnvelope<Required<WireOrderbookData>>, 'topic' | 'type' | 'ts' | 'data' | 'cts'>>;

/** Ticker fields in the order Bybit sends them; the last four are sent empty or constant on perpetuals. */
export const TICKER_KEYS = [
  'symbol',
  'tickDirection',
  'price24hPcnt',
  'lastPrice',
  'prevPrice24h',
  'highPrice24h',
  'lowPrice24h',
  'prevPrice1h',
  'markPrice',
  'indexPrice',
  'openInterest',
  'openInterestValue',
  'turnover24h',
  'volume24h',
  'nextFundingTime',
  'fundingRate',
  'bid1Price',
  'bid1Size',
  'ask1Price',
  'ask1Size',
  'preOpenPrice',
  'preQty',
  'curPreListingPhase',
  'fundingIntervalHour',
  'fundingCap',
] as const;
export type TickerKey = (typeof TICKER_KEYS)[number];
/** A full ticker as the simulator sends it (every field a string). */
export type TickerWire = Record<TickerKey, string>;

export interface TickerFrame {
  topic: string;
  type: 'snapshot' | 'delta';
  data: Partial<TickerWire> & { symbol: string };
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

export function tradeWire(spec: InstrumentSpec, t: SimTrade): TradeWire {
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

export function liquidationWire(spec: InstrumentSpec, l: SimLiquidation): LiquidationWire {
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

export function tickerWire(spec: InstrumentSpec, t: SimTicker): TickerWire {
  return {
    symbol: t.symbol,
    tickDirection: t.tickDirection,
    price24hPcnt: t.change24h.toFixed(6),
    lastPrice: formatPrice(spec, t.lastTicks),
    prevPrice24h: formatPrice(spec, t.prev24hTicks),
    highPrice24h: formatPrice(spec, t.high24hTicks),
    lowPrice24h: formatPrice(spec, t.low24hTicks),
    prevPrice1h: formatPrice(spec, t.prev1hTicks),
    markPrice: formatPrice(spec, t.markTicks),
    indexPrice: formatPrice(spec, t.indexTicks),
    openInterest: formatQty(spec, t.openInterestUnits),
    openInterestValue: t.openInterestValue.toFixed(2),
    turnover24h: t.turnover24h.toFixed(4),
    volume24h: t.volume24h.toFixed(Math.max(4, spec.qtyDecimals)),
    nextFundingTime: String(t.nextFundingTime),
    fundingRate: formatTrimmed(t.fundingRate, 8),
    bid1Price: formatPrice(spec, t.bid1Ticks),
    bid1Size: formatQty(spec, t.bid1Units),
    ask1Price: formatPrice(spec, t.ask1Ticks),
    ask1Size: formatQty(spec, t.ask1Units),
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
    fundingIntervalHour: String(t.fundingIntervalHours),
    fundingCap: String(t.fundingCap),
  };
}

/** instruments-info item, field for field as Bybit sends it. */
export interface InstrumentInfoWire {
  symbol: string;
  contractType: ContractType;
  status: InstrumentStatus;
  baseCoin: string;
  quoteCoin: string;
  launchTime: string;
  deliveryTime: string;
  deliveryFeeRate: string;
  priceScale: string;
  leverageFilter: { minLeverage: string; maxLeverage: string; leverageStep: string };
  priceFilter: { minPrice: string; maxPrice: string; tickSize: string };
  lotSizeFilter: {
    maxOrderQty: string;
    minOrderQty: string;
    qtyStep: string;
    postOnlyMaxOrderQty: string;
    maxMktOrderQty: string;
    minNotionalValue: string;
  };
  unifiedMarginTrade: boolean;
  fundingInterval: number;
  settleCoin: string;
  copyTrading: string;
  upperFundingRate: string;
  lowerFundingRate: string;
  isPreListing: boolean;
  preListingInfo: PreListingInfoWire | null;
  riskParameters: { priceLimitRatioX: string; priceLimitRatioY: string };
  symbolType: string;
}

export interface PreListingInfoWire {
  curAuctionPhase: string;
  phases: { phase: string; startTime: string; endTime: string }[];
  auctionFeeInfo: { auctionFeeRate: string; takerFeeRate: string; makerFeeRate: string };
}

/** `status`: the instrument's current status when it has changed since listing (instrument-status control). */
export function toInstrumentInfo(spec: InstrumentSpec, status: InstrumentStatus = spec.status): InstrumentInfoWire {
  const maxQtyUnits = Math.max(1, Math.round(5e6 / spec.basePrice / spec.qty));
  const fmtQty = (units: number): string => formatQty(spec, units);
  const fmtPrice = (ticks: number): string => formatPrice(spec, ticks);
  const preListing = spec.status === 'PreLaunch';
  const t = spec.launchTime;
  return {
    symbol: spec.symbol,
    contractType: spec.contractType,
    status,
    baseCoin: spec.baseCoin,
    quoteCoin: spec.quoteCoin,
    launchTime: String(spec.launchTime),
    deliveryTime: String(spec.deliveryTime),
    deliveryFeeRate: spec.contractType === 'LinearFutures' ? '0.0005' : '',
    priceScale: String(spec.priceScale),
    leverageFilter: { minLeverage: '1', maxLeverage: spec.maxLeverage.toFixed(2), leverageStep: '0.01' },
    priceFilter: {
      minPrice: fmtPrice(1),
      maxPrice: fmtPrice(Math.round((spec.basePrice * 20) / spec.tick) - 2),
      tickSize: spec.tickSize,
    },
    lotSizeFilter: {
      maxOrderQty: fmtQty(maxQtyUnits),
      minOrderQty: spec.qtyStep,
      qtyStep: spec.qtyStep,
      postOnlyMaxOrderQty: fmtQty(maxQtyUnits),
      maxMktOrderQty: fmtQty(Math.max(1, Math.round(maxQtyUnits / 5))),
      minNotionalValue: '5',
    },
    unifiedMarginTrade: true,
    fundingInterval: spec.fundingIntervalMin,
    settleCoin: spec.quoteCoin,
    copyTrading: spec.simulated && spec.turnover24h > 1e8 ? 'both' : 'none',
    upperFundingRate: preListing ? '0.05' : '0.005',
    lowerFundingRate: preListing ? '-0.05' : '-0.005',
    isPreListing: preListing,
    preListingInfo: preListing
      ? {
          curAuctionPhase: 'CallAuction',
          phases: [
            { phase: 'CallAuction', startTime: String(t + 81090000), endTime: String(t + 84090000) },
            { phase: 'CallAuctionNoCancel', startTime: String(t + 84090000), endTime: String(t + 84390000) },
            { phase: 'CrossMatching', startTime: String(t + 84390000), endTime: String(t + 84690000) },
            { phase: 'ContinuousTrading', startTime: String(t + 84690000), endTime: '' },
          ],
          auctionFeeInfo: { auctionFeeRate: '0', takerFeeRate: '0.001', makerFeeRate: '0.0004' },
        }
      : null,
    riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
    symbolType: spec.symbolType,
  };
}
