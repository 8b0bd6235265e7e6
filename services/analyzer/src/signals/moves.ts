import type { SymbolScore } from '@confluence/confluence';
import { COMPONENT_NAMES, subSignalLabel, type ComponentDetail, type ComponentName, type ScoreMove, type SubSignalDetail } from '@confluence/contracts';

/** A change smaller than this (score points) is noise between two one-second generations, not a move. */
export const MIN_MOVE_POINTS = 0.5;
/** A component whose contribution changed by less than this is left out of the explanation. */
export const MIN_PART_POINTS = 0.1;

const LABEL: Record<ComponentName, string> = {
  technical: 'technical',
  volume: 'volume',
  orderflow: 'order flow',
  orderbook: 'order book',
  structure: 'structure',
  sentiment: 'sentiment',
};

/** Scores, deltas and contributions are reported to 0.1 point. */
function toTenth(x: number): number {
  return Math.round(x * 10) / 10;
}

function fmt(n: number): string {
  const r = toTenth(n);
  return `${r > 0 ? '+' : r < 0 ? '−' : '±'}${Math.abs(r)}`;
}

/** An identifier in words when the catalogue has no label for it: "cvdPrice" → "cvd price", "funding_rate" → "funding rate". */
function words(name: string): string {
  return name
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** The sub-signal whose weighted score moved most inside a component, in words ("cvd up", "funding rate down"). */
function cause(prev: ComponentDetail | undefined, next: ComponentDetail): string {
  if (next.score === null) return next.reason ? `unavailable: ${next.reason}`.slice(0, 200) : 'unavailable';
  if (!prev || prev.score === null) return 'available again';
  let best: { signal: SubSignalDetail; delta: number } | null = null;
  const before = new Map(prev.subSignals.map((s) => [`${s.name}|${s.timeframe ?? ''}`, s]));
  for (const s of next.subSignals) {
    const p = before.get(`${s.name}|${s.timeframe ?? ''}`);
    if (s.score === null || !p || p.score === null) continue;
    const delta = (s.score - p.score) * s.weight;
    if (!best || Math.abs(delta) > Math.abs(best.delta)) best = { signal: s, delta };
  }
  if (!best || best.delta === 0) return 'inputs shifted';
  const what = subSignalLabel(best.signal, words) + (best.signal.timeframe ? ` ${best.signal.timeframe}` : '');
  return `${what} ${best.delta > 0 ? 'up' : 'down'}`.slice(0, 200);
}

/** A component's push on the overall score, relative to neutral: effectiveWeight × (score − 50); 0 when unavailable. */
function push(c: ComponentDetail | undefined): number {
  return c && c.score !== null ? c.effectiveWeight * (c.score - 50) : 0;
}

function available(c: ComponentDetail | undefined): c is ComponentDetail & { score: number } {
  return c !== undefined && c.score !== null;
}

/**
 * Splits a score change into per-component parts that add up to it, each relative to neutral (50): the overall
 * score is 50 + Σ eᵢ·(sᵢ − 50), so a component at 50 pushes nothing.
 *
 * - A component scored in both generations is credited only with its own change: e'ᵢ·(s'ᵢ − sᵢ).
 * - A component that appeared or dropped out is credited with its push (+p' or −p) and with the re-weighting it
 *   caused: when it leaves, the others' effective weights grow, which moves the score by Σ (e'ᵢ − eᵢ)·(sᵢ − 50)
 *   although none of them changed. That belongs to the component that left (split by configured weight when several
 *   did), so a book resync never shows up as phantom moves of order flow or volume.
 */
export function attribute(prev: readonly ComponentDetail[], next: readonly ComponentDetail[]): Map<ComponentName, number> {
  const before = new Map(prev.map((c) => [c.name, c]));
  const after = new Map(next.map((c) => [c.name, c]));
  const parts = new Map<ComponentName, number>();
  let reweight = 0;
  const changed: ComponentName[] = [];
  for (const name of COMPONENT_NAMES) {
    const b = before.get(name);
    const a = after.get(name);
    if (available(b) && available(a)) {
      parts.set(name, a.effectiveWeight * (a.score - b.score));
      reweight += (a.effectiveWeight - b.effectiveWeight) * (b.score - 50);
    } else if (available(b) || available(a)) {
      parts.set(name, push(a) - push(b));
      changed.push(name);
    }
  }
  if (changed.length > 0) {
    const wsum = changed.reduce((acc, n) => acc + (after.get(n)?.weight ?? before.get(n)?.weight ?? 0), 0);
    for (const n of changed) {
      const w = after.get(n)?.weight ?? before.get(n)?.weight ?? 0;
      parts.set(n, (parts.get(n) ?? 0) + reweight * (wsum > 0 ? w / wsum : 1 / changed.length));
    }
  }
  return parts;
}

/**
 * "Why it moved": compares each symbol's score with its previous generation and attributes the change to
 * components (see `attribute`: relative to neutral, re-weighting credited to the component that appeared or left)
 * and, inside each, to the sub-signal that moved most.
 */
export function diffScores(prev: SymbolScore, next: SymbolScore, at: number): ScoreMove | null {
  if (prev.score === null && next.score === null) return null;
  // A score that appears or disappears is not a move of so many points from a made-up 50.
  const delta = prev.score !== null && next.score !== null ? next.score - prev.score : 0;
  const before = new Map(prev.components.map((c) => [c.name, c]));
  const after = new Map(next.components.map((c) => [c.name, c]));
  const attributed = attribute(prev.components, next.components);
  // The cause (a walk over sub-signals) is worked out only for the components that made the cut.
  const parts = [...attributed.entries()]
    .map(([component, d]) => ({ component, delta: toTenth(d) }))
    .filter((x) => Math.abs(x.delta) >= MIN_PART_POINTS)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .slice(0, 6)
    .map((x) => {
      const n = after.get(x.component);
      return { ...x, cause: n ? cause(before.get(x.component), n) : 'unavailable' };
    });
  const from = prev.score === null ? null : toTenth(prev.score);
  const to = next.score === null ? null : toTenth(next.score);
  const head = `${from ?? '—'} → ${to ?? '—'}`;
  const body = parts
    .slice(0, 3)
    .map((p) => `${LABEL[p.component]} ${fmt(p.delta)} (${p.cause})`)
    .join(', ');
  return { from, to, delta: toTenth(delta), at, summary: (body ? `${head}: ${body}` : head).slice(0, 400), parts };
}

/**
 * Compares each generation with the symbol's anchor — the result at its last recorded move — so a slow drift
 * of 0.1 point a second still becomes a move once it adds up, while one-second noise does not replace the
 * last meaningful explanation.
 */
export class MoveTracker {
  private readonly anchor = new Map<string, SymbolScore>();
  private readonly last = new Map<string, ScoreMove>();

  update(symbol: string, next: SymbolScore | null, at: number): ScoreMove | null {
    if (!next) return this.last.get(symbol) ?? null;
    const anchor = this.anchor.get(symbol);
    if (!anchor) this.anchor.set(symbol, next);
    else {
      const availabilityChanged = (anchor.score === null) !== (next.score === null);
      // Most generations are noise below the threshold: decide on the rounded delta (as diffScores rounds it)
      // before building the explanation, which walks every sub-signal.
      if (!availabilityChanged && (anchor.score === null || next.score === null || Math.abs(toTenth(next.score - anchor.score)) < MIN_MOVE_POINTS)) {
        return this.last.get(symbol) ?? null;
      }
      // Past that check the scores moved by at least MIN_MOVE_POINTS (diffScores reports the same rounded delta),
      // or one of them appeared or vanished: a move either way. diffScores is null only when both are null.
      const move = diffScores(anchor, next, at);
      if (move) {
        this.last.set(symbol, move);
        this.anchor.set(symbol, next);
      }
    }
    return this.last.get(symbol) ?? null;
  }

  drop(symbol: string): void {
    this.anchor.delete(symbol);
    this.last.delete(symbol);
  }
}
