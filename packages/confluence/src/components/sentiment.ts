import { SUB_SIGNAL_FORMULAS } from '@confluence/contracts';
import { priceAt, type Context } from '../context';
import { clamp, deadBand, imbalance } from '../math';
import { TIMEFRAME_MS } from '../series';
import { combine, missing, scored, type ComponentResult, type Phrases, type Signal } from '../signal';

const FUNDING_P: Phrases = { up: 'funding negative (shorts crowded)', down: 'funding high (longs crowded)', flat: 'funding neutral' };
const LS_P: Phrases = { up: 'crowd leaning short', down: 'crowd leaning long', flat: 'long/short balanced' };
const LIQ_P: Phrases = { up: 'shorts liquidated', down: 'longs liquidated', flat: 'liquidations balanced' };
const OI_OPEN_P: Phrases = { up: 'positions building into the rise', down: 'positions building into the drop', flat: 'OI activity neutral' };
const OI_CLOSE_P: Phrases = { up: 'shorts covering', down: 'longs closing', flat: 'OI activity neutral' };
import { LONG_WINDOW_MS } from '../trades';
import { oiChange } from './orderflow';

export const OI_ACTIVITY_LOOKBACK_MS = 60 * 60_000;
export const OI_ACTIVITY_MIN_SPAN_MS = 30 * 60_000;
/** A liquidation feed with no event on any symbol for this long is treated as down (its silence is no evidence). */
export const LIQUIDATION_FEED_SILENT_MS = 60 * 60_000;

/** Funding is scored as an 8-hour equivalent: the interval most perpetuals settle on. */
export const FUNDING_REFERENCE_MINUTES = 480;

/**
 * A funding rate per settlement of `intervalMinutes` as its 8-hour equivalent: r × 480 / interval. The same printed
 * 0.01 % costs twice as much per day on a 4-hour contract and eight times as much on a 1-hour one.
 */
export function fundingPer8h(rate: number, intervalMinutes: number): number {
  return (rate * FUNDING_REFERENCE_MINUTES) / intervalMinutes;
}

/**
 * Funding rate as an 8-hour equivalent (0.0001 = 0.01 % per 8 h), contrarian: ±0.01 % is normal carry (neutral); beyond it
 * score = 50 − 40·tanh((|f| − 0.01 %)·sign(f) / 0.1 %) (0.05 % → 35, 0.1 % → 21; negative funding mirrors to bullish).
 */
export function mapFunding(f: number): number {
  return 50 - 40 * Math.tanh(deadBand(f, 0.0001) / 0.001);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(4).replace(/0+$/, '').replace(/\.$/, '')} %`;
}

/**
 * Long/short account ratio, contrarian: x = buyRatio − sellRatio; up to ±0.2 (60/40) is neutral, beyond
 * score = 50 − 40·tanh((|x| − 0.2)·sign(x) / 0.4) (70/30 → 31.5; a crowd of shorts mirrors to bullish).
 */
export function mapLongShort(x: number): number {
  return 50 - 40 * Math.tanh(deadBand(x, 0.2) / 0.4);
}

/**
 * Liquidations over 15 min (by size): raw = (shorts liquidated − longs liquidated)/(both) — forced buying vs forced
 * selling; magnitude m = clamp(liquidated / (2 % of traded size), 0, 1) (1 without trades); score = 50 + 40·raw·m.
 * None while trades show the market was live → 50; none and no trades → null (no evidence either way).
 */
export function mapLiquidations(raw: number, m: number): number {
  return 50 + 40 * raw * m;
}

/**
 * Open-interest/volume activity over ~1 h: q = ΔOI / traded volume (share of volume that opened positions),
 * p = tanh(price move / (ATR₅ₘ·√bars)); g = p·tanh(q/0.1) when positions are opening, p·0.5·tanh(|q|/0.1) when
 * closing (covering/liquidation, weaker); score = 50 + 50·g.
 */
export function oiActivityRaw(q: number, p: number): number {
  return q > 0 ? p * Math.tanh(q / 0.1) : 0.5 * p * Math.tanh(Math.abs(q) / 0.1);
}

export function sentiment(ctx: Context): ComponentResult {
  const sw = ctx.config.subWeights.sentiment;
  const s = ctx.snapshot;
  const signals: Signal[] = [];

  const fresh = ctx.config.freshness;
  const intervalKnown = s.fundingIntervalMinutes !== undefined && Number.isFinite(s.fundingIntervalMinutes) && s.fundingIntervalMinutes > 0;
  const interval = intervalKnown ? (s.fundingIntervalMinutes as number) : FUNDING_REFERENCE_MINUTES;
  const live = s.ticker?.fundingRate;
  const lastPoint = s.funding.length > 0 ? s.funding[s.funding.length - 1] : undefined;
  let f: number | undefined;
  let from = 'live rate';
  if (live !== undefined && Number.isFinite(live)) f = live;
  else if (lastPoint !== undefined) {
    // The last settled rate stands in for the live one only while it is recent (by the contract's own interval).
    const age = ctx.now - lastPoint.ts;
    if (age < fresh.fundingStaleIntervals * interval * 60_000) {
      f = lastPoint.rate;
      from = 'last settled rate';
    }
  }
  if (f === undefined) {
    signals.push(
      missing(
        'funding',
        null,
        sw.funding,
        lastPoint === undefined ? 'no funding rate' : `no live funding rate and the last settlement is older than ${fresh.fundingStaleIntervals} intervals`,
      ),
    );
  } else {
    const f8 = fundingPer8h(f, interval);
    const per = intervalKnown ? `${pct(f)} per ${interval / 60} h` : `${pct(f)} (interval unknown, taken as 8 h)`;
    signals.push(
      scored(
        'funding',
        null,
        sw.funding,
        f8,
        mapFunding(f8),
        `raw = ${from} ${per} as an 8-hour equivalent; contrarian beyond ±0.01 % per 8 h: score = 50 − 40·tanh(deadband(raw, 0.01 %)/0.1 %)`,
        FUNDING_P,
      ),
    );
  }

  const ls = s.longShort.length > 0 ? s.longShort[s.longShort.length - 1] : undefined;
  if (ls === undefined) signals.push(missing('longShort', null, sw.longShort, 'no long/short ratio'));
  else if (ctx.now - ls.ts >= fresh.longShort.staleMs) {
    signals.push(missing('longShort', null, sw.longShort, `long/short ratio is ${Math.round((ctx.now - ls.ts) / 60_000)} min old`));
  } else {
    const x = ls.buyRatio - ls.sellRatio;
    signals.push(scored('longShort', null, sw.longShort, x, mapLongShort(x), SUB_SIGNAL_FORMULAS.longShort, LS_P));
  }

  {
    const since = ctx.now - LONG_WINDOW_MS;
    let longs = 0;
    let shorts = 0;
    for (let i = s.liquidations.length - 1; i >= 0; i--) {
      const l = s.liquidations[i];
      if (l.ts < since) break;
      if (l.side === 'Buy') longs += l.size;
      else shorts += l.size;
    }
    const traded = ctx.trades().long;
    const tradedSize = traded.buy + traded.sell;
    const total = longs + shorts;
    const feedAt = s.liquidationFeedLastEventAt;
    if (total === 0 && feedAt === undefined) {
      // A feed that never delivered is no data, not a quiet market.
      signals.push(missing('liquidations', null, sw.liquidations, 'the liquidation feed has not delivered yet'));
    } else if (total === 0 && feedAt !== undefined && ctx.now - feedAt > LIQUIDATION_FEED_SILENT_MS) {
      signals.push(missing('liquidations', null, sw.liquidations, `the liquidation feed has been silent for ${Math.round((ctx.now - feedAt) / 60_000)} min`));
    } else if (total === 0 && tradedSize === 0) {
      // Without trades, "no liquidations" may just mean no data: that must not read as a neutral 50.
      signals.push(missing('liquidations', null, sw.liquidations, 'no liquidations and no trades in the last 15 min'));
    } else {
      const raw = imbalance(shorts, longs);
      const m = tradedSize > 0 ? clamp(total / (0.02 * tradedSize), 0, 1) : 1;
      signals.push(
        scored(
          'liquidations',
          null,
          sw.liquidations,
          raw,
          mapLiquidations(raw, m),
          total > 0 ? SUB_SIGNAL_FORMULAS.liquidations : 'no liquidations in the last 15 min while trading and the feed is live (no event)',
          LIQ_P,
        ),
      );
    }
  }

  const oi = oiChange(s, ctx.now, OI_ACTIVITY_LOOKBACK_MS, OI_ACTIVITY_MIN_SPAN_MS);
  const d5 = ctx.tfOrNull('5m');
  if (typeof oi === 'string') signals.push(missing('oiActivity', null, sw.oiActivity, oi));
  else if (d5 === null || d5.last === null || d5.values.atr === null)
    signals.push(missing('oiActivity', '5m', sw.oiActivity, `needs 14 candles on 5m, has ${d5?.values.count ?? 0}`));
  else {
    let vol = 0;
    for (let i = d5.candles.length - 1; i >= 0 && d5.candles[i].start >= oi.from.ts; i--) vol += d5.candles[i].volume;
    if (vol <= 0) signals.push(missing('oiActivity', '5m', sw.oiActivity, 'no volume since the earlier open-interest point'));
    else {
      const q = (oi.to.openInterest - oi.from.openInterest) / vol;
      const bars = Math.max(1, (oi.to.ts - oi.from.ts) / TIMEFRAME_MS['5m']);
      const then = priceAt(d5.candles, TIMEFRAME_MS['5m'], oi.from.ts) ?? d5.last.close;
      const atr = d5.values.atr;
      const p = atr > 0 ? Math.tanh((d5.last.close - then) / (atr * Math.sqrt(bars))) : 0;
      const g = oiActivityRaw(q, p);
      signals.push(scored('oiActivity', null, sw.oiActivity, q, 50 + 50 * g, SUB_SIGNAL_FORMULAS.oiActivity, q > 0 ? OI_OPEN_P : OI_CLOSE_P));
    }
  }

  return combine(signals, 'no sentiment signal available');
}
