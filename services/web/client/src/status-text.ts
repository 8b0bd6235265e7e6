// Turns the server's Status into plain words. Pure: ages are passed in already advanced to "now",
// so the caller can re-run this every second and the text ticks.
import type { Status } from './types.js';
import { fmtAge, plural } from './format.js';

export type Level = 'ok' | 'info' | 'warn' | 'error';

export interface StatusLine {
  level: Level;
  text: string;
  /** A longer explanation for a tooltip. */
  detail?: string;
}

export interface StatusView {
  state: Status['state'];
  /** The main sentence; null when everything is fine (the UI shows a quiet "Live"). */
  headline: StatusLine | null;
  /** Flags and secondary problems, each its own sentence. */
  extras: StatusLine[];
  simulated: boolean;
}

/** Adds the time elapsed since the status was received to each of its ages. */
export function advanceAges(status: Status, elapsedMs: number): Status {
  const e = Math.max(0, elapsedMs);
  const add = (v: number | null): number | null => (v === null ? null : v + e);
  return {
    ...status,
    dataAgeMs: add(status.dataAgeMs),
    heartbeatAgeMs: add(status.heartbeatAgeMs),
    feedAgeMs: add(status.feedAgeMs),
    shards: status.shards ? status.shards.map((s) => ({ ...s, heartbeatAgeMs: add(s.heartbeatAgeMs) })) : null,
    now: status.now + e,
  };
}

export function describeStatus(status: Status): StatusView {
  const age = status.dataAgeMs;
  let headline: StatusLine | null;
  switch (status.state) {
    case 'ok':
      headline = null;
      break;
    case 'warming_up':
      headline = {
        level: 'info',
        text: status.warmup
          ? `Analyzer warming up — ${status.warmup.done}/${status.warmup.total} symbols backfilled`
          : 'Analyzer warming up — the first full table is on its way',
      };
      break;
    case 'no_data':
      headline = { level: 'info', text: "Waiting for the analyzer's first publish" };
      break;
    case 'stale':
      headline = {
        level: 'warn',
        text: age !== null ? `Analyzer stale — showing data from ${fmtAge(age)} ago` : 'Analyzer stale — no recent publish',
        detail: `${status.heartbeatAgeMs !== null ? `Last analyzer heartbeat ${fmtAge(status.heartbeatAgeMs)} ago. ` : ''}Whether Bybit is reachable is not known while the analyzer is not reporting.`,
      };
      break;
    case 'cache_unreachable':
      headline = {
        level: 'error',
        text: age !== null ? `Cache unreachable — showing last known data from ${fmtAge(age)} ago` : 'Cache unreachable — no data to show yet',
      };
      break;
    default:
      // A state this page does not know yet: the server's own sentence is the best we have.
      headline = { level: 'warn', text: status.message || `Status: ${String(status.state)}` };
  }
  if (headline && status.message && !headline.detail) headline.detail = status.message;

  const extras: StatusLine[] = [];
  if (status.replayFinished) {
    extras.push({ level: 'info', text: 'Market replay finished — the scores shown are the last ones it produced' });
  } else if (status.exchangeBlocked) {
    extras.push({
      level: 'error',
      text: "Bybit refuses this server's IP (HTTP 403) — retrying",
      detail: 'An access block (a region or IP refusal), not a rate limit: check where this server runs. Scores shown are not fresh.',
    });
  } else if (status.feedDown) {
    // The simulator speaks Bybit's protocol, so "Bybit" is the right name for the feed in every mode.
    extras.push({
      level: 'error',
      text: status.feedAgeMs !== null ? `Bybit unreachable — retrying, last message ${fmtAge(status.feedAgeMs)} ago` : 'Bybit unreachable — retrying',
      detail: 'The table is dimmed: scores are computed from the last market data received before the outage.',
    });
  }
  if (status.behind) {
    extras.push({
      level: 'warn',
      text: `Analyzer behind — a table about every ${fmtAge(status.behind.cycleMs)} instead of every ${fmtAge(status.behind.intervalMs)}`,
      detail:
        'The analyzer is running, but one cycle of scoring and publishing takes longer than its publish interval: it tracks more symbols than this host can score that often. Fewer symbols (TOP_SYMBOLS) or shards (SHARD=i/N) bring it back to every interval.',
    });
  }
  if (!status.replayFinished && (status.repairing ?? 0) > 0) {
    extras.push({
      level: 'info',
      text: `Repairing candles of ${plural(status.repairing ?? 0, 'symbol')} after a gap`,
      detail: 'Candles missed during an outage are being fetched again; those rows are marked not fully fresh until then.',
    });
  }
  for (const shard of status.shards ?? []) {
    // Same numbering as the analyzer's SHARD=i/N setting, so the banner names the process to look at.
    const name = `Shard ${shard.index}/${shard.count}`;
    if (shard.state === 'missing') {
      extras.push({ level: 'warn', text: `${name} missing — its symbols are not in the table` });
    } else if (shard.state === 'stale') {
      extras.push({
        level: 'warn',
        text: shard.heartbeatAgeMs !== null ? `${name} stale — last heartbeat ${fmtAge(shard.heartbeatAgeMs)} ago` : `${name} stale`,
      });
    } else if (shard.state === 'warming_up') {
      extras.push({ level: 'info', text: `${name} warming up` });
    }
  }
  const rejected = status.rejected ?? [];
  if (rejected.length > 0) {
    const schema = rejected.filter((r) => r.reason === 'newer_schema' || r.reason === 'older_schema');
    const other = rejected.length - schema.length;
    const detail = rejected.map((r) => `${r.key}: ${r.message}`).join('\n');
    if (schema.length > 0) {
      extras.push({
        level: 'warn',
        text: `${plural(schema.length, 'value')} in the cache ${schema.length === 1 ? 'has' : 'have'} an unknown schema — not shown`,
        detail,
      });
    }
    if (other > 0) {
      extras.push({ level: 'warn', text: `${plural(other, 'value')} in the cache ${other === 1 ? 'is' : 'are'} invalid — not shown`, detail });
    }
  }
  return { state: status.state, headline, extras, simulated: status.simulated };
}

/** The short reason an empty panel shows, derived from the status (never "nothing found" while data exists). */
export function emptyReason(status: Status | null): string {
  if (!status) return 'Connecting to the dashboard server…';
  const view = describeStatus(status);
  if (status.state === 'ok') return 'No data in the latest publish';
  return view.headline?.text ?? status.message;
}

export type PillTone = 'ok' | 'info' | 'warn' | 'error';

/** The short pill in the top bar: never a green "Live" while the exchange feed is down or the data is not fresh. */
export function pillFor(status: Status): { text: string; tone: PillTone } {
  const age = status.dataAgeMs !== null ? ` · data ${fmtAge(status.dataAgeMs)} old` : '';
  switch (status.state) {
    case 'ok':
      if (status.replayFinished) return { text: 'Replay finished', tone: 'info' };
      if (status.feedDown)
        return { text: `Bybit feed down${status.feedAgeMs !== null ? ` · last message ${fmtAge(status.feedAgeMs)} ago` : ''}`, tone: 'error' };
      if (status.behind) return { text: `Live, behind · a table every ${fmtAge(status.behind.cycleMs)}`, tone: 'warn' };
      return { text: `Live${status.dataAgeMs !== null ? ` · ${fmtAge(status.dataAgeMs)} old` : ''}`, tone: 'ok' };
    case 'warming_up':
      return { text: 'Warming up', tone: 'info' };
    case 'no_data':
      return { text: 'No data yet', tone: 'info' };
    case 'stale':
      return { text: `Analyzer stale${age}`, tone: 'warn' };
    case 'cache_unreachable':
      return { text: `Cache down${age}`, tone: 'error' };
    default:
      return { text: String(status.state), tone: 'warn' };
  }
}

/**
 * Why the data on screen is not live, in the banner's words, or null when it is live. Warming up is live data
 * (some rows are still missing, and they say so); a finished replay, a down feed, a stale analyzer and an
 * unreachable cache are not.
 */
export function notLiveReason(status: Status | null): string | null {
  if (!status) return null;
  const view = describeStatus(status);
  if (status.state === 'stale' || status.state === 'cache_unreachable') return view.headline?.text ?? status.message;
  if (status.state === 'ok' && status.replayFinished) return 'the market replay has finished';
  if (status.state === 'ok' && status.feedDown) return view.extras.find((l) => l.text.startsWith('Bybit'))?.text ?? 'Bybit unreachable';
  return null;
}
