// Fault and market controls: the typed in-process interface, and the HTTP adapter that validates
// JSON bodies for tests running the simulator as a separate process.
import { INSTRUMENT_STATUSES, type InstrumentStatus } from './instruments';
import { isRegime, MAX_STRENGTH, type Regime } from './regimes';

export interface RestFaultControl {
  /** HTTP status to answer with (403, 429, 500…); omit for HTTP 200 with a retCode. */
  readonly status?: number;
  /** retCode of an HTTP 200 error answer (10006 "Too many visits" by default, or 10016…). */
  readonly retCode?: number;
  /** How many following REST calls fail. */
  readonly count: number;
  /** HTTP 403 with a CDN's HTML "blocked in your country" page (an access block, not a rate limit). */
  readonly geoBlock?: boolean;
}

export interface SimControls {
  /** Terminates every WebSocket connection without a close handshake; returns how many. */
  drop(): number;
  /** Leaves pings unanswered for `ms` milliseconds. */
  stallPongs(ms: number): void;
  /** The symbol's next book delta (depth 50/200) skips one `u`. */
  gap(symbol: string): void;
  /** The symbol's next book delta adds a bid above the best ask. */
  crossed(symbol: string): void;
  /** Sends `count` malformed frames to every connection; returns frames sent. */
  malformed(count: number): number;
  /** Subscribe requests with a topic containing `pattern` fail until cleared (null or ""). */
  reject(pattern: string | null): void;
  restFault(fault: RestFaultControl): void;
  /** Moves the symbol's market to `price` at the next step (trades and book). */
  price(symbol: string, price: number): void;
  regime(symbol: string, regime: Regime, strength?: number): void;
  /** Stops (or resumes) all market traffic; connections, pings and REST keep working. */
  pause(paused: boolean): void;
  /**
   * WebSocket outage: drops every connection and refuses new ones (HTTP 503 on the upgrade) for `ms` (wall clock), or
   * until `wsOutage(0)`; `Infinity` until ended. REST keeps answering, so the klines of the gap can be fetched.
   * `status` 403 refuses them with an HTML 403 page instead (a WebSocket access block).
   */
  wsOutage(ms: number, status?: 403 | 503): void;
  /** Busy market: exactly `tradesPerSecond` trades per second of market time on `symbol` (0 ends the burst). */
  burst(symbol: string, tradesPerSecond: number): void;
  /** The symbol's next book frame is an empty snapshot with u = 1 (Bybit's delisting / tick-size-change signal). */
  emptySnapshot(symbol: string): void;
  /** instruments-info reports this status for the symbol from now on (e.g. Trading → Settling). */
  instrumentStatus(symbol: string, status: InstrumentStatus): void;
  /** Shifts the simulator's clock (REST `time`, frame and trade timestamps) by `offsetMs` against the host's. */
  clockOffset(offsetMs: number): void;
  /** The 24 h turnover the symbol ranks by (null: its own again). */
  turnover(symbol: string, turnover24h: number | null): void;
  /** Clears every fault (pause, stalls, rejections, pending gaps/crossings, REST faults, outage, bursts). */
  reset(): void;
}

/** A control request the simulator cannot honour (unknown symbol, bad value). */
export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface ControlResult {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type Body = Record<string, unknown>;

function num(body: Body, key: string, opts: { min?: number; max?: number; integer?: boolean; optional?: boolean } = {}): number | undefined {
  const v = body[key];
  if (v === undefined && opts.optional === true) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ControlError(`"${key}" must be a number`);
  if (opts.integer === true && !Number.isInteger(v)) throw new ControlError(`"${key}" must be an integer`);
  if (opts.min !== undefined && v < opts.min) throw new ControlError(`"${key}" must be ≥ ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw new ControlError(`"${key}" must be ≤ ${opts.max}`);
  return v;
}

function requiredNum(body: Body, key: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const v = num(body, key, opts);
  if (v === undefined) throw new ControlError(`"${key}" is required`);
  return v;
}

function str(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new ControlError(`"${key}" must be a non-empty string`);
  return v;
}

/** Runs POST /sim/control/{name} with a parsed JSON body. */
export function runControl(controls: SimControls, name: string, body: Body): ControlResult {
  switch (name) {
    case 'drop':
      return ok({ dropped: controls.drop() });
    case 'stall-pongs': {
      const ms = requiredNum(body, 'ms', { min: 0, max: 3_600_000 });
      controls.stallPongs(ms);
      return ok({ ms });
    }
    case 'gap':
      controls.gap(str(body, 'symbol'));
      return ok({});
    case 'crossed':
      controls.crossed(str(body, 'symbol'));
      return ok({});
    case 'malformed':
      return ok({ sent: controls.malformed(requiredNum(body, 'count', { min: 1, max: 10_000, integer: true })) });
    case 'reject': {
      const p = body.pattern;
      if (p !== null && p !== undefined && typeof p !== 'string') throw new ControlError('"pattern" must be a string or null');
      controls.reject(typeof p === 'string' && p !== '' ? p : null);
      return ok({ pattern: p ?? null });
    }
    case 'rest-fault': {
      const status = num(body, 'status', { min: 100, max: 599, integer: true, optional: true });
      const retCode = num(body, 'retCode', { min: 1, integer: true, optional: true });
      const count = requiredNum(body, 'count', { min: 0, max: 1_000_000, integer: true });
      if (body.geoBlock !== undefined && typeof body.geoBlock !== 'boolean') throw new ControlError('"geoBlock" must be a boolean');
      controls.restFault({ status, retCode, count, geoBlock: body.geoBlock === true ? true : undefined });
      return ok({ count });
    }
    case 'ws-outage': {
      // {ms} for a timed outage, {on: true|false} to start one until ended / end it.
      const on = body.on;
      if (on !== undefined && typeof on !== 'boolean') throw new ControlError('"on" must be a boolean');
      const ms = on === undefined ? requiredNum(body, 'ms', { min: 0, max: 86_400_000 }) : on ? Infinity : 0;
      const status = body.status;
      if (status !== undefined && status !== 403 && status !== 503) throw new ControlError('"status" must be 403 or 503');
      controls.wsOutage(ms, status);
      return ok({ ms: Number.isFinite(ms) ? ms : null });
    }
    case 'burst': {
      const rate = requiredNum(body, 'tradesPerSecond', { min: 0, max: 5_000 });
      controls.burst(str(body, 'symbol'), rate);
      return ok({ tradesPerSecond: rate });
    }
    case 'empty-snapshot':
      controls.emptySnapshot(str(body, 'symbol'));
      return ok({});
    case 'instrument-status': {
      const status = body.status;
      if (typeof status !== 'string' || !(INSTRUMENT_STATUSES as readonly string[]).includes(status)) {
        throw new ControlError(`"status" must be one of ${INSTRUMENT_STATUSES.join(', ')}`);
      }
      controls.instrumentStatus(str(body, 'symbol'), status as InstrumentStatus);
      return ok({ status });
    }
    case 'clock':
      controls.clockOffset(requiredNum(body, 'offsetMs', { min: -86_400_000, max: 86_400_000 }));
      return ok({});
    case 'turnover': {
      const t = body.turnover24h;
      if (t !== null && (typeof t !== 'number' || !Number.isFinite(t) || t < 0)) throw new ControlError('"turnover24h" must be a number ≥ 0 or null');
      controls.turnover(str(body, 'symbol'), t);
      return ok({});
    }
    case 'price':
      controls.price(str(body, 'symbol'), requiredNum(body, 'price', { min: Number.MIN_VALUE }));
      return ok({});
    case 'regime': {
      const regime = body.regime;
      if (!isRegime(regime)) throw new ControlError('"regime" must be "up", "down" or "range"');
      const strength = num(body, 'strength', { min: Number.MIN_VALUE, max: MAX_STRENGTH, optional: true });
      controls.regime(str(body, 'symbol'), regime, strength);
      return ok({});
    }
    case 'pause': {
      if (typeof body.paused !== 'boolean') throw new ControlError('"paused" must be a boolean');
      controls.pause(body.paused);
      return ok({ paused: body.paused });
    }
    case 'reset':
      controls.reset();
      return ok({});
    default:
      throw new ControlError(`unknown control "${name}"`, 404);
  }
}

function ok(extra: Record<string, unknown>): ControlResult {
  return { status: 200, body: { ok: true, ...extra } };
}
