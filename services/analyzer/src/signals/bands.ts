import type { Direction } from '@confluence/contracts';

/**
 * Score bands of the scoreboard, aligned with the default direction thresholds (Bullish ≥ 60, Bearish ≤ 40):
 * ≤30 | (30, 40] | (40, 60) | [60, 70) | ≥70. A band's label is what the dashboard shows.
 */
export const SCORE_BANDS = ['≤30', '30–40', '40–60', '60–70', '≥70'] as const;
export type ScoreBand = (typeof SCORE_BANDS)[number];

export function bandIndex(score: number): number {
  if (score <= 30) return 0;
  if (score <= 40) return 1;
  if (score < 60) return 2;
  if (score < 70) return 3;
  return 4;
}

export function bandOf(score: number | null): ScoreBand | null {
  return score === null || !Number.isFinite(score) ? null : SCORE_BANDS[bandIndex(score)];
}

/** The "direction" of a single component score, by the same thresholds as the overall score. */
export function componentDirection(score: number): Direction {
  return score >= 60 ? 'Bullish' : score <= 40 ? 'Bearish' : 'Neutral';
}

/** 1 bullish, −1 bearish, 0 neutral or unknown: the sign a forward return must have to be a hit. */
export function directionSign(direction: Direction | null): -1 | 0 | 1 {
  return direction === 'Bullish' ? 1 : direction === 'Bearish' ? -1 : 0;
}
