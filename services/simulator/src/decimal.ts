// Number formatting for the wire. Prices and sizes are kept as integer multiples of the tick or
// quantity step, so strings are exact and always on the instrument's grid.

/** Digits after the decimal point of a step written as a string ("0.10" → 2, "100" → 0). */
export function decimalsOf(step: string): number {
  const dot = step.indexOf('.');
  return dot < 0 ? 0 : step.length - dot - 1;
}

/** units × step as a fixed-point string. */
export function formatUnits(units: number, step: number, decimals: number): string {
  return (units * step).toFixed(decimals);
}

/** Fixed-point with trailing zeros removed ("0.00012000" → "0.00012", "-0" → "0"). */
export function formatTrimmed(value: number, maxDecimals: number): string {
  let s = value.toFixed(maxDecimals);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** Nearest power of ten to `x` rounded down (x > 0). */
export function floorPow10(x: number): number {
  return 10 ** Math.floor(Math.log10(x));
}

/** A step like 1e-7 written without exponent ("0.0000001"); steps ≥ 1 stay integers. */
export function stepString(step: number): string {
  if (step >= 1) return String(Math.round(step));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return step.toFixed(decimals);
}
