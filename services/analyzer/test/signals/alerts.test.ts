import Database from 'better-sqlite3';
import path from 'node:path';
import { type Alert, alertsDataSchema, type SymbolRow } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { parseAlertRules } from '../../src/signals/alert-rules';
import { AlertEngine, agreeingComponents } from '../../src/signals/alerts';
import { signalsDbFile } from '../../src/signals/db';
import { MIN, T0, components, row, tempDir } from './helpers';

const logger = silentLogger();
const SYM = 'BTCUSDT';

/** A fresh, confident row whose six components all agree with the score's side. */
function live(score: number, at: number, over: Partial<SymbolRow> = {}): SymbolRow {
  const side = score >= 50 ? 70 : 30;
  return row(SYM, { score, confidence: 0.8, components: components(side), updatedAt: at, price: 97_000, ...over });
}

describe('AlertEngine', () => {
  let tmp: ReturnType<typeof tempDir>;
  let engine: AlertEngine | null = null;
  let delivered: Alert[];
  beforeEach(() => {
    tmp = tempDir();
    delivered = [];
  });
  afterEach(() => {
    engine?.close();
    engine = null;
    tmp.cleanup();
  });

  function open(
    rulesInput: unknown = {
      rules: [
        { name: 'strong-bullish', enterAbove: 70, exitBelow: 65 },
        { name: 'strong-bearish', enterBelow: 30, exitAbove: 35 },
      ],
    },
    extra: Partial<ConstructorParameters<typeof AlertEngine>[0]> = {},
  ) {
    engine = new AlertEngine({ dataDir: tmp.dir, rules: parseAlertRules(rulesInput), logger, deliver: (a) => delivered.push(a), ...extra });
    return engine;
  }

  /** Feeds one score a minute from T0 and returns the alerts fired, with the minute of each. */
  function feed(e: AlertEngine, scores: number[], start = T0, over: (i: number) => Partial<SymbolRow> = () => ({})): Array<[number, Alert]> {
    const out: Array<[number, Alert]> = [];
    scores.forEach((score, i) => {
      const t = start + i * MIN;
      for (const a of e.evaluate([live(score, t, over(i))], t, true)) out.push([i, a]);
    });
    return out;
  }

  it('when the score enters a rule inside the band it was already in, then the alert names that band once, and prices follow the tick size', () => {
    const e = open({ rules: [{ name: 'early-bullish', enterAbove: 62, exitBelow: 58 }], cooldownMs: 0 });
    const fired = feed(e, [50, 61, 62.5], T0, () => ({ price: 0.0124117, tickSize: 0.0000001 }));
    expect(fired).toHaveLength(1);
    const a = fired[0][1];
    expect(a.previousBand).toBeNull();
    expect(a.tickSize).toBe(0.0000001);
    expect(a.message).toBe(`${SYM} entered early-bullish: score 62.5 (band 60–70), confidence 0.80, 6/6 components agree, price 0.0124117`);
  });

  it('when the score oscillates around the enter threshold, then exactly one alert fires until it exits and re-enters', () => {
    const e = open({ rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], cooldownMs: 0 });
    const fired = feed(e, [60, 69.9, 70.1, 68, 71, 69.9, 70.1, 66, 72, 64.9, 69, 70.5]);
    expect(fired.map(([i]) => i)).toEqual([2, 11]);
    const [first, second] = fired.map(([, a]) => a);
    expect(first).toMatchObject({
      id: `${SYM}:strong-bullish:${T0 + 2 * MIN}`,
      symbol: SYM,
      rule: 'strong-bullish',
      band: '≥70',
      previousBand: '60–70',
      score: 70.1,
      direction: 'Bullish',
      agreeing: 6,
      delivery: 'pending',
      attempts: 0,
      at: T0 + 2 * MIN,
    });
    expect(first.message).toBe(`${SYM} entered strong-bullish: score 70.1 (60–70 → ≥70), confidence 0.80, 6/6 components agree, price 97,000.00`);
    expect(second.id).toBe(`${SYM}:strong-bullish:${T0 + 11 * MIN}`);
    expect(delivered.map((a) => a.id)).toEqual([first.id, second.id]);
    expect(alertsDataSchema.safeParse(e.data()).success).toBe(true);
    expect(e.data().alerts.map((a) => a.id)).toEqual([second.id, first.id]);
  });

  it('when a bearish rule is crossed, then it alerts on ≤ enter and re-arms only above exit', () => {
    const e = open({ rules: [{ name: 'strong-bearish', enterBelow: 30, exitAbove: 35 }], cooldownMs: 0 });
    const fired = feed(e, [40, 30.5, 30, 33, 29, 35, 31, 35.1, 29.9]);
    expect(fired.map(([i, a]) => [i, a.direction, a.band])).toEqual([
      [2, 'Bearish', '≤30'],
      [8, 'Bearish', '≤30'],
    ]);
  });

  it('when the first observation is already in the band, then it is a baseline, not an entry', () => {
    const e = open();
    expect(feed(e, [75, 76, 77])).toEqual([]);
    // It alerts after a real exit and re-entry.
    expect(feed(e, [60, 72], T0 + 3 * MIN).map(([i]) => i)).toEqual([1]);
  });

  it('when confidence is below the minimum at entry, then it alerts once confidence rises while still inside', () => {
    const e = open({ rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], minConfidence: 0.5, cooldownMs: 0 });
    const conf = [0.9, 0.4, 0.3, 0.6, 0.9];
    const fired = feed(e, [60, 72, 73, 74, 75], T0, (i) => ({ confidence: conf[i] }));
    expect(fired.map(([i]) => i)).toEqual([3]);
    // The id still names the entry minute, and the message says since when it has been in the band.
    expect(fired[0][1].id).toBe(`${SYM}:strong-bullish:${T0 + MIN}`);
    expect(fired[0][1].message).toContain('in the band since 00:01 UTC');
    expect(e.stats().blocked.confidence).toBe(2);
  });

  it('when confidence never rises before the score exits, then that entry never alerts', () => {
    const e = open({ rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], minConfidence: 0.5 });
    const conf = [0.9, 0.4, 0.4, 0.9];
    expect(feed(e, [60, 72, 60, 62], T0, (i) => ({ confidence: conf[i] }))).toEqual([]);
  });

  it('when fewer components than minAgreeing are beyond the margin, then no alert; exactly 55 does not count', () => {
    const e = open({ rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], minAgreeing: 3 });
    const few = components(50, { technical: 80, volume: 56, orderflow: 55, orderbook: null });
    expect(agreeingComponents(row(SYM, { components: few }), 'Bullish', 5)).toBe(2);
    expect(feed(e, [60, 75], T0, () => ({ components: few }))).toEqual([]);
    expect(e.stats().blocked.agreeing).toBe(1);
    const enough = { ...few, orderbook: 60 };
    expect(feed(e, [76], T0 + 2 * MIN, () => ({ components: enough })).map(([, a]) => a.agreeing)).toEqual([3]);
  });

  it('when the data is stale, gapped or the feed is down, then no alert fires and no crossing is recorded', () => {
    const e = open();
    feed(e, [60]);
    const t = T0 + MIN;
    expect(e.evaluate([live(80, t, { dataOk: false })], t, true)).toEqual([]);
    expect(e.evaluate([live(80, t, { updatedAt: t - 5001 })], t, true)).toEqual([]);
    expect(e.evaluate([live(80, t)], t, false)).toEqual([]);
    expect(e.evaluate([live(80, t, { score: null })], t, true)).toEqual([]);
    expect(e.stats().blocked.stale).toBe(4);
    // Data exactly maxDataAgeMs old is still fresh: the crossing from 60 is seen now.
    expect(e.evaluate([live(80, t, { updatedAt: t - 5000 })], t, true)).toHaveLength(1);
  });

  it('when the symbol was not seen fresh for longer than the rebaseline time, then a score found in the band does not alert', () => {
    const e = open();
    feed(e, [60]);
    expect(feed(e, [80], T0 + 11 * MIN)).toEqual([]);
    expect(feed(e, [80], T0 + 12 * MIN)).toEqual([]);
  });

  it('when a symbol re-enters within the cooldown, then it alerts once the cooldown ends if it is still inside', () => {
    const e = open({ rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], cooldownMs: 15 * MIN });
    // Minute 1: alert. Minute 3: exit. Minute 4: re-entry inside the cooldown. Minute 16: cooldown over → alert.
    const scores = [60, 72, 72, 60, 72, ...Array(11).fill(72), 72, 72];
    const fired = feed(e, scores);
    expect(fired.map(([i]) => i)).toEqual([1, 16]);
    expect(fired[1][1].id).toBe(`${SYM}:strong-bullish:${T0 + 4 * MIN}`);
    // Blocked at minutes 4..15.
    expect(e.stats().blocked.cooldown).toBe(12);
  });

  it('when the engine restarts, then states and ids survive: no duplicate, no baseline loss', () => {
    const rules = { rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], cooldownMs: 0 };
    const e = open(rules);
    expect(feed(e, [60, 72])).toHaveLength(1);
    e.close();
    const again = open(rules);
    expect(again.data().alerts).toHaveLength(1);
    // Still inside after the restart: no new alert for the same entry.
    expect(feed(again, [73, 74], T0 + 2 * MIN)).toEqual([]);
    // And the state survived: an exit and re-entry alerts.
    expect(feed(again, [60, 71], T0 + 4 * MIN)).toHaveLength(1);
  });

  it('when the state is lost but the alert was stored, then re-evaluating the same entry does not fire it twice', () => {
    const rules = { rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], cooldownMs: 0 };
    const e = open(rules);
    const [[, first]] = feed(e, [60, 72]);
    e.close();
    // Simulate a crash that lost the "fired" flag of this stay.
    const raw = new Database(path.join(tmp.dir, signalsDbFile('live')));
    raw.prepare('UPDATE alert_state SET fired = 0').run();
    raw.close();
    const again = open(rules);
    expect(feed(again, [73], T0 + 2 * MIN)).toEqual([]);
    expect(again.stats().duplicates).toBe(1);
    expect(again.data().alerts.map((a) => a.id)).toEqual([first.id]);
  });

  it('when delivery reports progress, then the history and the database follow', () => {
    const rules = { rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }] };
    const e = open(rules);
    const [[, a]] = feed(e, [60, 72]);
    const v = e.version;
    e.updateDelivery(a.id, 'delivered', 2);
    expect(e.version).toBeGreaterThan(v);
    expect(e.data().alerts[0]).toMatchObject({ delivery: 'delivered', attempts: 2 });
    e.close();
    const again = open(rules);
    expect(again.data().alerts[0]).toMatchObject({ id: a.id, delivery: 'delivered', attempts: 2 });
    expect(again.pendingDeliveries()).toEqual([]);
  });

  it('when alerts were pending at shutdown, then they are offered for delivery again', () => {
    const rules = { rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }] };
    const e = open(rules);
    const [[, a]] = feed(e, [60, 72]);
    e.close();
    expect(
      open(rules)
        .pendingDeliveries()
        .map((p) => p.id),
    ).toEqual([a.id]);
  });

  it('when more alerts fire than the history holds, then it keeps the newest', () => {
    const e = open({ rules: [{ name: 'strong-bullish', enterAbove: 70, exitBelow: 65 }], cooldownMs: 0 }, { historyLimit: 3 });
    const scores = Array.from({ length: 12 }, (_, i) => (i % 2 ? 72 : 60));
    const fired = feed(e, scores);
    expect(fired).toHaveLength(6);
    expect(e.data().alerts.map((x) => x.id)).toEqual(
      fired
        .slice(-3)
        .reverse()
        .map(([, x]) => x.id),
    );
  });

  it('when the source is a replay, then every message says so', () => {
    const e = open(undefined, { source: 'replay' });
    const [[, a]] = feed(e, [60, 72]);
    expect(a.message.startsWith('[replay] BTCUSDT entered strong-bullish')).toBe(true);
  });
});
