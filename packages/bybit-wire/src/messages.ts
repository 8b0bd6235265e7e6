/**
 * Raw Bybit v5 public (linear) wire types. Numbers are strings unless noted; `ts` fields are ms integers.
 * Optional fields are those a consumer must not rely on; a producer (the simulator) sends them all, in the key order
 * of real captures. These types describe what is expected: a consumer still checks every field it reads.
 */

export type WireSide = 'Buy' | 'Sell';
/** [price, size] */
export type WireLevel = [string, string];

export interface WireEnvelope<T> {
  topic: string;
  type: 'snapshot' | 'delta';
  ts: number;
  data: T;
  cs?: number;
  cts?: number;
}

export interface WireOrderbookData {
  s: string;
  b: WireLevel[];
  a: WireLevel[];
  u: number;
  seq?: number;
}

export interface WireTrade {
  T: number;
  s: string;
  S: WireSide;
  v: string;
  p: string;
  L?: string;
  i: string;
  BT?: boolean;
  RPI?: boolean;
  seq?: number;
}

export interface WireKline {
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

export interface WireLiquidation {
  T: number;
  s: string;
  S: WireSide;
  v: string;
  p: string;
}

/** Deprecated `liquidation.{SYMBOL}`: one object per message. */
export interface WireLegacyLiquidation {
  updatedTime: number;
  symbol: string;
  side: WireSide;
  size: string;
  price: string;
}

/** Ticker payload; every field may be absent in a delta, and futures send "" for fields that do not apply. */
export interface WireTicker {
  symbol: string;
  tickDirection?: string;
  lastPrice?: string;
  markPrice?: string;
  indexPrice?: string;
  price24hPcnt?: string;
  prevPrice24h?: string;
  highPrice24h?: string;
  lowPrice24h?: string;
  prevPrice1h?: string;
  turnover24h?: string;
  volume24h?: string;
  openInterest?: string;
  openInterestValue?: string;
  fundingRate?: string;
  /** A string of ms. */
  nextFundingTime?: string;
  bid1Price?: string;
  bid1Size?: string;
  ask1Price?: string;
  ask1Size?: string;
}

/** Answer to subscribe/unsubscribe and the linear pong (`op: "ping"`, `ret_msg: "pong"`). */
export interface WireOpResponse {
  success: boolean;
  ret_msg: string;
  conn_id?: string;
  req_id?: string;
  op: 'subscribe' | 'unsubscribe' | 'ping' | 'pong' | string;
  args?: string[];
}

export interface WireRequest {
  req_id?: string;
  op: 'subscribe' | 'unsubscribe' | 'ping';
  args?: string[];
}

/** REST envelope: `retCode ≠ 0` is an error even with HTTP 200. */
export interface RestEnvelope<T> {
  retCode: number;
  retMsg: string;
  result: T;
  retExtInfo?: unknown;
  time?: number;
}
