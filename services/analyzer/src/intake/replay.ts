import fs from 'node:fs';
import readline from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { RestError, type RestResponse, type RestTransport } from './bybit/rest-client';
import { sleep } from './backoff';
import type { RecordingMeta } from './recorder';

/** Query parameters that change between runs and must not take part in matching a recorded REST answer. */
const VOLATILE_PARAMS = new Set(['start', 'end', 'startTime', 'endTime', 'timestamp', '_']);

/** Messages fed between two yields to the event loop at unlimited speed. */
export const REPLAY_YIELD_EVERY = 2_000;

export interface RecordingIndex {
  readonly meta: RecordingMeta | undefined;
  /** Symbols seen in WS topics, in order of first appearance. */
  readonly symbols: string[];
  readonly rest: Map<string, RestResponse[]>;
  readonly wsLines: number;
  readonly firstTs: number | undefined;
  readonly lastTs: number | undefined;
  /** Lines that could not be parsed. */
  readonly badLines: number;
}

/** Path plus its query without volatile params, params sorted: the key a recorded REST answer is found by. */
export function restKey(pathWithQuery: string): string {
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return pathWithQuery;
  const params = new URLSearchParams(pathWithQuery.slice(q + 1));
  const kept = [...params.entries()].filter(([k]) => !VOLATILE_PARAMS.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return kept.length ? `${pathWithQuery.slice(0, q)}?${new URLSearchParams(kept).toString()}` : pathWithQuery.slice(0, q);
}

/** Line reader over a file; `close()` also releases the file descriptor. */
function lines(file: string): { rl: readline.Interface; close: () => void } {
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  return {
    rl,
    close: () => {
      rl.close();
      input.destroy();
    },
  };
}

/** First pass (streamed): meta, the REST answers and the symbol list. Frames are not kept in memory. */
export async function scanRecording(file: string): Promise<RecordingIndex> {
  let meta: RecordingMeta | undefined;
  const symbols: string[] = [];
  const seen = new Set<string>();
  const rest = new Map<string, RestResponse[]>();
  let wsLines = 0;
  let badLines = 0;
  let firstTs: number | undefined;
  let lastTs: number | undefined;
  const topicRe = /"topic"\s*:\s*"[A-Za-z]+\.(?:[^".]+\.)?([A-Z0-9]{2,30})"/;
  const reader = lines(file);
  try {
    for await (const line of reader.rl) {
      if (!line) continue;
      let rec: { k?: string; t?: number; m?: string; p?: string; s?: number; b?: string };
      try {
        rec = JSON.parse(line);
      } catch {
        badLines++;
        continue;
      }
      if (rec.k === 'meta') {
        meta ??= rec as unknown as RecordingMeta;
      } else if (rec.k === 'ws' && typeof rec.m === 'string' && typeof rec.t === 'number') {
        wsLines++;
        firstTs ??= rec.t;
        lastTs = rec.t;
        const m = topicRe.exec(rec.m);
        if (m && !seen.has(m[1])) {
          seen.add(m[1]);
          symbols.push(m[1]);
        }
      } else if (rec.k === 'rest' && typeof rec.p === 'string' && typeof rec.b === 'string') {
        const key = restKey(rec.p);
        let list = rest.get(key);
        if (!list) {
          list = [];
          rest.set(key, list);
        }
        list.push({ status: typeof rec.s === 'number' ? rec.s : 200, body: rec.b, headers: {} });
      } else {
        badLines++;
      }
    }
  } finally {
    reader.close();
  }
  return { meta, symbols, rest, wsLines, firstTs, lastTs, badLines };
}

/**
 * Answers REST calls from a recording, matched by `restKey`. Repeated requests get the recorded answers in order, the
 * last one again once they run out; a request never recorded fails with `replay_missing` (counted as a REST error,
 * never retried).
 */
export function createReplayTransport(index: RecordingIndex): RestTransport {
  const used = new Map<string, number>();
  const usable = new Map<string, RestResponse[]>();
  return {
    async get(pathWithQuery) {
      const key = restKey(pathWithQuery);
      let list = usable.get(key);
      if (!list) {
        // A recorded rate-limit or error answer that was later retried successfully is not replayed (it would only
        // make the replay wait); if no answer succeeded, the failure is replayed.
        const all = index.rest.get(key) ?? [];
        const good = all.filter((r) => r.status === 200 && /"retCode"\s*:\s*0[,}]/.test(r.body));
        list = good.length ? good : all;
        usable.set(key, list);
      }
      if (list.length === 0) throw new RestError('replay_missing', `no recorded answer for ${key}`, pathWithQuery);
      const i = used.get(key) ?? 0;
      used.set(key, i + 1);
      return list[Math.min(i, list.length - 1)];
    },
  };
}

export interface ReplayFeedOptions {
  file: string;
  /** Multiple of recorded speed; Infinity = as fast as possible. */
  speed: number;
  signal: AbortSignal;
  /** Called for every WS frame with its recorded receive time, after the clock moved to it. */
  onFrame: (raw: string, t: number, connId: number) => void;
  /** Market clock update (recorded time). */
  onTime: (t: number) => void;
  /** Called synchronously when recorded time crosses a minute boundary, before the first frame of the new minute. */
  onMinute: (minuteTs: number) => void;
}

/** Minute boundaries crossed in one jump beyond this are not all reported (a long gap in the recording). */
const MAX_MINUTES_PER_JUMP = 60;

/** Second pass: feeds the recorded frames in order, at `speed`× their recorded pace. Returns the frames fed. */
export async function feedRecording(o: ReplayFeedOptions): Promise<number> {
  const reader = lines(o.file);
  const rl = reader.rl;
  const onAbort = () => reader.close();
  o.signal.addEventListener('abort', onAbort, { once: true });
  let fed = 0;
  let sinceYield = 0;
  let minute: number | undefined;
  let t0: number | undefined;
  const wall0 = Date.now();
  try {
    for await (const line of rl) {
      if (o.signal.aborted) break;
      if (line.length < 10 || !line.includes('"k":"ws"')) continue;
      let rec: { k?: string; t?: number; c?: number; m?: string };
      try {
        rec = JSON.parse(line);
      } catch {
        continue;
      }
      if (rec.k !== 'ws' || typeof rec.m !== 'string' || typeof rec.t !== 'number') continue;
      const t = rec.t;
      t0 ??= t;
      if (Number.isFinite(o.speed)) {
        const due = wall0 + (t - t0) / o.speed;
        const wait = due - Date.now();
        if (wait > 1) await sleep(wait, o.signal).catch(() => undefined);
        if (o.signal.aborted) break;
      }
      const m = Math.floor(t / 60_000);
      if (minute === undefined) minute = m;
      else if (m > minute) {
        const first = Math.max(minute + 1, m - MAX_MINUTES_PER_JUMP + 1);
        for (let k = first; k <= m; k++) {
          o.onTime(k * 60_000);
          o.onMinute(k * 60_000);
        }
        minute = m;
        sinceYield = 0;
        await yieldToLoop();
        if (o.signal.aborted) break;
      }
      o.onTime(t);
      o.onFrame(rec.m, t, typeof rec.c === 'number' ? rec.c : 0);
      fed++;
      if (++sinceYield >= REPLAY_YIELD_EVERY) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    reader.close();
  }
  return fed;
}
