import { type Alert, type AlertsData, COMPONENT_NAMES, type MarketSource, type SymbolRow, formatPrice } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';
import type { AlertRule, AlertRules } from './alert-rules';
import type { DeliveryState } from './alert-delivery';
import { bandOf } from './bands';
import { type SignalsDb, type SqlStatement, openSignalsDb } from './db';

/** Alerts kept in `/api/alerts`, newest first. */
export const ALERT_HISTORY = 200;
/** Alerts kept in the database (for dedupe and the history after a restart). */
const ALERT_ROWS_KEPT = 5_000;
/**
 * A symbol+rule not evaluated on fresh data for this long (a restart, an outage, a gap) starts again from a baseline:
 * whether it is in the band now is recorded, but no crossing was observed, so no alert fires for it.
 */
export const REBASELINE_AFTER_MS = 10 * 60_000;
/** The state's last-seen time is written at most this often (transitions and alerts are written at once). */
const SEEN_PERSIST_MS = 60_000;
const MINUTE_MS = 60_000;

export type BlockReason = 'stale' | 'confidence' | 'agreeing' | 'cooldown';

interface RuleState {
  inside: boolean;
  /** Market time the current stay in the band began; null when outside or in it since the baseline. */
  entryAt: number | null;
  entryBand: string | null;
  /** True once this stay has produced its alert (or was already inside at the baseline): one alert per entry. */
  fired: boolean;
  lastSeenAt: number;
  lastBand: string | null;
  lastFiredAt: number | null;
  persistedSeenAt: number;
  dirty: boolean;
}

export interface AlertEngineOptions {
  /** Either an open signals database or a directory to open one in. */
  db?: SignalsDb;
  dataDir?: string;
  rules: AlertRules;
  logger: Logger;
  /** A non-live source prefixes every message ("[replay] …") so nobody trades on a replayed alert. */
  source?: MarketSource;
  /** Hands a new alert to delivery. */
  deliver?: (alert: Alert) => void;
  historyLimit?: number;
  rebaselineAfterMs?: number;
}

export function alertId(symbol: string, rule: string, entryAt: number): string {
  return `${symbol}:${rule}:${Math.floor(entryAt / MINUTE_MS) * MINUTE_MS}`;
}

/** Components on the rule's side of 50 by more than the margin (> 55 bullish, < 45 bearish with margin 5); null ones never count. */
export function agreeingComponents(row: SymbolRow, side: 'Bullish' | 'Bearish', margin: number): number {
  let n = 0;
  for (const c of COMPONENT_NAMES) {
    const v = row.components[c];
    if (v === null) continue;
    if (side === 'Bullish' ? v > 50 + margin : v < 50 - margin) n++;
  }
  return n;
}

function hhmm(ts: number): string {
  return new Date(ts).toISOString().slice(11, 16);
}

/**
 * Alert rules as a per-symbol, per-rule state machine with hysteresis. On each cycle, for each row:
 *  - stale rows (feed down, row.dataOk false, data older than maxDataAgeMs, no score) change nothing;
 *  - outside → inside only when the score crosses the rule's enter threshold, inside → outside only at the exit one;
 *  - while inside and not yet alerted for this stay, an alert fires as soon as the gates pass (confidence, agreeing
 *    components, cooldown) — so an entry first blocked by a gate still alerts once the gate opens, if the score is
 *    still in the band; exactly one alert per entry either way.
 * The alert id is `symbol:rule:entryMinute`; ids and states are in SQLite, so re-evaluations and restarts never
 * produce the same alert twice.
 */
export class AlertEngine {
  private readonly db: SignalsDb;
  private readonly ownsDb: boolean;
  private readonly rules: AlertRules;
  private readonly logger: Logger;
  private readonly source: MarketSource;
  private readonly historyLimit: number;
  private readonly rebaselineAfterMs: number;
  private deliver: ((alert: Alert) => void) | undefined;
  private readonly states = new Map<string, RuleState>();
  private readonly history: Alert[] = [];
  private versionNo = 0;
  private firedSinceCleanup = 0;
  private readonly counters = { fired: 0, duplicates: 0, blocked: { stale: 0, confidence: 0, agreeing: 0, cooldown: 0 } as Record<BlockReason, number> };
  private readonly stmt: Record<'upsertState' | 'insertAlert' | 'updateDelivery' | 'cleanup', SqlStatement>;
  private readonly persistTx: (states: Array<[string, string, RuleState]>) => void;

  constructor(opts: AlertEngineOptions) {
    if (opts.db) this.db = opts.db;
    else if (opts.dataDir !== undefined) this.db = openSignalsDb(opts.dataDir);
    else throw new Error('AlertEngine needs db or dataDir');
    this.ownsDb = !opts.db;
    this.rules = opts.rules;
    this.logger = opts.logger;
    this.source = opts.source ?? 'live';
    this.deliver = opts.deliver;
    this.historyLimit = opts.historyLimit ?? ALERT_HISTORY;
    this.rebaselineAfterMs = opts.rebaselineAfterMs ?? REBASELINE_AFTER_MS;
    const db = this.db;
    this.stmt = {
      upsertState: db.prepare(
        `INSERT INTO alert_state (symbol, rule, inside, entry_at, entry_band, fired, last_seen_at, last_band, last_fired_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (symbol, rule) DO UPDATE SET inside = excluded.inside, entry_at = excluded.entry_at, entry_band = excluded.entry_band,
           fired = excluded.fired, last_seen_at = excluded.last_seen_at, last_band = excluded.last_band, last_fired_at = excluded.last_fired_at`,
      ),
      insertAlert: db.prepare('INSERT OR IGNORE INTO alerts (id, at, body, delivery, attempts) VALUES (?, ?, ?, ?, ?)'),
      updateDelivery: db.prepare('UPDATE alerts SET delivery = ?, attempts = ? WHERE id = ?'),
      cleanup: db.prepare(`DELETE FROM alerts WHERE at < (SELECT at FROM alerts ORDER BY at DESC LIMIT 1 OFFSET ${ALERT_ROWS_KEPT})`),
    };
    this.persistTx = db.transaction((states: Array<[string, string, RuleState]>) => {
      for (const [symbol, rule, s] of states) {
        this.stmt.upsertState.run(symbol, rule, s.inside ? 1 : 0, s.entryAt, s.entryBand, s.fired ? 1 : 0, s.lastSeenAt, s.lastBand, s.lastFiredAt);
      }
    });
    this.load();
  }

  private static key(symbol: string, rule: string): string {
    return `${symbol}\u0000${rule}`;
  }

  private load(): void {
    const rows = this.db
      .prepare('SELECT symbol, rule, inside, entry_at, entry_band, fired, last_seen_at, last_band, last_fired_at FROM alert_state')
      .all() as Array<{
      symbol: string;
      rule: string;
      inside: number;
      entry_at: number | null;
      entry_band: string | null;
      fired: number;
      last_seen_at: number;
      last_band: string | null;
      last_fired_at: number | null;
    }>;
    for (const r of rows) {
      this.states.set(AlertEngine.key(r.symbol, r.rule), {
        inside: r.inside === 1,
        entryAt: r.entry_at,
        entryBand: r.entry_band,
        fired: r.fired === 1,
        lastSeenAt: r.last_seen_at,
        lastBand: r.last_band,
        lastFiredAt: r.last_fired_at,
        persistedSeenAt: r.last_seen_at,
        dirty: false,
      });
    }
    const recent = this.db.prepare('SELECT body, delivery, attempts FROM alerts ORDER BY at DESC, id DESC LIMIT ?').all(this.historyLimit) as Array<{
      body: string;
      delivery: DeliveryState;
      attempts: number;
    }>;
    for (const r of recent) this.history.push({ ...(JSON.parse(r.body) as Alert), delivery: r.delivery, attempts: r.attempts });
    this.versionNo++;
  }

  setDeliver(deliver: (alert: Alert) => void): void {
    this.deliver = deliver;
  }

  /** Alerts whose delivery was still pending at the last shutdown, oldest first (to queue again). */
  pendingDeliveries(limit = 1_000): Alert[] {
    const rows = this.db.prepare("SELECT body, attempts FROM alerts WHERE delivery = 'pending' ORDER BY at ASC LIMIT ?").all(limit) as Array<{
      body: string;
      attempts: number;
    }>;
    return rows.map((r) => ({ ...(JSON.parse(r.body) as Alert), delivery: 'pending', attempts: r.attempts }));
  }

  /**
   * Evaluates every rule for every row at market time `now`. `fresh` is false when the analyzer's feed is down:
   * then nothing changes. Returns the alerts fired (already stored and handed to delivery).
   */
  evaluate(rows: readonly SymbolRow[], now: number, fresh: boolean): Alert[] {
    if (!fresh) {
      this.counters.blocked.stale += rows.length;
      return [];
    }
    const fired: Alert[] = [];
    const dirty: Array<[string, string, RuleState]> = [];
    for (const row of rows) {
      const score = row.score;
      if (!row.dataOk || score === null || now - row.updatedAt > this.rules.maxDataAgeMs) {
        this.counters.blocked.stale++;
        continue;
      }
      const band = bandOf(score);
      for (const rule of this.rules.rules) {
        const key = AlertEngine.key(row.symbol, rule.name);
        const prev = this.states.get(key);
        const entering = rule.side === 'Bullish' ? score >= rule.enter : score <= rule.enter;
        const leaving = rule.side === 'Bullish' ? score < rule.exit : score > rule.exit;
        let st: RuleState;
        if (!prev || now - prev.lastSeenAt > this.rebaselineAfterMs || now < prev.lastSeenAt - this.rebaselineAfterMs) {
          // No crossing was observed: record where the score is, alert on the next real entry.
          st = {
            inside: entering,
            entryAt: null,
            entryBand: null,
            fired: true,
            lastSeenAt: now,
            lastBand: band,
            lastFiredAt: prev?.lastFiredAt ?? null,
            persistedSeenAt: -Infinity,
            dirty: true,
          };
          this.states.set(key, st);
        } else {
          st = prev;
          if (!st.inside && entering) {
            Object.assign(st, { inside: true, entryAt: now, entryBand: st.lastBand, fired: false, dirty: true });
          } else if (st.inside && leaving) {
            Object.assign(st, { inside: false, entryAt: null, entryBand: null, fired: false, dirty: true });
          }
          if (st.inside && !st.fired) {
            const alert = this.tryFire(row, score, rule, st, now, band);
            if (alert) fired.push(alert);
          }
          st.lastSeenAt = now;
          st.lastBand = band;
        }
        if (st.dirty || now - st.persistedSeenAt >= SEEN_PERSIST_MS) {
          st.dirty = false;
          st.persistedSeenAt = now;
          dirty.push([row.symbol, rule.name, st]);
        }
      }
    }
    if (dirty.length) this.persistTx(dirty);
    for (const a of fired) this.deliver?.(a);
    return fired;
  }

  private tryFire(row: SymbolRow, score: number, rule: AlertRule, st: RuleState, now: number, band: string | null): Alert | null {
    const agreeing = agreeingComponents(row, rule.side, this.rules.agreeMargin);
    let blocked: BlockReason | null = null;
    if (row.confidence < rule.minConfidence) blocked = 'confidence';
    else if (agreeing < rule.minAgreeing) blocked = 'agreeing';
    else if (st.lastFiredAt !== null && now - st.lastFiredAt < rule.cooldownMs && now >= st.lastFiredAt) blocked = 'cooldown';
    if (blocked) {
      this.counters.blocked[blocked]++;
      return null;
    }
    const entryAt = st.entryAt ?? now;
    const id = alertId(row.symbol, rule.name, entryAt);
    const prefix = this.source === 'live' ? '' : `[${this.source}] `;
    const since = now - entryAt >= MINUTE_MS ? `; in the band since ${hhmm(entryAt)} UTC` : '';
    // A band the score was already in before it entered the rule ("60–70 → 60–70") says nothing: then only the band.
    const previousBand = st.entryBand !== null && st.entryBand !== band ? st.entryBand : null;
    const bandText = previousBand ? `${previousBand} → ${band}` : `band ${band}`;
    const alert: Alert = {
      id,
      symbol: row.symbol,
      rule: rule.name,
      band: band ?? '',
      previousBand,
      score,
      direction: rule.side,
      confidence: row.confidence,
      agreeing,
      price: row.price,
      ...(row.tickSize !== undefined ? { tickSize: row.tickSize } : {}),
      at: now,
      message:
        `${prefix}${row.symbol} entered ${rule.name}: score ${score.toFixed(1)} (${bandText}), confidence ${row.confidence.toFixed(2)}, ${agreeing}/6 components agree, price ${formatPrice(row.price, row.tickSize, 'unknown')}${since}`.slice(
          0,
          600,
        ),
      delivery: 'pending',
      attempts: 0,
    };
    st.fired = true;
    st.dirty = true;
    const inserted = this.stmt.insertAlert.run(id, now, JSON.stringify(alert), 'pending', 0).changes > 0;
    if (!inserted) {
      // Already fired before a restart that lost the state: never twice.
      this.counters.duplicates++;
      return null;
    }
    st.lastFiredAt = now;
    this.counters.fired++;
    this.history.unshift(alert);
    if (this.history.length > this.historyLimit) this.history.length = this.historyLimit;
    this.versionNo++;
    if (++this.firedSinceCleanup >= 100) {
      this.firedSinceCleanup = 0;
      this.stmt.cleanup.run();
    }
    this.logger.info('alert', { alertId: id, symbol: row.symbol, rule: rule.name, score, confidence: row.confidence, agreeing });
    return alert;
  }

  /** Delivery progress of one alert (from AlertDelivery). */
  updateDelivery(id: string, delivery: DeliveryState, attempts: number): void {
    this.stmt.updateDelivery.run(delivery, attempts, id);
    const a = this.history.find((x) => x.id === id);
    if (a && (a.delivery !== delivery || a.attempts !== attempts)) {
      a.delivery = delivery;
      a.attempts = attempts;
      this.versionNo++;
    }
  }

  get version(): number {
    return this.versionNo;
  }

  /** Alert history for `/api/alerts`, newest first. */
  data(): AlertsData {
    return { alerts: this.history.map((a) => ({ ...a })) };
  }

  stats(): { fired: number; duplicates: number; blocked: Record<BlockReason, number>; states: number } {
    return { fired: this.counters.fired, duplicates: this.counters.duplicates, blocked: { ...this.counters.blocked }, states: this.states.size };
  }

  /** Writes every state (last-seen times included) so a quick restart resumes without a baseline. */
  flush(): void {
    const all: Array<[string, string, RuleState]> = [];
    for (const [key, st] of this.states) {
      const [symbol, rule] = key.split('\u0000');
      all.push([symbol, rule, st]);
    }
    if (all.length && this.db.open) this.persistTx(all);
  }

  close(): void {
    this.flush();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
