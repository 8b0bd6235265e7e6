import path from 'node:path';
import { type Cache, setEnvelope } from '@confluence/cache';
import {
  type Alert,
  type AlertsData,
  type CalibrationData,
  type EnvelopeMeta,
  type Keys,
  type MarketSource,
  type ShardId,
  type SnapshotData,
  type SymbolDetail,
  type SymbolRow,
  type TimelineData,
  REWRITE_UNCHANGED_MS,
  makeEnvelope,
} from '@confluence/contracts';
import { errorMessage, type Logger } from '@confluence/logger';
import { AlertDelivery, type AlertDeliveryOptions, type AlertFormat } from './alert-delivery';
import { type AlertRules, loadAlertRules } from './alert-rules';
import { AlertEngine, type BlockReason } from './alerts';
import { CalibrationStore, type HorizonName } from './calibration';
import { openSignalsDb, signalsDbFile } from './db';
import { Timeline } from './timeline';

export { DataDirError } from './db';
export { AlertRulesError } from './alert-rules';
export { CalibrationStore } from './calibration';
export { AlertEngine } from './alerts';
export { AlertDelivery } from './alert-delivery';
export { Timeline } from './timeline';

/** TTLs only bound garbage; readers judge staleness from producedAt. */
export const CALIBRATION_TTL_S = 7 * 24 * 3600;
export const ALERTS_TTL_S = 7 * 24 * 3600;
export const TIMELINE_TTL_S = 24 * 3600;
export const SNAPSHOT_TTL_S = 24 * 3600;
/** The scoreboard is republished at most this often (wall time) while it changes, e.g. in a max-speed replay. */
export const CALIBRATION_PUBLISH_MS = 5_000;
/** calibration, alerts and the timeline index are rewritten this often even unchanged, so an emptied cache refills. */
export const SIGNALS_FULL_REWRITE_MS = REWRITE_UNCHANGED_MS;
/** Bounds on snapshot writes per publish call, so a restart's backlog never makes one cycle slow. */
export const SNAPSHOTS_PER_PUBLISH = 60;
export const SNAPSHOT_BYTES_PER_PUBLISH = 2 * 1024 * 1024;
/** How long close() waits for alert delivery to stop before closing the store regardless. */
const DELIVERY_CLOSE_MS = 500;

export interface SignalsOptions {
  dataDir: string;
  source: MarketSource;
  shard?: ShardId;
  logger: Logger;
  webhookUrl?: string;
  format?: AlertFormat;
  telegramChatId?: string;
  /** ALERT_RULES_FILE; else `rulesJson` (JSON text from the environment); else the default rules. */
  rulesFile?: string;
  rulesJson?: string;
  /** Wall clock, for publish throttling. */
  wallNow?: () => number;
  /** Delivery tuning (tests inject `sleep`). */
  delivery?: Partial<Pick<AlertDeliveryOptions, 'sleep' | 'maxAttempts' | 'baseDelayMs' | 'timeoutMs' | 'maxQueue'>>;
}

export interface SignalsPublishResult {
  ok: boolean;
  written: number;
  bytes: number;
  error?: string;
}

export interface SignalsHealth {
  calibration: { rows: number; samples: number; resolved: number };
  alerts: { fired: number; duplicates: number; blocked: Record<BlockReason, number>; states: number };
  delivery: { enabled: boolean; queued: number; delivered: number; failed: number; retries: number; deadLettered: number };
  timeline: { minutes: number; pendingPublish: number };
}

export interface Signals {
  readonly rules: AlertRules;
  /** Once per market minute, with the rows as they are: samples the scoreboard and records the time-travel snapshot. */
  onMinute(minuteTs: number, rows: readonly SymbolRow[]): void;
  /** Every cycle: evaluates the alert rules at market time `now`; `fresh` false when the exchange feed is down. */
  onCycle(rows: readonly SymbolRow[], now: number, fresh: boolean): Alert[];
  /** The scoreboard record of a score's band (1 h horizon by default) for SymbolDetail.bandRecord. */
  bandRecord(score: number | null, horizon?: HorizonName): SymbolDetail['bandRecord'];
  calibration(): CalibrationData;
  alerts(): AlertsData;
  timeline(): TimelineData;
  snapshot(minuteTs: number): SnapshotData | undefined;
  /**
   * Writes what changed to the cache: new minute snapshots (newest first, bounded per call), then the timeline
   * index, the alert history and the scoreboard. Never throws; a failed write is retried on the next call.
   */
  publish(cache: Cache, keys: Keys, meta: EnvelopeMeta, opts?: { full?: boolean }): Promise<SignalsPublishResult>;
  /**
   * The cache may have lost everything (Memcached restarted or a publish failed): the next publish calls write the
   * scoreboard, the alert history and the timeline index again, and every time-travel snapshot still held.
   */
  invalidate(): void;
  health(): SignalsHealth;
  /** Stops delivery (queued alerts stay pending for the next start), saves alert states, closes the database. */
  close(): Promise<void>;
}

/**
 * The trust features behind one facade: calibration scoreboard, alerts (rules, state, delivery) and time-travel,
 * sharing one SQLite file in DATA_DIR. Throws DataDirError or AlertRulesError at creation: the analyzer fails fast.
 */
export function createSignals(opts: SignalsOptions): Signals {
  const logger = opts.logger;
  const wallNow = opts.wallNow ?? Date.now;
  const rules = loadAlertRules({ file: opts.rulesFile, json: opts.rulesJson });
  const db = openSignalsDb(opts.dataDir, signalsDbFile(opts.source, opts.shard));
  let calibration: CalibrationStore;
  let engine: AlertEngine;
  let timeline: Timeline;
  try {
    calibration = new CalibrationStore({ db, logger: logger.child({ component: 'calibration' }), now: wallNow });
    engine = new AlertEngine({ db, rules, logger: logger.child({ component: 'alerts' }), source: opts.source });
    timeline = new Timeline({ db, logger: logger.child({ component: 'timeline' }), now: wallNow });
  } catch (err) {
    db.close();
    throw err;
  }
  const delivery = new AlertDelivery({
    url: opts.webhookUrl,
    format: opts.format ?? 'json',
    telegramChatId: opts.telegramChatId,
    deadLetterFile: path.join(path.resolve(opts.dataDir), 'alerts-dead-letter.jsonl'),
    logger: logger.child({ component: 'alert-delivery' }),
    onUpdate: (id, state, attempts) => {
      if (db.open) engine.updateDelivery(id, state, attempts);
    },
    ...opts.delivery,
  });
  engine.setDeliver((a) => delivery.enqueue(a));
  for (const a of engine.pendingDeliveries()) delivery.enqueue(a);

  let lastFullAt = -Infinity;
  let publishedAlerts = -1;
  let publishedCalibration = -1;
  let calibrationAt = -Infinity;
  let publishedTimeline = '';
  let closed = false;

  return {
    rules,
    onMinute(minuteTs, rows) {
      if (closed) return;
      calibration.sample(minuteTs, rows);
      timeline.record(minuteTs, rows);
    },
    onCycle(rows, now, fresh) {
      if (closed) return [];
      // Minutes buffered by a burst (a max-speed replay) reach the disk within a cycle even when the burst stops.
      calibration.flush();
      timeline.flush();
      return engine.evaluate(rows, now, fresh);
    },
    bandRecord: (score, horizon) => calibration.bandRecord(score, horizon),
    calibration: () => calibration.summary(),
    alerts: () => engine.data(),
    timeline: () => timeline.index(),
    snapshot: (m) => timeline.get(m),

    async publish(cache, keys, meta, options = {}) {
      if (closed) return { ok: true, written: 0, bytes: 0 };
      const t = wallNow();
      const full = options.full === true || t - lastFullAt >= SIGNALS_FULL_REWRITE_MS;
      let written = 0;
      let bytes = 0;
      const taken = timeline.takePending(SNAPSHOTS_PER_PUBLISH);
      let done = 0;
      try {
        for (const m of taken) {
          if (bytes >= SNAPSHOT_BYTES_PER_PUBLISH) break;
          const snap = timeline.get(m);
          if (snap) {
            bytes += await setEnvelope(cache, keys.snapshot(m), makeEnvelope('snapshot', meta, snap), SNAPSHOT_TTL_S);
            written++;
          }
          done++;
        }
        timeline.requeue(taken.slice(done));
        const index = timeline.publishedIndex();
        const indexSig = `${index.minutes.length}:${index.minutes[0] ?? ''}:${index.minutes[index.minutes.length - 1] ?? ''}`;
        if (full || indexSig !== publishedTimeline) {
          bytes += await setEnvelope(cache, keys.timeline(), makeEnvelope('timeline', meta, index), TIMELINE_TTL_S);
          publishedTimeline = indexSig;
          written++;
        }
        const alertsVersion = engine.version;
        if (full || alertsVersion !== publishedAlerts) {
          bytes += await setEnvelope(cache, keys.alerts(), makeEnvelope('alerts', meta, engine.data()), ALERTS_TTL_S);
          publishedAlerts = alertsVersion;
          written++;
        }
        const calVersion = calibration.version;
        if (full || (calVersion !== publishedCalibration && t - calibrationAt >= CALIBRATION_PUBLISH_MS)) {
          bytes += await setEnvelope(cache, keys.calibration(), makeEnvelope('calibration', meta, calibration.summary()), CALIBRATION_TTL_S);
          publishedCalibration = calVersion;
          calibrationAt = t;
          written++;
        }
        if (full) lastFullAt = t;
        return { ok: true, written, bytes };
      } catch (err) {
        // The cache may have restarted empty: everything is written again, snapshots included.
        timeline.requeue(taken.slice(done));
        timeline.requeue();
        lastFullAt = -Infinity;
        return { ok: false, written, bytes, error: errorMessage(err) };
      }
    },

    invalidate() {
      if (closed) return;
      timeline.requeue();
      lastFullAt = -Infinity;
    },

    health() {
      return {
        calibration: calibration.stats(),
        alerts: engine.stats(),
        delivery: { enabled: delivery.enabled, ...delivery.stats() },
        timeline: { minutes: timeline.index().minutes.length, pendingPublish: timeline.pendingCount },
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      // Delivery aborts its request in flight; should it still not settle, the store is closed anyway (its updates
      // check that the database is open), so a stuck webhook can never keep SQLite open past shutdown.
      let t: NodeJS.Timeout | undefined;
      await Promise.race([delivery.close(), new Promise<void>((r) => (t = setTimeout(r, DELIVERY_CLOSE_MS)))]);
      clearTimeout(t);
      engine.close();
      calibration.close();
      timeline.close();
      db.close();
    },
  };
}
