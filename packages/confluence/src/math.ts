/** Small numeric helpers. Every score mapping built from these is odd around its neutral input, so a mirrored market mirrors the score around 50. */

export function clamp(x: number, lo: number, hi: number): number {
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

/** Rounds half away from `center`, so round(center + d) and round(center − d) mirror exactly. */
export function roundAround(x: number, step: number, center = 0): number {
  const d = x - center;
  return center + (Math.sign(d) * Math.round(Math.abs(d) / step)) * step;
}

/** Scores to 0.1, symmetric around 50; also clamps to [0, 100]. */
export function roundScore(x: number): number {
  return clamp(Number(roundAround(x, 0.1, 50).toFixed(1)), 0, 100);
}

export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  const r = (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
  return r === 0 ? 0 : r;
}

/** Six significant digits for reported raw values. */
export function roundRaw(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  return Number(x.toPrecision(6));
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
