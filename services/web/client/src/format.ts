// Number and time formatting for the dashboard. Pure: no DOM, no clock reads.
import { formatPrice, fundingPer8h, priceDecimals, tickDecimals } from '@confluence/contracts/rules';

const DASH = '—';
const formatters = new Map<string, Intl.NumberFormat>();

function nf(min: number, max: number, extra: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${min}:${max}:${JSON.stringify(extra)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: min, maximumFractionDigits: max, ...extra });
    formatters.set(key, f);
  }
  return f;
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * The one price format of the dashboard (table, detail, order book, alerts, chart axis) and of the analyzer's alert
 * texts: at the tick size, with thousands separators and trailing zeros kept, so 5.180 never turns into 5.18
 * between two updates.
 */
export function fmtPrice(p: number | null | undefined, tickSize?: number | null): string {
  return formatPrice(p, tickSize, DASH);
}

export { priceDecimals, tickDecimals };

/** A fraction as a signed percentage: 0.0123 → "+1.23%". (toFixed, not Intl: this runs for every row every second.) */
export function fmtPct(fraction: number | null | undefined, decimals = 2): string {
  if (!isNum(fraction)) return DASH;
  const v = fraction * 100;
  const s = Math.abs(v).toFixed(decimals);
  if (Number(s) === 0) return `${(0).toFixed(decimals)}%`;
  return `${v > 0 ? '+' : '−'}${s}%`;
}

/** A fraction as an unsigned percentage: 0.58 → "58%". */
export function fmtShare(fraction: number | null | undefined, decimals = 0): string {
  if (!isNum(fraction)) return DASH;
  return `${nf(decimals, decimals).format(fraction * 100)}%`;
}

/** A funding rate, a fraction: 0.0001 → "+0.0100%" (the table shows it per 8 h, see fundingPer8h). */
export function fmtFunding(rate: number | null | undefined): string {
  return fmtPct(rate, 4);
}

/** 1234567 → "1.23M", with K/M/B/T suffixes. */
export function fmtCompact(n: number | null | undefined, prefix = ''): string {
  if (!isNum(n)) return DASH;
  const a = Math.abs(n);
  const sign = n < 0 ? '−' : '';
  for (const [size, suffix] of COMPACT_UNITS) {
    if (a >= size) {
      const v = a / size;
      return `${sign}${prefix}${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)}${suffix}`;
    }
  }
  return `${sign}${prefix}${nf(0, 2).format(a)}`;
}

const COMPACT_UNITS: ReadonlyArray<readonly [number, string]> = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'K'],
];

export function fmtScore(s: number | null | undefined): string {
  return isNum(s) ? s.toFixed(1) : DASH;
}

/** A signed score delta: 13 → "+13.0". */
export function fmtDelta(d: number | null | undefined): string {
  if (!isNum(d)) return DASH;
  if (Math.abs(d) < 0.05) return '0.0';
  return `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(1)}`;
}

export function fmtNumber(v: number | null | undefined, maxDecimals = 4): string {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a !== 0 && a < 10 ** -maxDecimals) return v.toExponential(2);
  return nf(0, a >= 1000 ? 0 : maxDecimals).format(v);
}

/** Score points: one decimal, two when one would show a non-zero contribution as 0 ("−0.05"), never an exponent. */
export function fmtPoints(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  const s = nf(0, a !== 0 && a < 0.095 ? 2 : 1).format(a);
  return v < 0 && s !== '0' ? `−${s}` : s;
}

/** A duration in plain words: "<1 s", "12 s", "3 min", "1 h 5 min", "2 d". */
export function fmtAge(ms: number | null | undefined): string {
  if (!isNum(ms)) return DASH;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 1) return '<1 s';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** A compact duration for narrow cells: "<1s", "45s", "12m", "1h5m", "2d". */
export function fmtAgeShort(ms: number | null | undefined): string {
  if (!isNum(ms)) return DASH;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 1) return '<1s';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local wall-clock "14:32", or "Nov 24 14:32" when not on the same day as `now`. */
export function fmtClock(ts: number, now: number, withSeconds = false): string {
  const d = new Date(ts);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}${withSeconds ? `:${pad2(d.getSeconds())}` : ''}`;
  const today = new Date(now);
  if (d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate()) return hm;
  return `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()} ${hm}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A funding interval in words: 480 → "8 h", 60 → "1 h", 30 → "30 min". */
export function fmtInterval(minutes: number): string {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

interface FundingLike {
  fundingRate: number | null;
  funding?: { rate8h: number; intervalMinutes: number | null; nextFundingTime: number | null } | null;
}

export { fundingPer8h };

/** "+0.0100% per 1 h = +0.0800% per 8 h · next funding 16:00 (in 42m)" — the printed rate, its interval and the next settlement. */
export function fundingDetail(r: FundingLike, now: number): string {
  if (r.fundingRate === null) return 'No funding rate';
  const f = r.funding;
  const interval = f?.intervalMinutes ?? null;
  const per =
    interval === null
      ? `${fmtFunding(r.fundingRate)} per settlement (interval unknown, taken as 8 h)`
      : `${fmtFunding(r.fundingRate)} per ${fmtInterval(interval)}`;
  const eight = f ? ` = ${fmtFunding(f.rate8h)} per 8 h` : '';
  const next =
    f?.nextFundingTime != null
      ? ` · next funding ${fmtClock(f.nextFundingTime, now)}${f.nextFundingTime > now ? ` (in ${fmtAge(f.nextFundingTime - now)})` : ''}`
      : '';
  return `${per}${eight}${next}`;
}
