// The simulated linear universe: ~20 hand-made instruments with realistic price scales and
// distinct turnover (so a top-N-by-turnover ranking is meaningful), synthetic SIMnnnUSDT
// instruments beyond them, and a few non-tradable or non-USDT listings so filters get exercised.
import { decimalsOf, floorPow10, stepString } from './decimal';
import { hashUnit } from './rng';

export type ContractType = 'LinearPerpetual' | 'LinearFutures';
export type InstrumentStatus = 'Trading' | 'PreLaunch' | 'Settling' | 'Delivering' | 'Closed';
export const INSTRUMENT_STATUSES: readonly InstrumentStatus[] = ['Trading', 'PreLaunch', 'Settling', 'Delivering', 'Closed'];

export interface InstrumentSpec {
  readonly symbol: string;
  readonly baseCoin: string;
  readonly quoteCoin: 'USDT' | 'USDC';
  readonly contractType: ContractType;
  readonly status: InstrumentStatus;
  /** Tick and quantity step exactly as Bybit writes them (BTCUSDT's tick is "0.10"). */
  readonly tickSize: string;
  readonly qtyStep: string;
  /** Decimals of prices on the wire. */
  readonly priceScale: number;
  readonly tick: number;
  readonly qty: number;
  readonly qtyDecimals: number;
  /** Start price, on the tick grid. */
  readonly basePrice: number;
  /** Quote turnover per 24 h the live market aims at. */
  readonly turnover24h: number;
  /** Standard deviation of the log price over one hour. */
  readonly hourlyVol: number;
  readonly launchTime: number;
  readonly fundingIntervalMin: number;
  readonly maxLeverage: number;
  /** Whether the simulator runs a live market for it (WS topics, tickers, klines…). */
  readonly simulated: boolean;
  /** 0 for perpetuals. */
  readonly deliveryTime: number;
  /** Bybit's asset class of a non-crypto contract ("commodity", "stock", "etf", "forex"); "" for crypto. */
  readonly symbolType: string;
}

export const MAX_SYMBOLS = 1000;
const SYNTHETIC_KEY = 0x5151;

interface HandMade {
  readonly symbol: string;
  readonly base: string;
  readonly price: number;
  readonly tick: string;
  readonly qty: string;
  readonly turnover: number;
  readonly vol: number;
  readonly lev: number;
  readonly fundingMin: number;
  readonly launch: number;
}

// Prices and tick sizes follow the real contracts (late 2025); turnover strictly decreasing.
const HAND_MADE: readonly HandMade[] = [
  { symbol: 'BTCUSDT', base: 'BTC', price: 95000, tick: '0.10', qty: '0.001', turnover: 8.0e9, vol: 0.006, lev: 100, fundingMin: 480, launch: 1585526400000 },
  { symbol: 'ETHUSDT', base: 'ETH', price: 3500, tick: '0.01', qty: '0.01', turnover: 5.0e9, vol: 0.008, lev: 100, fundingMin: 480, launch: 1615766400000 },
  { symbol: 'SOLUSDT', base: 'SOL', price: 180, tick: '0.01', qty: '0.1', turnover: 2.6e9, vol: 0.011, lev: 75, fundingMin: 480, launch: 1633046400000 },
  { symbol: 'XRPUSDT', base: 'XRP', price: 2.3, tick: '0.0001', qty: '1', turnover: 1.7e9, vol: 0.012, lev: 75, fundingMin: 480, launch: 1620172800000 },
  { symbol: 'DOGEUSDT', base: 'DOGE', price: 0.35, tick: '0.00001', qty: '1', turnover: 1.25e9, vol: 0.014, lev: 75, fundingMin: 480, launch: 1620345600000 },
  {
    symbol: '1000PEPEUSDT',
    base: '1000PEPE',
    price: 0.012,
    tick: '0.0000001',
    qty: '100',
    turnover: 7.0e8,
    vol: 0.02,
    lev: 50,
    fundingMin: 240,
    launch: 1683072000000,
  },
  { symbol: 'SUIUSDT', base: 'SUI', price: 3.6, tick: '0.0001', qty: '10', turnover: 5.8e8, vol: 0.016, lev: 50, fundingMin: 480, launch: 1683158400000 },
  { symbol: 'ADAUSDT', base: 'ADA', price: 0.95, tick: '0.0001', qty: '1', turnover: 4.6e8, vol: 0.013, lev: 75, fundingMin: 480, launch: 1618790400000 },
  { symbol: 'WIFUSDT', base: 'WIF', price: 2.1, tick: '0.0001', qty: '1', turnover: 3.9e8, vol: 0.022, lev: 50, fundingMin: 240, launch: 1705449600000 },
  { symbol: 'LINKUSDT', base: 'LINK', price: 21, tick: '0.001', qty: '0.1', turnover: 3.3e8, vol: 0.013, lev: 75, fundingMin: 480, launch: 1617321600000 },
  { symbol: 'BNBUSDT', base: 'BNB', price: 690, tick: '0.01', qty: '0.01', turnover: 2.9e8, vol: 0.009, lev: 75, fundingMin: 480, launch: 1614556800000 },
  { symbol: 'AVAXUSDT', base: 'AVAX', price: 38, tick: '0.001', qty: '0.1', turnover: 2.5e8, vol: 0.014, lev: 75, fundingMin: 480, launch: 1632096000000 },
  { symbol: 'LTCUSDT', base: 'LTC', price: 105, tick: '0.01', qty: '0.1', turnover: 2.1e8, vol: 0.012, lev: 75, fundingMin: 480, launch: 1608768000000 },
  { symbol: 'NEARUSDT', base: 'NEAR', price: 5.2, tick: '0.001', qty: '0.1', turnover: 1.8e8, vol: 0.016, lev: 50, fundingMin: 480, launch: 1634515200000 },
  { symbol: 'DOTUSDT', base: 'DOT', price: 7.1, tick: '0.001', qty: '0.1', turnover: 1.6e8, vol: 0.014, lev: 75, fundingMin: 480, launch: 1614643200000 },
  { symbol: 'ARBUSDT', base: 'ARB', price: 0.78, tick: '0.0001', qty: '0.1', turnover: 1.45e8, vol: 0.017, lev: 50, fundingMin: 480, launch: 1679616000000 },
  { symbol: 'APTUSDT', base: 'APT', price: 9.4, tick: '0.001', qty: '0.01', turnover: 1.3e8, vol: 0.016, lev: 50, fundingMin: 480, launch: 1666051200000 },
  { symbol: 'TONUSDT', base: 'TON', price: 5.5, tick: '0.0001', qty: '0.1', turnover: 1.15e8, vol: 0.013, lev: 50, fundingMin: 480, launch: 1694995200000 },
  { symbol: 'OPUSDT', base: 'OP', price: 1.9, tick: '0.0001', qty: '0.1', turnover: 1.0e8, vol: 0.017, lev: 50, fundingMin: 480, launch: 1655251200000 },
  { symbol: 'TRXUSDT', base: 'TRX', price: 0.25, tick: '0.00001', qty: '1', turnover: 8.8e7, vol: 0.008, lev: 75, fundingMin: 480, launch: 1617235200000 },
];

export const HAND_MADE_COUNT = HAND_MADE.length;

function makeSpec(h: HandMade, overrides: Partial<InstrumentSpec> = {}): InstrumentSpec {
  const tick = Number(h.tick);
  return {
    symbol: h.symbol,
    baseCoin: h.base,
    quoteCoin: 'USDT',
    contractType: 'LinearPerpetual',
    status: 'Trading',
    tickSize: h.tick,
    qtyStep: h.qty,
    // BTCUSDT writes its 0.10 tick with two decimals; priceScale follows the tick string.
    priceScale: decimalsOf(h.tick),
    tick,
    qty: Number(h.qty),
    qtyDecimals: decimalsOf(h.qty),
    basePrice: Math.round(h.price / tick) * tick,
    turnover24h: h.turnover,
    hourlyVol: h.vol,
    launchTime: h.launch,
    fundingIntervalMin: h.fundingMin,
    maxLeverage: h.lev,
    simulated: true,
    deliveryTime: 0,
    symbolType: '',
    ...overrides,
  };
}

/** Non-crypto asset classes Bybit lists as USDT perpetuals (symbolType), with their share among synthetic ones. */
const TRADFI_TYPES = ['stock', 'commodity', 'etf', 'forex'] as const;
/** About 180 of 800 instruments on Bybit are stock, commodity, ETF or FX perpetuals. */
export const TRADFI_SHARE = 0.225;

/** Hand-made non-crypto perpetuals (SIM_TRADFI): gold ranks among the top crypto by turnover, as it does on Bybit. */
const TRADFI_HAND_MADE: readonly (HandMade & { readonly type: string })[] = [
  {
    symbol: 'XAUUSDT',
    base: 'XAU',
    price: 2650,
    tick: '0.01',
    qty: '0.01',
    turnover: 3.0e9,
    vol: 0.003,
    lev: 50,
    fundingMin: 480,
    launch: 1719792000000,
    type: 'commodity',
  },
  {
    symbol: 'NVDAUSDT',
    base: 'NVDA',
    price: 140,
    tick: '0.01',
    qty: '0.1',
    turnover: 9.0e8,
    vol: 0.006,
    lev: 25,
    fundingMin: 480,
    launch: 1735689600000,
    type: 'stock',
  },
  {
    symbol: 'XAGUSDT',
    base: 'XAG',
    price: 31,
    tick: '0.001',
    qty: '0.1',
    turnover: 4.0e8,
    vol: 0.005,
    lev: 25,
    fundingMin: 480,
    launch: 1719792000000,
    type: 'commodity',
  },
];

/** Synthetic instrument n (1-based position in the universe, n > HAND_MADE_COUNT). */
function syntheticSpec(n: number, tradfi = false): InstrumentSpec {
  const u = hashUnit(SYNTHETIC_KEY, n, 1);
  const price = 10 ** (-4 + 7.7 * u);
  const tick = floorPow10(price) / 1e4;
  const qtyRaw = Math.min(1e4, Math.max(1e-3, floorPow10(2 / price)));
  const tickSize = stepString(tick);
  const qtyStep = stepString(qtyRaw);
  const fundingPick = hashUnit(SYNTHETIC_KEY, n, 2);
  const id = String(n).padStart(3, '0');
  return makeSpec(
    {
      symbol: `SIM${id}USDT`,
      base: `SIM${id}`,
      price,
      tick: tickSize,
      qty: qtyStep,
      // Geometric decay keeps every turnover distinct and below the hand-made ones.
      turnover: 8.0e7 * 0.99 ** (n - HAND_MADE_COUNT),
      vol: 0.01 + 0.015 * hashUnit(SYNTHETIC_KEY, n, 3),
      lev: [25, 50, 75][Math.floor(hashUnit(SYNTHETIC_KEY, n, 4) * 3)],
      fundingMin: fundingPick < 0.05 ? 60 : fundingPick < 0.3 ? 240 : 480,
      launch: 1609459200000 + Math.floor(hashUnit(SYNTHETIC_KEY, n, 5) * 1500) * 86400000,
    },
    { symbolType: tradfi ? tradfiType(n) : '' },
  );
}

function tradfiType(n: number): string {
  const u = hashUnit(SYNTHETIC_KEY, n, 6);
  return u < TRADFI_SHARE ? TRADFI_TYPES[Math.floor((u / TRADFI_SHARE) * TRADFI_TYPES.length)] : '';
}

/** Listings without a live market, so consumers must filter on status, contract type and quote coin. */
function extraSpecs(): InstrumentSpec[] {
  return [
    makeSpec(
      { symbol: 'BIOUSDT', base: 'BIO', price: 0.5, tick: '0.0001', qty: '1', turnover: 0, vol: 0.02, lev: 5, fundingMin: 480, launch: 1735032510000 },
      { status: 'PreLaunch', simulated: false },
    ),
    makeSpec(
      { symbol: 'SRMUSDT', base: 'SRM', price: 0.05, tick: '0.00001', qty: '1', turnover: 0, vol: 0.02, lev: 25, fundingMin: 480, launch: 1617235200000 },
      { status: 'Closed', simulated: false },
    ),
    makeSpec(
      {
        symbol: 'BTCUSDT-26JUN26',
        base: 'BTC',
        price: 97000,
        tick: '0.10',
        qty: '0.001',
        turnover: 0,
        vol: 0.006,
        lev: 50,
        fundingMin: 0,
        launch: 1735200000000,
      },
      { contractType: 'LinearFutures', simulated: false, deliveryTime: 1782460800000 },
    ),
    makeSpec(
      { symbol: 'BTCPERP', base: 'BTC', price: 95000, tick: '0.10', qty: '0.001', turnover: 0, vol: 0.006, lev: 100, fundingMin: 480, launch: 1667260800000 },
      { quoteCoin: 'USDC', simulated: false },
    ),
    makeSpec(
      { symbol: 'ETHPERP', base: 'ETH', price: 3500, tick: '0.01', qty: '0.01', turnover: 0, vol: 0.008, lev: 100, fundingMin: 480, launch: 1667260800000 },
      { quoteCoin: 'USDC', simulated: false },
    ),
  ];
}

export interface Universe {
  /** Instruments with a live market, in universe order (hand-made first, then synthetic). */
  readonly simulated: readonly InstrumentSpec[];
  /** Every listed instrument, sorted by symbol as Bybit pages them. */
  readonly listed: readonly InstrumentSpec[];
}

/**
 * `tradfi`: also list non-crypto perpetuals the way Bybit does (symbolType set): the three hand-made ones above (on
 * top of `count`) and about 22 % of the synthetic ones.
 */
export function buildUniverse(count: number, tradfi = false): Universe {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYMBOLS) {
    throw new RangeError(`symbol count must be an integer in 1..${MAX_SYMBOLS}, got ${count}`);
  }
  const simulated: InstrumentSpec[] = [];
  for (let n = 1; n <= count; n++) {
    simulated.push(n <= HAND_MADE_COUNT ? makeSpec(HAND_MADE[n - 1]) : syntheticSpec(n, tradfi));
  }
  if (tradfi) for (const h of TRADFI_HAND_MADE) simulated.push(makeSpec(h, { symbolType: h.type }));
  const listed = [...simulated, ...extraSpecs()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { simulated, listed };
}
