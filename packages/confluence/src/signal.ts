import type { Timeframe } from '@confluence/contracts';

/**
 * Texts for the rationale: one for each side of 50 and one for "about neutral" (|score − 50| < 5). With `showRaw`,
 * the raw value (to that many decimals) follows the up/down text. The timeframe, if any, is appended ("… on 5m").
 * Module-level constants, so scoring allocates no strings for them.
 */
export interface Phrases {
  readonly up: string;
  readonly down: string;
  readonly flat: string;
  readonly showRaw?: number;
}

/** One computed sub-signal, before rounding. */
export interface Signal {
  readonly name: string;
  readonly timeframe: Timeframe | null;
  /** The measure before mapping (native units: RSI points, an imbalance in −1..1, bps …). */
  readonly raw: number | null;
  /** 0–100, 50 neutral; null when the input was not enough. */
  readonly score: number | null;
  /** Configured weight inside its component (for per-timeframe signals: sub-weight × timeframe weight). */
  readonly weight: number;
  /** Why the score is null, or how raw maps to the score. */
  readonly note: string | null;
  readonly phrases: Phrases | null;
}

export interface ComponentResult {
  readonly score: number | null;
  readonly reason: string | null;
  readonly signals: readonly Signal[];
  /** Share of the component's configured sub-weight that could be computed, 0–1. */
  readonly completeness: number;
  /** Factor (0–1] applied to the distance from 50 after combining (the order book's spread); 1 when absent. */
  readonly damping?: number;
}

export function missing(name: string, timeframe: Timeframe | null, weight: number, reason: string): Signal {
  return { name, timeframe, raw: null, score: null, weight, note: reason, phrases: null };
}

export function scored(name: string, timeframe: Timeframe | null, weight: number, raw: number, score: number, note: string, phrases: Phrases): Signal {
  if (!Number.isFinite(raw) || !Number.isFinite(score)) return missing(name, timeframe, weight, `non-finite value (raw ${raw}, score ${score})`);
  // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is +0; the engine's outputs stay bit for bit what they were
  return { name, timeframe, raw, score: score < 0 ? 0 : score > 100 ? 100 : score, weight, note, phrases };
}

/** The rationale text of a scored signal. */
export function phraseOf(s: Signal): string | null {
  if (s.phrases === null || s.score === null) return null;
  const p = s.phrases;
  const flat = Math.abs(s.score - 50) < 5;
  let text = flat ? p.flat : s.score > 50 ? p.up : p.down;
  if (!flat && p.showRaw !== undefined && s.raw !== null) text += ` ${s.raw.toFixed(p.showRaw)}`;
  if (s.timeframe !== null) text += ` on ${s.timeframe}`;
  return text;
}

/** Weighted mean over the available signals; completeness = available weight / configured weight. */
export function combine(signals: readonly Signal[], emptyReason: string): ComponentResult {
  let total = 0;
  let avail = 0;
  let acc = 0;
  for (const s of signals) {
    total += s.weight;
    if (s.score !== null && s.weight > 0) {
      avail += s.weight;
      acc += s.weight * s.score;
    }
  }
  const completeness = total > 0 ? avail / total : 0;
  if (avail <= 0) {
    const reasons = [...new Set(signals.filter((s) => s.score === null && s.weight > 0).map((s) => s.note ?? 'unavailable'))];
    const detail = reasons.length > 0 ? `: ${reasons.join('; ')}` : '';
    return { score: null, reason: truncate(`${emptyReason}${detail}`, 300), signals, completeness: 0 };
  }
  return { score: acc / avail, reason: null, signals, completeness };
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
