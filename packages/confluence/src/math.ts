/** Small numeric helpers. Every score mapping built from these is odd around its neutral input, so a mirrored market mirrors the score around 50. */

export function clamp(x: number, lo: number, hi: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is +0; the engine's outputs stay bit for bit what they were
  return x < lo ? lo : x > hi ? hi : x;
}

/** 50 + amplitude·tanh(x / scale): 50 at x = 0, saturating towards 50 ± amplitude. */
export function tanhScore(x: number, scale: number, amplitude = 50): number {
  return 50 + amplitude * Math.tanh(x / scale);
}

/** 50 + amplitude·clamp(x, −1, 1). */
export function linearScore(x: number, amplitude = 50): number {
  return 50 + amplitude * clamp(x, -1, 1);
}

/** (a − b) / (a + b), 0 when both are 0. */
export function imbalance(a: number, b: number): number {
  const s = a + b;
  return s > 0 ? (a - b) / s : 0;
}

/** x with a dead band: sign(x)·max(0, |x| − band). */
export function deadBand(x: number, band: number): number {
  const m = Math.abs(x) - band;
  return m > 0 ? Math.sign(x) * m : 0;
}

/** Scores to 0.1, rounding half away from 50 so mirrored scores round to mirrored values; clamps to [0, 100]. */
export function roundScore(x: number): number {
  const d = x - 50;
  const tenths = Math.round(Math.abs(d) * 10);
  const r = (500 + (d < 0 ? -tenths : tenths)) / 10;
  // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is +0; the engine's outputs stay bit for bit what they were
  return r < 0 ? 0 : r > 100 ? 100 : r;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/** Rounds half away from zero to `digits` decimals (0–12). */
export function roundTo(x: number, digits: number): number {
  const f = POW10[digits];
  const r = Math.round(Math.abs(x) * f) / f;
  return x < 0 ? (r === 0 ? 0 : -r) : r;
}

/** About six significant digits for reported raw values, without string formatting. */
export function roundRaw(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  const a = Math.abs(x);
  if (a >= 1e5) return Math.round(x);
  const digits = a >= 1e4 ? 1 : a >= 1e3 ? 2 : a >= 100 ? 3 : a >= 10 ? 4 : a >= 1 ? 5 : a >= 0.1 ? 6 : a >= 0.01 ? 7 : a >= 1e-3 ? 8 : a >= 1e-4 ? 9 : 12;
  return roundTo(x, digits);
}

/** 1 at age ≤ fresh, 0 at age ≥ stale, linear in between. */
export function freshnessRamp(age: number, fresh: number, stale: number): number {
  if (age <= fresh) return 1;
  if (age >= stale) return 0;
  return 1 - (age - fresh) / (stale - fresh);
}

export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? String(roundTo(x, digits)) : String(x);
}

/** Deterministic 32-bit FNV-1a hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Seeded mulberry32: a small, fast PRNG for work that must repeat exactly (the scoreboard's bootstrap resamples,
 * synthetic markets), so the same inputs always give the same output.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
