// What a sub-signal is, in words, shared by the producer and the readers of the contract: a detail carries each
// sub-signal's name and numbers, and the texts that are the same in every detail are here instead of in every one.
// (They were about a third of a detail's JSON: 15.4 KB → 10.5 KB, written every second for every symbol.)

/** Each sub-signal in a trader's words, as the dashboard and "why it moved" show it (`spread` only scales the book). */
export const SUB_SIGNAL_LABELS = {
  rsi: 'RSI',
  macd: 'MACD',
  ao: 'Awesome Oscillator',
  williamsR: 'Williams %R',
  cci: 'CCI',
  adx: 'ADX/DMI',
  relativeVolume: 'relative volume',
  obvTrend: 'OBV trend',
  cmf: 'Chaikin money flow',
  accumulationDistribution: 'accumulation/distribution',
  volumeDelta: 'volume delta',
  vwapPosition: 'VWAP position',
  cvdTrend: 'CVD trend',
  cvdPrice: 'CVD vs price',
  aggressorImbalance: 'aggressor imbalance',
  oiPrice: 'OI vs price',
  largeTrades: 'large trades',
  depthImbalance: 'depth imbalance',
  topImbalance: 'touch imbalance',
  depthBand10bps: 'depth within ±0.1 %',
  deepBook: 'deep book (beyond the top 10 levels)',
  walls: 'walls',
  absorption: 'absorption',
  emaPosition: 'EMA position',
  emaAlignment: 'EMA alignment',
  marketStructure: 'market structure',
  supportResistance: 'support/resistance',
  rangePosition: 'range position',
  funding: 'funding',
  longShort: 'long/short ratio',
  liquidations: 'liquidations',
  oiActivity: 'OI activity',
  spread: 'spread',
} as const satisfies Readonly<Record<string, string>>;

const LABELS: Readonly<Record<string, string>> = SUB_SIGNAL_LABELS;

/**
 * How a sub-signal's raw value maps to its score, for the sub-signals that always map it the same way. A detail's
 * sub-signal that scored by this formula has `reason: null`; any other note (why it is unavailable, a special case
 * such as flat closes, a formula with the window in it) is carried in `reason` itself.
 */
export const SUB_SIGNAL_FORMULAS = {
  rsi: 'score = RSI on 20..80, turning back at half slope beyond',
  macd: 'raw = histogram; score = 50 + 30·tanh(macd/ATR) + 20·tanh(3·hist/ATR)',
  ao: 'score = 50 + 50·tanh(AO/(3·ATR))',
  williamsR: 'score = 50 + 0.8·(%R + 50)',
  cci: 'score = 50 + 50·tanh(CCI/200)',
  adx: 'raw = ADX; score = 50 + 50·(+DI − −DI)/(+DI + −DI)·clamp((ADX − 10)/30, 0, 1)',
  relativeVolume: 'raw = rvol (3 vs 20 candles); score = 50 + 50·tanh(move/(2·ATR))·clamp((rvol − 0.5)/1.5, 0, 1)',
  obvTrend: 'raw = ΔOBV(20)/volume(20); score = 50 + 50·raw',
  cmf: 'score = 50 + 50·tanh(CMF/0.25)',
  accumulationDistribution: 'raw = Chaikin osc(3,10)/mean volume(10); score = 50 + 50·tanh(raw/2)',
  volumeDelta: 'raw = 5-min taker delta / typical 5-min volume; score = 50 + 50·tanh(raw/0.5)',
  vwapPosition: 'raw = (close − rolling VWAP(96))/ATR; score = 50 + 50·tanh(raw/2)',
  cvdTrend: 'raw = 15-min CVD / volume; score = 50 + 50·tanh(2·raw)',
  aggressorImbalance: 'raw = 60-s size-weighted imbalance r, l = 5-min; score = 50 + 50·tanh(1.5·(0.7r + 0.3(r − l)))',
  largeTrades: 'raw = (large buy − large sell)/taker volume, large = ≥ 4× mean size; score = 50 + 50·tanh(raw/0.15)',
  absorption: 'raw = (sells filled at the bid − buys filled at the ask)/taker volume, 60 s; score = 50 + 50·tanh(2·raw)',
  emaPosition: 'raw = (close − mean(EMA20, EMA50))/ATR; score = 50 + 50·tanh(raw/2)',
  emaAlignment: 'raw = (EMA20 − EMA50)/ATR; score = 50 + 50·tanh(raw/1.5)',
  marketStructure: 'raw = 0.6·swing trend + 0.4·break of structure; score = 50 + 50·raw',
  supportResistance: 'raw = (dR − dS)/(dR + dS), distances in ATR to the nearest swing cluster (cap 6); score = 50 + 40·raw',
  rangePosition: 'raw = position in the 50-candle range (0..1); score = 50 + 40·(2·raw − 1)',
  longShort: 'raw = long − short share; contrarian beyond 60/40: score = 50 − 40·tanh(deadband(raw, 0.2)/0.4)',
  liquidations: 'raw = (shorts − longs liquidated)/both over 15 min; score = 50 + 40·raw·magnitude',
  oiActivity: 'raw = ΔOI/volume over ~1 h; score = 50 + 50·p·tanh(raw/0.1) (halved when OI falls)',
} as const satisfies Readonly<Record<string, string>>;

const FORMULAS: Readonly<Record<string, string>> = SUB_SIGNAL_FORMULAS;

/**
 * A sub-signal's name in words: the label sent with it, else the catalogue's, else `unknown(name)` for a name this
 * build does not know (the identifier itself by default).
 */
export function subSignalLabel(s: { readonly name: string; readonly label?: string }, unknown: (name: string) => string = (n) => n): string {
  return s.label ?? LABELS[s.name] ?? unknown(s.name);
}

/** The note a reader shows for a sub-signal: its own reason, else (when it scored) its standard formula. */
export function subSignalNote(s: { readonly name: string; readonly score: number | null; readonly reason: string | null }): string | null {
  if (s.reason !== null) return s.reason;
  return s.score === null ? null : (FORMULAS[s.name] ?? null);
}

/** The `reason` a producer writes for a note: null when the note is the sub-signal's standard formula. */
export function subSignalReason(name: string, scored: boolean, note: string | null): string | null {
  if (note === null) return null;
  return scored && FORMULAS[name] === note ? null : note;
}
