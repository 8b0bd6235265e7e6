// Score history chart: the score on the left scale (fixed 0–100, with the 40/60 thresholds) and the price on the right.
// lightweight-charts is loaded as a classic script (window.LightweightCharts); only its types are imported here.
import type { IChartApi, ISeriesApi, LineData, UTCTimestamp, WhitespaceData } from 'lightweight-charts';
import type { HistoryPoint } from './types.js';
import { BEARISH_AT, BULLISH_AT } from './types.js';

declare global {
  interface Window {
    LightweightCharts?: typeof import('lightweight-charts');
  }
}

type Point = LineData<UTCTimestamp> | WhitespaceData<UTCTimestamp>;

const COLORS = {
  text: '#8b98a9',
  grid: 'rgba(139, 152, 169, 0.08)',
  border: '#263040',
  score: '#4da3ff',
  price: '#c9a227',
  bull: 'rgba(38, 208, 124, 0.55)',
  bear: 'rgba(255, 99, 99, 0.55)',
};

export class ScoreChart {
  private readonly chart: IChartApi;
  private readonly score: ISeriesApi<'Line', UTCTimestamp>;
  private readonly price: ISeriesApi<'Line', UTCTimestamp>;
  private destroyed = false;

  static available(): boolean {
    return typeof window.LightweightCharts?.createChart === 'function';
  }

  constructor(container: HTMLElement) {
    const LWC = window.LightweightCharts;
    if (!LWC) throw new Error('lightweight-charts is not loaded');
    this.chart = LWC.createChart(container, {
      autoSize: true,
      // The built-in logo injects a <style> element, which the page's CSP forbids; the attribution is a link under the chart.
      layout: { background: { type: LWC.ColorType.Solid, color: 'transparent' }, textColor: COLORS.text, fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
      leftPriceScale: { visible: true, borderColor: COLORS.border, scaleMargins: { top: 0.08, bottom: 0.08 } },
      rightPriceScale: { visible: true, borderColor: COLORS.border, scaleMargins: { top: 0.08, bottom: 0.08 } },
      timeScale: { borderColor: COLORS.border, timeVisible: true, secondsVisible: false },
      crosshair: { mode: LWC.CrosshairMode.Normal },
      localization: {
        // The axis shows local time, like the rest of the page.
        timeFormatter: (t: number) => new Date(t * 1000).toLocaleString('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }),
      },
    }) as IChartApi;
    this.score = this.chart.addSeries(LWC.LineSeries, {
      priceScaleId: 'left',
      color: COLORS.score,
      lineWidth: 2,
      title: 'Score',
      priceFormat: { type: 'custom', formatter: (v: number) => v.toFixed(0), minMove: 0.1 },
      autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 100 } }),
    }) as ISeriesApi<'Line', UTCTimestamp>;
    this.score.createPriceLine({ price: BULLISH_AT, color: COLORS.bull, lineWidth: 1, lineStyle: LWC.LineStyle.Dashed, axisLabelVisible: false, title: '' });
    this.score.createPriceLine({ price: BEARISH_AT, color: COLORS.bear, lineWidth: 1, lineStyle: LWC.LineStyle.Dashed, axisLabelVisible: false, title: '' });
    this.price = this.chart.addSeries(LWC.LineSeries, {
      priceScaleId: 'right',
      color: COLORS.price,
      lineWidth: 1,
      title: 'Price',
      priceFormat: { type: 'price', precision: 4, minMove: 0.0001 },
    }) as ISeriesApi<'Line', UTCTimestamp>;
  }

  /** Sets the history; returns how many points carry a score. */
  setHistory(points: readonly HistoryPoint[], pricePrecision: number): number {
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
    const span = times.length > 1 ? times[times.length - 1] - times[0] : 0;
    this.chart.applyOptions({ timeScale: { secondsVisible: span > 0 && span < 600 } });
    const minMove = 10 ** -pricePrecision;
    this.price.applyOptions({ priceFormat: { type: 'price', precision: pricePrecision, minMove } });
    this.score.setData(score);
    this.price.setData(price);
    this.chart.timeScale().fitContent();
    // A chart created in a dialog that just opened gets its real width a frame later: fit again then.
    requestAnimationFrame(() => {
      if (!this.destroyed) this.chart.timeScale().fitContent();
    });
    return scored;
  }

  destroy(): void {
    this.destroyed = true;
    this.chart.remove();
  }
}
