// Which way each symbol's market leans. The default assignment guarantees a mix among the most
// traded symbols (a top-N dashboard then shows up, down and ranging markets side by side).
import type { InstrumentSpec } from './instruments';
import { Rng, hashString } from './rng';

export type Regime = 'up' | 'down' | 'range';
export const REGIMES: readonly Regime[] = ['up', 'down', 'range'];

export interface RegimeSetting {
  readonly regime: Regime;
  /** Multiplies trend drift, flow skew and funding/ratio tilt; 1 is the default. */
  readonly strength: number;
}

export const MAX_STRENGTH = 20;
/** How many of the most traded symbols get a balanced mix (5 up, 5 down, 5 range). */
export const BALANCED_TOP_N = 15;

export function isRegime(value: unknown): value is Regime {
  return value === 'up' || value === 'down' || value === 'range';
}

export function assignRegimes(
  simulated: readonly InstrumentSpec[],
  seed: number,
  overrides: ReadonlyMap<string, RegimeSetting> = new Map(),
): Map<string, RegimeSetting> {
  const rng = new Rng((seed ^ hashString('regimes')) >>> 0);
  const byTurnover = [...simulated].sort((a, b) => b.turnover24h - a.turnover24h);
  const top = byTurnover.slice(0, BALANCED_TOP_N);
  const pool: Regime[] = [];
  for (let i = 0; i < top.length; i++) pool.push(REGIMES[i % 3]);
  rng.shuffle(pool);
  const result = new Map<string, RegimeSetting>();
  byTurnover.forEach((spec, i) => {
    const regime = i < top.length ? pool[i] : REGIMES[rng.int(3)];
    const strength = Math.round((0.8 + 0.5 * rng.float()) * 100) / 100;
    result.set(spec.symbol, overrides.get(spec.symbol) ?? { regime, strength });
  });
  return result;
}

/** Trend drift per hour, in units of the symbol's hourly volatility, at strength 1: strong enough that a trend shows on 5-minute candles within an hour, as the trends a trader watches do. */
export const TREND_SIGMA_PER_HOUR = 1.5;
/** Half-life of a ranging market's pull back to its anchor. */
export const RANGE_HALF_LIFE_H = 6;

/** What a regime does to each part of the market; shared by the backfill and the live model. */
export interface RegimeEffects {
  readonly direction: -1 | 0 | 1;
  /** Drift of the log price per hour in hourly-volatility units. */
  readonly driftSigmaPerHour: number;
  /** Log-odds added to the probability that a trade's aggressor is the buyer. */
  readonly flowBias: number;
  readonly fundingTarget: number;
  readonly buyRatioTarget: number;
  /** Growth of log open interest per hour (trends attract positions). */
  readonly oiGrowthPerHour: number;
}

export function regimeEffects(setting: RegimeSetting): RegimeEffects {
  const direction = setting.regime === 'up' ? 1 : setting.regime === 'down' ? -1 : 0;
  const s = setting.strength;
  return {
    direction,
    driftSigmaPerHour: direction * TREND_SIGMA_PER_HOUR * s,
    flowBias: Math.max(-2, Math.min(2, direction * 0.5 * s)),
    fundingTarget: direction === 0 ? 0.00005 : direction * Math.min(0.0008, 0.0001 + 0.00025 * s),
    buyRatioTarget: 0.5 + direction * Math.min(0.3, 0.07 * s),
    oiGrowthPerHour: Math.abs(direction) * 0.008 * s,
  };
}

/** Parses "BTCUSDT:up,ETHUSDT:down:2,SOLUSDT:range" (optional strength after a second colon). */
export function parseRegimeOverrides(text: string): Map<string, RegimeSetting> {
  const result = new Map<string, RegimeSetting>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [symbol, regime, strengthText] = part.split(':').map((p) => p.trim());
    if (!symbol || !isRegime(regime)) {
      throw new Error(`"${part}" is not SYMBOL:up|down|range[:strength]`);
    }
    const strength = strengthText === undefined ? 1 : Number(strengthText);
    if (!Number.isFinite(strength) || strength <= 0 || strength > MAX_STRENGTH) {
      throw new Error(`"${part}": strength must be a number in (0, ${MAX_STRENGTH}]`);
    }
    result.set(symbol, { regime, strength });
  }
  return result;
}
