import { TIMEFRAMES, type ComponentName } from '@confluence/contracts';
import type { EngineConfig } from './config';
import { clamp, freshnessRamp } from './math';
import { TIMEFRAME_MS } from './series';
import { FUNDING_REFERENCE_MINUTES } from './components/sentiment';
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

/** A component this many points (of 50) from neutral on the overall score's side counts fully towards agreement. */
export const AGREEMENT_FULL_AT = 0.2;

/**
 * Confidence = agreement × completeness × freshness, each in 0–1.
 *
 * - agreement: do the components point the same way as the overall score? With dᵢ = (scoreᵢ − 50)/50 for the
 *   available components, eᵢ their effective weights and S = sign(overall − 50),
 *   agreement = clamp(Σ eᵢ·clamp(S·dᵢ / 0.2, −1, 1), 0, 1): a component 10 or more points on the overall's side adds
 *   its full weight, one at 50 adds nothing, one 10 or more points on the other side takes its weight away. All six
 *   bullish → 1; a flat range (everything near 50) → near 0; components split → near 0. 0 without a score or at
 *   exactly 50.
 * - completeness: Σ over configured components of weight_c × (share of the component's sub-weight that was computed);
 *   a null component adds 0. A feed that has not delivered (or is too old to use) is not computed, so it counts as
 *   missing, never as a neutral 50.
 * - freshness: mean over the inputs present of a ramp that is 1 up to the input's fresh age and 0 from its stale age:
 *   book, newest trade, ticker, candles (by bars of their own timeframe, averaged over timeframes), and the
 *   REST-polled inputs — newest open-interest point, newest long/short point, newest funding settlement (by the
 *   contract's own funding interval). 0 when no input is present.
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
    const side = Math.sign(overall - 50);
    let acc = 0;
    if (wsum > 0 && side !== 0) {
      for (const o of outcomes) {
        if (o.score === null) continue;
        acc += (config.componentWeights[o.name] / wsum) * clamp((side * (o.score - 50)) / 50 / AGREEMENT_FULL_AT, -1, 1);
      }
    }
    agreement = clamp(acc, 0, 1);
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
  const oi = s.openInterest.length > 0 ? s.openInterest[s.openInterest.length - 1] : undefined;
  if (oi !== undefined) parts.push(freshnessRamp(now - oi.ts, f.openInterest.freshMs, f.openInterest.staleMs));
  const ls = s.longShort.length > 0 ? s.longShort[s.longShort.length - 1] : undefined;
  if (ls !== undefined) parts.push(freshnessRamp(now - ls.ts, f.longShort.freshMs, f.longShort.staleMs));
  const fp = s.funding.length > 0 ? s.funding[s.funding.length - 1] : undefined;
  if (fp !== undefined) {
    const minutes = s.fundingIntervalMinutes !== undefined && s.fundingIntervalMinutes > 0 ? s.fundingIntervalMinutes : FUNDING_REFERENCE_MINUTES;
    // The newest settlement is normally less than one interval old; a little slack for the poll.
    const interval = minutes * 60_000;
    parts.push(freshnessRamp(now - fp.ts, interval * 1.25, interval * f.fundingStaleIntervals));
  }
  if (parts.length === 0) return 0;
  let sum = 0;
  for (const p of parts) sum += p;
  return sum / parts.length;
}
