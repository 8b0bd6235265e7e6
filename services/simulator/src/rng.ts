// Seeded randomness. Every market value comes from here so that a seed fully determines the
// simulated market; Math.random is never used.

// Math is read through module bindings: under jest's vm sandbox each global lookup is ~25x slower.
const { PI, cos, exp, floor, imul, log, max, round, sin, sqrt } = Math;

/** 32-bit avalanche mix (murmur3 finaliser). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string, then mixed: stable across runs and platforms. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Combines integer keys into one 32-bit hash (order matters). */
export function hashKeys(a: number, b: number, c = 0, d = 0): number {
  let h = fmix32((a ^ 0x9e3779b9) >>> 0);
  h = fmix32((h ^ imul((b | 0) >>> 0, 0x85ebca6b)) >>> 0);
  h = fmix32((h ^ imul((c | 0) >>> 0, 0xc2b2ae35)) >>> 0);
  h = fmix32((h ^ imul((d | 0) >>> 0, 0x27d4eb2f)) >>> 0);
  return h;
}

/** Uniform in [0, 1) from keys: used where values must be computable in any order (history). */
export function hashUnit(a: number, b: number, c = 0, d = 0): number {
  return hashKeys(a, b, c, d) / 4294967296;
}

/** Standard normal from keys (Box-Muller on two independent hashes). */
export function hashNormal(a: number, b: number, c = 0, d = 0): number {
  const u1 = (hashKeys(a, b, c, d) + 1) / 4294967297;
  const u2 = hashKeys(a ^ 0x5bd1e995, b, c, d) / 4294967296;
  return sqrt(-2 * log(u1)) * cos(2 * PI * u2);
}

/**
 * Smooth 1-D noise in about [-1, 1]: random values at integer lattice points, cosine-interpolated.
 * Lets slow series (open interest, funding, ratios) be evaluated at any timestamp without state.
 */
export function valueNoise(key: number, x: number): number {
  const i = floor(x);
  const f = x - i;
  const a = hashUnit(key, i, 7) * 2 - 1;
  const b = hashUnit(key, i + 1, 7) * 2 - 1;
  const w = (1 - cos(PI * f)) / 2;
  return a + (b - a) * w;
}

/** sfc32: small, fast, statistically good; state seeded through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return fmix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u1 = this.float();
    while (u1 <= 1e-300) u1 = this.float();
    const u2 = this.float();
    const r = sqrt(-2 * log(u1));
    this.spare = r * sin(2 * PI * u2);
    return r * cos(2 * PI * u2);
  }

  /** Poisson count; Knuth for small means, a rounded normal above (fast and close enough). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return max(0, round(mean + sqrt(mean) * this.normal()));
    const limit = exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A version-5-shaped UUID string, like Bybit trade ids. */
  uuid(): string {
    const hex = (n: number): string => n.toString(16).padStart(8, '0');
    const a = hex(this.nextUint32());
    const b = hex(this.nextUint32());
    // RFC 4122 variant bits (10xx) in the first digit of the fourth group.
    const c = hex(((this.nextUint32() & 0x3fffffff) | 0x80000000) >>> 0);
    const d = hex(this.nextUint32());
    return `${a}-${b.slice(0, 4)}-5${b.slice(5, 8)}-${c.slice(0, 4)}-${c.slice(4, 8)}${d}`;
  }
}
