// Score history chart: the score on the left scale (fixed 0–100, with the 40/60 thresholds) and the price on the right.
// lightweight-charts is an ES module imported the first time a detail opens, so the page's first paint never waits
// for it; only its types are imported statically.
import type { IChartApi, ISeriesApi, LineData, MouseEventParams, UTCTimestamp, WhitespaceData } from 'lightweight-charts';
import type { HistoryPoint } from './types.js';
import { BEARISH_AT, BULLISH_AT } from './types.js';
import { fmtClock, fmtPrice, fmtScore, priceDecimals } from './format.js';

type Lib = typeof import('lightweight-charts');
type Point = LineData<UTCTimestamp> | WhitespaceData<UTCTimestamp>;

const LIBRARY_URL = '/vendor/lightweight-charts.mjs';
let library: Promise<Lib> | null = null;

/** Loads the chart library once; a failed load can be retried by the next detail. */
export function loadChartLibrary(): Promise<Lib> {
  if (!library) {
    const url: string = LIBRARY_URL;
    library = (import(url) as Promise<Lib>).catch((err: unknown) => {
      library = null;
      throw err;
    });
  }
  return library;
}

const COLORS = {
  text: '#8b98a9',
  grid: 'rgba(139, 152, 169, 0.08)',
  border: '#263040',
  score: '#4da3ff',
  price: '#c9a227',
  bull: 'rgba(38, 208, 124, 0.55)',
  bear: 'rgba(255, 99, 99, 0.55)',
};

/** The values of the point under the pointer, or of the newest point when the pointer is elsewhere. */
export interface ChartReadout {
  time: number;
  score: number | null;
  price: number | null;
}

function isLine(p: unknown): p is LineData<UTCTimestamp> {
  return typeof p === 'object' && p !== null && typeof (p as { value?: unknown }).value === 'number';
}

export class ScoreChart {
  private readonly chart: IChartApi;
  private readonly score: ISeriesApi<'Line', UTCTimestamp>;
  private readonly price: ISeriesApi<'Line', UTCTimestamp>;
  private destroyed = false;
  private baseScore: Point[] = [];
  private basePrice: Point[] = [];
  private live: { time: number; score: number | null; price: number | null } | null = null;
  private tickSize: number | undefined;

  constructor(
    container: HTMLElement,
    lib: Lib,
    private readonly onReadout: (r: ChartReadout | null, hovering: boolean) => void,
  ) {
    this.chart = lib.createChart(container, {
      autoSize: true,
      // The built-in logo injects a <style> element, which the page's CSP forbids; the attribution is a link under the chart.
      layout: { background: { type: lib.ColorType.Solid, color: 'transparent' }, textColor: COLORS.text, fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
      leftPriceScale: { visible: true, borderColor: COLORS.border, scaleMargins: { top: 0.08, bottom: 0.08 } },
      rightPriceScale: { visible: true, borderColor: COLORS.border, scaleMargins: { top: 0.08, bottom: 0.08 } },
      timeScale: { borderColor: COLORS.border, timeVisible: true, secondsVisible: false },
      // The crosshair snaps to the data point nearest the pointer: hover shows a point's values, not the cursor's.
      crosshair: { mode: lib.CrosshairMode.MagnetOHLC },
      localization: {
        // The axis shows local time, like the rest of the page.
        timeFormatter: (t: number) =>
          new Date(t * 1000).toLocaleString('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }),
      },
    }) as IChartApi;
    this.score = this.chart.addSeries(lib.LineSeries, {
      priceScaleId: 'left',
      color: COLORS.score,
      lineWidth: 2,
      title: 'Score',
      priceFormat: { type: 'custom', formatter: (v: number) => v.toFixed(0), minMove: 0.1 },
      autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 100 } }),
    }) as ISeriesApi<'Line', UTCTimestamp>;
    this.score.createPriceLine({ price: BULLISH_AT, color: COLORS.bull, lineWidth: 1, lineStyle: lib.LineStyle.Dashed, axisLabelVisible: false, title: '' });
    this.score.createPriceLine({ price: BEARISH_AT, color: COLORS.bear, lineWidth: 1, lineStyle: lib.LineStyle.Dashed, axisLabelVisible: false, title: '' });
    this.price = this.chart.addSeries(lib.LineSeries, {
      priceScaleId: 'right',
      color: COLORS.price,
      lineWidth: 1,
      title: 'Price',
      // The axis uses the dashboard's one price format (tick size, thousands separators).
      priceFormat: { type: 'custom', formatter: (v: number) => fmtPrice(v, this.tickSize), minMove: 0.0001 },
    }) as ISeriesApi<'Line', UTCTimestamp>;
    this.chart.subscribeCrosshairMove((param: MouseEventParams) => this.onCrosshair(param));
  }

  private onCrosshair(param: MouseEventParams): void {
    if (param.time === undefined || !param.point) {
      this.onReadout(this.latest(), false);
      return;
    }
    // The series are typed by UTCTimestamp; the event's map is keyed by the chart's generic Time series.
    const s = param.seriesData.get(this.score as unknown as ISeriesApi<'Line'>);
    const p = param.seriesData.get(this.price as unknown as ISeriesApi<'Line'>);
    this.onReadout({ time: Number(param.time) * 1000, score: isLine(s) ? s.value : null, price: isLine(p) ? p.value : null }, true);
  }

  /** The newest point: the live one when there is one, so the chart ends where the header stands. */
  latest(): ChartReadout | null {
    if (this.live) return { time: this.live.time * 1000, score: this.live.score, price: this.live.price };
    const s = this.baseScore.at(-1);
    const p = this.basePrice.at(-1);
    if (!s) return null;
    return { time: Number(s.time) * 1000, score: isLine(s) ? s.value : null, price: isLine(p) ? p.value : null };
  }

  /** Sets the history; returns how many points carry a score. */
  setHistory(points: readonly HistoryPoint[], tickSize: number | undefined): number {
    this.tickSize = tickSize;
    // The chart needs strictly increasing times in seconds; keep the last point of any second.
    const bySecond = new Map<number, HistoryPoint>();
    for (const p of points) bySecond.set(Math.floor(p[0] / 1000), p);
    const times = [...bySecond.keys()].sort((a, b) => a - b);
    const score: Point[] = [];
    const price: Point[] = [];
    let scored = 0;
    for (const t of times) {
      const p = bySecond.get(t) as HistoryPoint;
      const time = t as UTCTimestamp;
      if (p[1] !== null) scored++;
      score.push(p[1] === null ? { time } : { time, value: p[1] });
      price.push(p[2] === null ? { time } : { time, value: p[2] });
    }
    this.baseScore = score;
    this.basePrice = price;
    if (this.live && times.length && this.live.time < times[times.length - 1]) this.live = { ...this.live, time: times[times.length - 1] };
    // The price axis steps in the instrument's ticks (without one, in the last decimal the formatter shows).
    const lastPrice = points.findLast((p) => p[2] !== null)?.[2] ?? null;
    const minMove = tickSize ?? (lastPrice !== null ? 10 ** -priceDecimals(lastPrice) : 0.0001);
    this.price.applyOptions({ priceFormat: { type: 'custom', formatter: (v: number) => fmtPrice(v, this.tickSize), minMove } });
    const span = times.length > 1 ? times[times.length - 1] - times[0] : 0;
    this.chart.applyOptions({ timeScale: { secondsVisible: span > 0 && span < 600 } });
    this.draw();
    this.chart.timeScale().fitContent();
    // A chart created in a dialog that just opened gets its real width a frame later: fit again then.
    requestAnimationFrame(() => {
      if (!this.destroyed) this.chart.timeScale().fitContent();
    });
    return scored;
  }

  /** The header's current values as the chart's last point (replaced, not appended, at every generation). */
  setLive(atMs: number, score: number | null, price: number | null): void {
    // Never before the newest history point: when the history already reaches this second, the live values replace it.
    const lastTime = Number(this.baseScore.at(-1)?.time ?? 0);
    const time = Math.max(Math.floor(atMs / 1000), lastTime);
    if (this.live && this.live.time === time && this.live.score === score && this.live.price === price) return;
    this.live = { time, score, price };
    this.draw();
  }

  private draw(): void {
    const live = this.live;
    if (live) {
      const time = live.time as UTCTimestamp;
      const replaces = Number(this.baseScore.at(-1)?.time ?? -1) === live.time;
      const base = (points: Point[]): Point[] => (replaces ? points.slice(0, -1) : points);
      this.score.setData([...base(this.baseScore), live.score === null ? { time } : { time, value: live.score }]);
      this.price.setData([...base(this.basePrice), live.price === null ? { time } : { time, value: live.price }]);
    } else {
      this.score.setData(this.baseScore);
      this.price.setData(this.basePrice);
    }
    this.onReadout(this.latest(), false);
  }

  destroy(): void {
    this.destroyed = true;
    this.chart.remove();
  }
}

/** The chart in words, for screen readers and anyone who cannot see it: range, low, high and the newest values. */
export function summarizeHistory(points: readonly HistoryPoint[], tickSize: number | undefined, now: number): string {
  const scored = points.filter((p): p is [number, number, number | null] => p[1] !== null);
  if (scored.length === 0) return 'No score history yet.';
  let lo = scored[0];
  let hi = scored[0];
  for (const p of scored) {
    if (p[1] < lo[1]) lo = p;
    if (p[1] > hi[1]) hi = p;
  }
  const first = scored[0];
  const last = scored[scored.length - 1];
  const prices = points.filter((p) => p[2] !== null);
  const priceText = prices.length > 1 ? ` Price from ${fmtPrice(prices[0][2], tickSize)} to ${fmtPrice(prices[prices.length - 1][2], tickSize)}.` : '';
  return (
    `Score from ${fmtScore(first[1])} at ${fmtClock(first[0], now)} to ${fmtScore(last[1])} at ${fmtClock(last[0], now)}; ` +
    `low ${fmtScore(lo[1])} at ${fmtClock(lo[0], now)}, high ${fmtScore(hi[1])} at ${fmtClock(hi[0], now)}.${priceText}`
  );
}
