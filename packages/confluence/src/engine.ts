import {
  COMPONENT_NAMES,
  type ComponentDetail,
  type ComponentName,
  type ComponentScores,
  type Direction,
  type SubSignalDetail,
  type SymbolDetail,
  type Timeframe,
  subSignalReason,
} from '@confluence/contracts';
import { orderbook } from './components/orderbook';
import { orderflow } from './components/orderflow';
import { sentiment } from './components/sentiment';
import { structure } from './components/structure';
import { technical } from './components/technical';
import { volume } from './components/volume';
import { computeConfidence, type ComponentOutcome } from './confidence';
import { validateEngineConfig, type EngineConfig, type EngineConfigInput } from './config';
import type { Context } from './context';
import { roundRaw, roundScore, roundTo } from './math';
import { anchorPhase, TfSeries, type TfData } from './series';
import { phraseOf, truncate, type ComponentResult, type Signal } from './signal';
import { LONG_WINDOW_MS, tradeCount, tradesSince, tradeStats, type TradeColumns, type TradeStats } from './trades';
import type { MarketSnapshot } from './types';

/** What the engine produces for one symbol: the parts of the contracts' `SymbolDetail` that scoring owns. */
export type SymbolScore = Pick<SymbolDetail, 'symbol' | 'score' | 'direction' | 'strength' | 'confidence' | 'rationale' | 'components' | 'topContributors'>;

export interface Engine {
  readonly config: EngineConfig;
  /**
   * Scores one snapshot at time `now` (ms). The result is a function of the snapshot, `now` and the direction this
   * engine last returned for the symbol (the label's hysteresis); indicator caches never change it. `previous`
   * overrides the remembered label (null: none), e.g. to score a symbol as if after a given label.
   */
  score(snapshot: MarketSnapshot, now: number, previous?: Direction | null): SymbolScore;
  /** Drops the cached indicator state and the remembered label of a symbol that is no longer tracked. */
  forget(symbol: string): void;
  /** Drops all cached state. */
  clear(): void;
}

type ComponentFn = (ctx: Context) => ComponentResult;
const COMPONENT_FNS: Readonly<Record<ComponentName, ComponentFn>> = { technical, volume, orderflow, orderbook, structure, sentiment };

export const COMPONENT_LABELS: Readonly<Record<ComponentName, string>> = {
  technical: 'momentum',
  volume: 'volume',
  orderflow: 'order flow',
  orderbook: 'book',
  structure: 'structure',
  sentiment: 'sentiment',
};

const EMPTY_CANDLES: readonly never[] = [];

class SymbolState {
  readonly series = new Map<Timeframe, TfSeries>();
  /** The label published last time (hysteresis); null before the first score. */
  label: Direction | null = null;
  /**
   * The component details returned last time. A detail (or sub-signal detail) whose every field is unchanged is
   * handed out again instead of a new equal object: about half the sub-signals of a moving market repeat from one
   * second to the next (higher timeframes, missing inputs), and output objects were most of the engine's garbage.
   * Results are read-only, so sharing an object between two results changes nothing a caller can see.
   */
  components: readonly ComponentDetail[] | null = null;
}

/** Creates a scoring engine; throws `EngineConfigError` when the config is invalid. */
export function createEngine(config?: EngineConfigInput): Engine {
  const cfg = validateEngineConfig(config);
  const states = new Map<string, SymbolState>();

  function stateFor(symbol: string): SymbolState {
    let st = states.get(symbol);
    if (st === undefined) {
      st = new SymbolState();
      states.set(symbol, st);
    }
    return st;
  }

  function seriesFor(symbol: string, tf: Timeframe): TfSeries {
    const st = stateFor(symbol);
    let s = st.series.get(tf);
    if (s === undefined) {
      s = new TfSeries(tf, anchorPhase(symbol, tf, cfg.anchorBlock), tf === cfg.volumeTimeframe);
      st.series.set(tf, s);
    }
    return s;
  }

  function score(snapshot: MarketSnapshot, now: number, previous?: Direction | null): SymbolScore {
    const tfMemo = new Map<Timeframe, TfData | { error: unknown }>();
    let tradesMemo: TradeStats | null = null;
    let tapeMemo: TradeColumns | null = null;
    const tape = (): TradeColumns => (tapeMemo ??= tradesSince(snapshot.trades, now - LONG_WINDOW_MS));
    const tf = (t: Timeframe): TfData => {
      let m = tfMemo.get(t);
      if (m === undefined) {
        try {
          m = seriesFor(snapshot.symbol, t).evaluate(snapshot.candles[t] ?? EMPTY_CANDLES, cfg.indicatorWindow, cfg.anchorBlock);
        } catch (error) {
          m = { error };
        }
        tfMemo.set(t, m);
      }
      if ('error' in m) throw m.error;
      return m;
    };
    const ctx: Context = {
      snapshot,
      now,
      config: cfg,
      tf,
      tfOrNull: (t) => {
        try {
          return tf(t);
        } catch {
          return null;
        }
      },
      trades: () => (tradesMemo ??= tradeStats(tape(), tradeCount(snapshot.trades), now)),
      tape,
    };
    const results = {} as Record<ComponentName, ComponentResult>;
    for (const name of COMPONENT_NAMES) {
      try {
        results[name] = COMPONENT_FNS[name](ctx);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        results[name] = { score: null, reason: truncate(`error: ${msg}`, 300), signals: [], completeness: 0 };
      }
    }
    const st = stateFor(snapshot.symbol);
    const out = assemble(snapshot, now, cfg, results, previous === undefined ? st.label : previous, st.components);
    st.label = out.direction;
    st.components = out.components;
    return out;
  }

  return {
    config: cfg,
    score,
    forget: (symbol) => void states.delete(symbol),
    clear: () => states.clear(),
  };
}

/**
 * The label with hysteresis: Bullish from score ≥ bullish (60), kept while score ≥ bullishExit (57); Bearish
 * mirrored (≤ 40, kept while ≤ 43). Without enough data or confidence (labelGate) the label is Neutral whatever the
 * score: one input on its own cannot set the direction. A new label needs confidence ≥ minConfidence (0.2), a label
 * already shown keeps it down to holdConfidence (0.1).
 */
export function directionOf(
  score: number,
  previous: Direction | null,
  completeness: number,
  confidence: number,
  cfg: EngineConfig,
): { direction: Direction; gated: string | null } {
  const t = cfg.thresholds;
  let dir: Direction = 'Neutral';
  if (score >= t.bullish || (previous === 'Bullish' && score >= t.bullishExit)) dir = 'Bullish';
  else if (score <= t.bearish || (previous === 'Bearish' && score <= t.bearishExit)) dir = 'Bearish';
  if (dir === 'Neutral') return { direction: dir, gated: null };
  const g = cfg.labelGate;
  const bar = previous === dir ? g.holdConfidence : g.minConfidence;
  if (completeness < g.minCompleteness)
    return {
      direction: 'Neutral',
      gated: `only ${Math.round(completeness * 100)} % of the inputs available (needs ${Math.round(g.minCompleteness * 100)} % for a direction)`,
    };
  if (confidence < bar) return { direction: 'Neutral', gated: `confidence ${confidence.toFixed(2)} below ${bar} (components do not agree)` };
  return { direction: dir, gated: null };
}

function strength(score: number, dir: Direction, cfg: EngineConfig): 'strong' | 'moderate' | null {
  if (dir === 'Bullish') return score >= cfg.thresholds.strongBullish ? 'strong' : 'moderate';
  if (dir === 'Bearish') return score <= cfg.thresholds.strongBearish ? 'strong' : 'moderate';
  return null;
}

/**
 * The sub-signal details of a component; `prev` (last result's, same component) lends every entry whose fields all
 * come out equal, and is returned itself when nothing changed.
 */
function subDetails(r: ComponentResult, prev: readonly SubSignalDetail[] | undefined): SubSignalDetail[] {
  let avail = 0;
  for (const s of r.signals) if (s.score !== null && s.weight > 0) avail += s.weight;
  const damping = r.damping ?? 1;
  const n = r.signals.length;
  const out = new Array<SubSignalDetail>(n);
  let allSame = prev !== undefined && prev.length === n;
  for (let i = 0; i < n; i++) {
    const s = r.signals[i];
    const nw = s.score !== null && s.weight > 0 && avail > 0 ? s.weight / avail : 0;
    const raw = s.raw === null || !Number.isFinite(s.raw) ? null : roundRaw(s.raw);
    const score = s.score === null ? null : roundScore(s.score);
    const weight = roundTo(s.weight, 6);
    const contribution = s.score === null ? null : roundTo(nw * (50 + (s.score - 50) * damping), 2);
    // The label and a standard formula are the contract's catalogue (subSignalLabel, subSignalNote), not in each detail.
    const note = subSignalReason(s.name, s.score !== null, s.note);
    const reason = note === null ? null : truncate(note, 300);
    const p = prev !== undefined && i < prev.length ? prev[i] : undefined;
    if (
      p !== undefined &&
      p.name === s.name &&
      p.timeframe === s.timeframe &&
      Object.is(p.raw, raw) &&
      Object.is(p.score, score) &&
      Object.is(p.weight, weight) &&
      Object.is(p.contribution, contribution) &&
      p.reason === reason
    ) {
      out[i] = p;
      continue;
    }
    allSame = false;
    out[i] = { name: s.name, timeframe: s.timeframe, raw, score, weight, contribution, reason };
  }
  return allSame ? (prev as SubSignalDetail[]) : out;
}

/** The sub-signal pushing its component furthest from 50 (by normalised weight × distance). */
function strongestSignal(r: ComponentResult): Signal | null {
  let best: Signal | null = null;
  let bestPush = -1;
  for (const s of r.signals) {
    if (s.score === null || s.weight <= 0 || s.phrases === null) continue;
    const push = s.weight * Math.abs(s.score - 50);
    if (push > bestPush) {
      best = s;
      bestPush = push;
    }
  }
  return best;
}

function adjective(score: number): string {
  const d = score - 50;
  const a = Math.abs(d);
  const side = d > 0 ? 'positive' : 'negative';
  if (a >= 25) return `strongly ${side}`;
  if (a >= 10) return side;
  if (a >= 4) return `slightly ${side}`;
  return 'neutral';
}

function rationale(
  scoreR: number | null,
  dir: Direction | null,
  gated: string | null,
  results: Readonly<Record<ComponentName, ComponentResult>>,
  pushes: readonly { name: ComponentName; push: number }[],
): string {
  // First clause of each reason only: the full list is in the component's own reason.
  const unavailable = COMPONENT_NAMES.filter((n) => results[n].score === null).map(
    (n) => `${COMPONENT_LABELS[n]} (${(results[n].reason ?? 'unavailable').split(';')[0]})`,
  );
  if (scoreR === null || dir === null) return truncate(`No score: no component available — ${unavailable.join('; ')}`, 600);
  const parts: string[] = [];
  const neutral: string[] = [];
  for (const { name } of pushes) {
    const r = results[name];
    if (r.score === null) continue;
    const adj = adjective(r.score);
    if (adj === 'neutral') {
      const s = strongestSignal(r);
      const text = s !== null && Math.abs((s.score ?? 50) - 50) < 5 ? phraseOf(s) : null;
      neutral.push(text ?? `${COMPONENT_LABELS[name]} neutral`);
      continue;
    }
    if (parts.length >= 3) continue;
    const s = strongestSignal(r);
    const text = s === null ? null : phraseOf(s);
    parts.push(`${COMPONENT_LABELS[name]} ${adj}${text ? ` (${text})` : ''}`);
  }
  let text = `${dir} ${scoreR.toFixed(1)}${gated ? ` (no direction: ${gated})` : ''}: ${parts.length > 0 ? parts.join(', ') : 'all components near neutral'}`;
  if (neutral.length > 0 && parts.length > 0) text += `; ${neutral.slice(0, 2).join(', ')}`;
  if (unavailable.length > 0) text += `; missing ${unavailable.join(', ')}`;
  return truncate(text, 600);
}

function assemble(
  snapshot: MarketSnapshot,
  now: number,
  cfg: EngineConfig,
  results: Record<ComponentName, ComponentResult>,
  previous: Direction | null,
  prevComponents: readonly ComponentDetail[] | null,
): SymbolScore {
  let wsum = 0;
  for (const n of COMPONENT_NAMES) if (results[n].score !== null) wsum += cfg.componentWeights[n];
  let overall: number | null = null;
  if (wsum > 0) {
    let acc = 0;
    for (const n of COMPONENT_NAMES) {
      const s = results[n].score;
      if (s !== null) acc += cfg.componentWeights[n] * s;
    }
    overall = acc / wsum;
  }
  const scoreR = overall === null ? null : roundScore(overall);

  const components: ComponentDetail[] = COMPONENT_NAMES.map((n, i) => {
    const r = results[n];
    const eff = r.score !== null && wsum > 0 ? cfg.componentWeights[n] / wsum : 0;
    const p = prevComponents !== null && prevComponents[i]?.name === n ? prevComponents[i] : undefined;
    const score = r.score === null ? null : roundScore(r.score);
    const weight = cfg.componentWeights[n];
    const effectiveWeight = roundTo(eff, 6);
    const contribution = r.score === null ? null : roundTo(eff * r.score, 2);
    const reason = r.reason === null ? null : truncate(r.reason, 300);
    const subSignals = subDetails(r, p?.subSignals);
    if (
      p !== undefined &&
      p.subSignals === subSignals &&
      Object.is(p.score, score) &&
      p.weight === weight &&
      Object.is(p.effectiveWeight, effectiveWeight) &&
      Object.is(p.contribution, contribution) &&
      p.reason === reason
    )
      return p;
    return { name: n, score, weight, effectiveWeight, contribution, reason, subSignals };
  });

  const pushes = COMPONENT_NAMES.filter((n) => results[n].score !== null && wsum > 0)
    .map((n) => ({ name: n, push: (cfg.componentWeights[n] / wsum) * ((results[n].score as number) - 50) }))
    .sort((a, b) => Math.abs(b.push) - Math.abs(a.push));
  const topContributors = pushes.map((p) => ({ component: p.name, contribution: roundTo(p.push, 2) }));

  const outcomes: ComponentOutcome[] = COMPONENT_NAMES.map((n) => ({ name: n, score: results[n].score, completeness: results[n].completeness }));
  const c = computeConfidence(outcomes, overall, snapshot, now, cfg);
  const value = roundTo(c.value, 3);
  const labelled = scoreR === null ? null : directionOf(scoreR, previous, roundTo(c.completeness, 3), value, cfg);
  const dir = labelled === null ? null : labelled.direction;
  const str = scoreR === null || dir === null ? null : strength(scoreR, dir, cfg);

  return {
    symbol: snapshot.symbol,
    score: scoreR,
    direction: dir,
    strength: str,
    confidence: { value, agreement: roundTo(c.agreement, 3), completeness: roundTo(c.completeness, 3), freshness: roundTo(c.freshness, 3) },
    rationale: rationale(scoreR, dir, labelled?.gated ?? null, results, pushes),
    components,
    topContributors,
  };
}

/** The six component scores of a result, as the table row carries them. */
export function toComponentScores(score: SymbolScore): ComponentScores {
  const out = { technical: null, volume: null, orderflow: null, orderbook: null, structure: null, sentiment: null } as Record<ComponentName, number | null>;
  for (const c of score.components) out[c.name] = c.score;
  return out;
}
