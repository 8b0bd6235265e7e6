import { TIMEFRAMES, type ComponentName } from '@confluence/contracts';
import type { EngineConfig } from './config';
import { clamp, freshnessRamp } from './math';
import { TIMEFRAME_MS } from './series';
import { newestTradeTs } from './trades';
import type { MarketSnapshot } from './types';

export interface Confidence {
  readonly value: number;
  readonly agreement: number;
  readonly completeness: number;
  readonly freshness: number;
}

export interface ComponentOutcome {
  readonly name: ComponentName;
  /** Unrounded score, null when unavailable. */
  readonly score: number | null;
  /** Share of the component's configured sub-weight that was computed. */
  readonly completeness: number;
}

/**
 * Confidence = agreement × completeness × freshness, each in 0–1.
 *
 * - agreement: with dᵢ = (scoreᵢ − 50)/50 for the available components, eᵢ their effective weights and
 *   D = Σ eᵢ·dᵢ = (overall − 50)/50, agreement = clamp(1 − Σ eᵢ·|dᵢ − D|, 0, 1): 1 when every component says the
 *   same as the overall score, 0 when they split evenly to opposite extremes. 0 without a score.
 * - completeness: Σ over configured components of weight_c × (share of the component's sub-weight that was computed);
 *   a null component adds 0.
 * - freshness: mean over the inputs present (book, newest trade, ticker, candles) of a ramp that is 1 up to a fresh age
 *   and 0 from a stale age (config.freshness; candles by bars of their own timeframe, age from the newest candle's end,
 *   averaged over the timeframes that have candles). 0 when no input is present.
 */
export function computeConfidence(
  outcomes: readonly ComponentOutcome[],
  overall: number | null,
  snapshot: MarketSnapshot,
  now: number,
  config: EngineConfig,
): Confidence {
  let agreement = 0;
  if (overall !== null) {
    let wsum = 0;
    for (const o of outcomes) if (o.score !== null) wsum += config.componentWeights[o.name];
    const D = (overall - 50) / 50;
    let dispersion = 0;
    if (wsum > 0) {
      for (const o of outcomes) {
        if (o.score === null) continue;
        dispersion += (config.componentWeights[o.name] / wsum) * Math.abs((o.score - 50) / 50 - D);
      }
    }
    agreement = clamp(1 - dispersion, 0, 1);
  }

  let completeness = 0;
  for (const o of outcomes) if (o.score !== null) completeness += config.componentWeights[o.name] * o.completeness;
  completeness = clamp(completeness, 0, 1);

  const freshness = computeFreshness(snapshot, now, config);
  return { value: clamp(agreement * completeness * freshness, 0, 1), agreement, completeness, freshness };
}

export function computeFreshness(s: MarketSnapshot, now: number, config: EngineConfig): number {
  const f = config.freshness;
  const parts: number[] = [];
  if (s.book !== undefined) parts.push(freshnessRamp(now - s.book.ts, f.book.freshMs, f.book.staleMs));
  const lastTrade = newestTradeTs(s.trades);
  if (lastTrade !== undefined) parts.push(freshnessRamp(now - lastTrade, f.trades.freshMs, f.trades.staleMs));
  if (s.ticker !== undefined) parts.push(freshnessRamp(now - s.ticker.ts, f.ticker.freshMs, f.ticker.staleMs));
  let candleSum = 0;
  let candleN = 0;
  for (const tf of TIMEFRAMES) {
    const c = s.candles[tf];
    if (c === undefined || c.length === 0) continue;
    const ms = TIMEFRAME_MS[tf];
    const age = now - (c[c.length - 1].start + ms);
    candleSum += freshnessRamp(age, f.candleFreshBars * ms, f.candleStaleBars * ms);
    candleN++;
  }
  if (candleN > 0) parts.push(candleSum / candleN);
  if (parts.length === 0) return 0;
  let sum = 0;
  for (const p of parts) sum += p;
  return sum / parts.length;
}
