import type { HeartbeatData, MarketSource, RejectedValue, ShardStatus, Status, StatusState } from '@confluence/contracts';

/**
 * A heartbeat older than this many of the analyzer's cycles means the analyzer is stale. A cycle is its publish
 * interval, or a cycle's work (scoring and publishing) when that took longer: an analyzer with more symbols than its
 * host scores in an interval publishes every few seconds, and is slow, not gone. At most MAX_CYCLE_INTERVALS intervals.
 */
export const STALE_AFTER_INTERVALS = 3;
/** The longest cycle the staleness threshold follows, in publish intervals: a dead analyzer is stale within 30 s. */
export const MAX_CYCLE_INTERVALS = 10;
/** A last cycle longer than this many publish intervals is reported as the analyzer being behind. */
export const BEHIND_AFTER_INTERVALS = 1.5;
/** No exchange message for this long while connected means the feed is silent. */
export const FEED_SILENT_MS = 15_000;
/**
 * How far ahead of the web's clock a stored timestamp may be (clocks of two hosts differ a little). A value stamped
 * later than that is rejected: its age cannot be judged, and trusted it would read as fresh until the stamp passed.
 */
export const MAX_CLOCK_SKEW_MS = 5_000;

export interface ShardView {
  index: number;
  count: number;
  heartbeat: HeartbeatData | null;
  heartbeatProducedAt: number | null;
  hasTable: boolean;
  symbolCount: number;
}

export interface StatusInput {
  now: number;
  cacheReachable: boolean;
  cacheCheckedAt: number | null;
  /** Shards found (one entry with count 1 when unsharded). Empty when nothing was ever found. */
  shards: ShardView[];
  source: MarketSource | null;
  generation: number | null;
  tableProducedAt: number | null;
  /** Used when no heartbeat states the analyzer's own interval. */
  defaultPublishIntervalMs: number;
  rejected: RejectedValue[];
  /**
   * The value a response carries besides the table (a symbol's detail, the scoreboard…), judged by its own age:
   * older than `staleAfterMs` and the response says stale, with that value's age as the data age.
   */
  value?: { producedAt: number; staleAfterMs: number } | null;
}

function age(now: number, at: number | null): number | null {
  return at === null ? null : Math.max(0, now - at);
}

export function humanAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/** The publish interval a heartbeat states (or the default, for one that states none). */
function intervalOf(h: HeartbeatData, defaultInterval: number): number {
  return h.publishIntervalMs || defaultInterval;
}

/** How often a table is due from this analyzer: its interval, or a cycle's work (scoring + publishing) when longer, capped. */
function cadenceOf(h: HeartbeatData, defaultInterval: number): number {
  const interval = intervalOf(h, defaultInterval);
  const work = h.lastCycleMs + (h.lastPublishMs ?? 0);
  return Math.max(interval, Math.min(Number.isFinite(work) ? work : 0, MAX_CYCLE_INTERVALS * interval));
}

function shardState(s: ShardView, now: number, defaultInterval: number): ShardStatus['state'] {
  if (!s.heartbeat) return 'missing';
  const staleAfter = STALE_AFTER_INTERVALS * cadenceOf(s.heartbeat, defaultInterval);
  if (now - s.heartbeat.lastCycleAt > staleAfter) return 'stale';
  if (!s.hasTable || !s.heartbeat.tableComplete) return 'warming_up';
  return 'ok';
}

const RANK: Record<StatusState, number> = { ok: 0, warming_up: 1, stale: 2, no_data: 3, cache_unreachable: 4 };

/** One status for every response, derived from time, never from expiry. */
export function deriveStatus(input: StatusInput): Status {
  const { now } = input;
  const shardStatuses: ShardStatus[] = input.shards.map((s) => ({
    index: s.index,
    count: s.count,
    state: shardState(s, now, input.defaultPublishIntervalMs),
    heartbeatAgeMs: s.heartbeat ? age(now, s.heartbeat.lastCycleAt) : null,
    symbolCount: s.symbolCount,
  }));
  const present = input.shards.filter((s) => s.heartbeat || s.hasTable);
  const heartbeats = input.shards.map((s) => s.heartbeat).filter((h): h is HeartbeatData => h !== null);
  const newestCycle = heartbeats.length ? Math.max(...heartbeats.map((h) => h.lastCycleAt)) : null;
  const lastMessageAt = heartbeats.map((h) => h.intake.lastMessageAt).filter((t): t is number => t !== null);
  const feedAgeMs = lastMessageAt.length ? age(now, Math.min(...lastMessageAt)) : null;
  const replayFinished = heartbeats.length > 0 && heartbeats.every((h) => h.intake.state === 'closed');
  // The exchange feed's state is known only from a heartbeat that is itself fresh: a dead analyzer or an unreadable
  // cache says nothing about Bybit. Silence is judged at the heartbeat's own time, so an old heartbeat never turns
  // into "Bybit unreachable" just by ageing. The same holds for an access block and for candle repairs.
  const fresh = input.shards.filter((s, i) => s.heartbeat !== null && shardStatuses[i].state !== 'stale').map((s) => s.heartbeat as HeartbeatData);
  const known = input.cacheReachable && !replayFinished;
  const exchangeBlocked = known && fresh.some((h) => h.intake.state !== 'closed' && h.intake.accessBlocked === true);
  const repairing = known ? fresh.reduce((n, h) => n + (h.intake.repairing ?? 0), 0) : 0;
  const feedDown =
    known &&
    fresh.some(
      (h) =>
        h.intake.state !== 'closed' && (!h.intake.connected || (h.intake.lastMessageAt !== null && h.lastCycleAt - h.intake.lastMessageAt > FEED_SILENT_MS)),
    );

  let state: StatusState;
  if (!input.cacheReachable) state = 'cache_unreachable';
  else if (present.length === 0) state = 'no_data';
  else {
    state = 'ok';
    for (const s of shardStatuses) {
      const st: StatusState = s.state === 'missing' ? 'stale' : s.state;
      if (RANK[st] > RANK[state]) state = st;
    }
    // A table from an analyzer that is gone, with no heartbeat at all: still data, but stale.
    if (heartbeats.length === 0) state = 'stale';
  }

  const tableAgeMs = age(now, input.tableProducedAt);
  const valueAgeMs = input.value ? age(now, input.value.producedAt) : null;
  const dataAgeMs = valueAgeMs ?? tableAgeMs;
  if (state === 'ok' || state === 'warming_up') {
    // Each value by its own age, not only the heartbeat's: a fresh heartbeat beside a table the reader could not
    // accept (or an analyzer that stopped writing one value) must not read as live.
    const cadence = heartbeats.length ? Math.max(...heartbeats.map((h) => cadenceOf(h, input.defaultPublishIntervalMs))) : input.defaultPublishIntervalMs;
    const tableStale = tableAgeMs !== null && tableAgeMs > STALE_AFTER_INTERVALS * cadence;
    const valueStale = input.value != null && valueAgeMs !== null && valueAgeMs > input.value.staleAfterMs;
    if (tableStale || valueStale) state = 'stale';
  }
  const warmup = heartbeats.length
    ? { done: heartbeats.reduce((n, h) => n + h.warmup.done, 0), total: heartbeats.reduce((n, h) => n + h.warmup.total, 0) }
    : null;
  // Alive but slow: the slowest fresh shard whose last cycle took longer than it should have.
  let behind: Status['behind'] = null;
  if (state === 'ok' || state === 'warming_up') {
    for (const h of fresh) {
      const intervalMs = intervalOf(h, input.defaultPublishIntervalMs);
      const cycleMs = cadenceOf(h, input.defaultPublishIntervalMs);
      if (cycleMs > BEHIND_AFTER_INTERVALS * intervalMs && (behind === null || cycleMs > behind.cycleMs)) behind = { cycleMs, intervalMs };
    }
  }
  const showing = dataAgeMs !== null ? `showing data from ${humanAge(dataAgeMs)} ago` : 'no data held yet';
  let message: string;
  switch (state) {
    case 'ok':
      message = 'Live';
      break;
    case 'warming_up':
      message = warmup && warmup.total > 0 ? `Analyzer warming up — ${warmup.done}/${warmup.total} symbols backfilled` : 'Analyzer warming up';
      break;
    case 'no_data':
      message = "Waiting for the analyzer's first publish";
      break;
    case 'stale': {
      const hbAge = age(now, newestCycle);
      message = `Analyzer stale — ${showing}${hbAge !== null && dataAgeMs === null ? ` (last heartbeat ${humanAge(hbAge)} ago)` : ''}`;
      break;
    }
    case 'cache_unreachable':
      message = dataAgeMs !== null ? `Cache unreachable — showing last known data from ${humanAge(dataAgeMs)} ago` : 'Cache unreachable — no data held yet';
      break;
  }
  const missing = shardStatuses.filter((s) => s.state === 'missing' || s.state === 'stale');
  if (shardStatuses.length > 1 && missing.length) {
    message += ` · shard${missing.length > 1 ? 's' : ''} ${missing.map((s) => `${s.index}/${s.count} ${s.state}`).join(', ')}`;
  }
  if (replayFinished) message += ' · Market replay finished';
  else if (exchangeBlocked) message += " · Bybit refuses this server's IP (HTTP 403) — retrying";
  else if (feedDown) message += ` · Bybit unreachable — retrying${feedAgeMs !== null ? `, last message ${humanAge(feedAgeMs)} ago` : ''}`;
  if (behind) message += ` · analyzer behind: a table about every ${humanAge(behind.cycleMs)} instead of every ${humanAge(behind.intervalMs)}`;
  if (!replayFinished && repairing > 0) message += ` · repairing candles of ${repairing} symbol${repairing > 1 ? 's' : ''} after a gap`;
  if (input.rejected.length) message += ` · ${input.rejected.length} value${input.rejected.length > 1 ? 's' : ''} in the cache not understood — not shown`;

  return {
    state,
    simulated: input.source !== null && input.source !== 'live',
    feedDown,
    replayFinished,
    exchangeBlocked,
    repairing,
    behind,
    source: input.source,
    generation: input.generation,
    dataAgeMs,
    heartbeatAgeMs: age(now, newestCycle),
    feedAgeMs,
    message,
    cacheCheckedAt: input.cacheCheckedAt,
    warmup,
    shards: input.shards.length > 1 || (input.shards[0] && input.shards[0].count > 1) ? shardStatuses : null,
    rejected: input.rejected,
    now,
  };
}
