/**
 * Prices in words a trader reads: at the instrument's tick size, with thousands separators ("97,412.5",
 * "0.0124117"). The one price format of the analyzer's alert texts and the dashboard (which imports it through
 * `@confluence/contracts/rules`).
 */

const MAX_DECIMALS = 12;
const formatters = new Map<number, Intl.NumberFormat>();

function formatter(decimals: number): Intl.NumberFormat {
  let f = formatters.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formatters.set(decimals, f);
  }
  return f;
}

/** Decimals a tick size needs: 0.1 → 1, 0.0000001 → 7, 0.005 → 3, 1 → 0. */
export function tickDecimals(tickSize: number): number {
  for (let d = 0; d < MAX_DECIMALS; d++) {
    const scaled = tickSize * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return MAX_DECIMALS;
}

/** Without a tick size (a producer older than it): a fixed number of decimals by magnitude, about five significant digits. */
export function magnitudeDecimals(price: number): number {
  const a = Math.abs(price);
  if (a >= 1000) return 2;
  if (a >= 1) return 4;
  if (a === 0) return 2;
  return Math.min(10, Math.max(4, 4 - Math.floor(Math.log10(a))));
}

export function priceDecimals(price: number, tickSize?: number | null): number {
  return tickSize !== undefined && tickSize !== null && Number.isFinite(tickSize) && tickSize > 0 ? tickDecimals(tickSize) : magnitudeDecimals(price);
}

/** A price at its tick precision with thousands separators; `missing` when there is none. */
export function formatPrice(price: number | null | undefined, tickSize?: number | null, missing = '—'): string {
  if (typeof price !== 'number' || !Number.isFinite(price)) return missing;
  return formatter(priceDecimals(price, tickSize)).format(price);
}
