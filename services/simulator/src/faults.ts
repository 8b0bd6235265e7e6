// Pending and active fault injections. Kept apart from the transport so both the WS publisher and
// the REST layer consult one state, and reset() clears everything in one place.

export const FAULT_KINDS = [
  'drop',
  'stallPongs',
  'gap',
  'crossed',
  'malformed',
  'reject',
  'restFault',
  'price',
  'regime',
  'pause',
  'wsOutage',
  'burst',
  'emptySnapshot',
  'instrumentStatus',
  'clock',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface RestFaultSpec {
  /** HTTP status to answer with (e.g. 403, 429, 500); when absent the answer is HTTP 200 with retCode. */
  readonly status?: number;
  /** Bybit retCode for an HTTP 200 error answer; default 10006 ("Too many visits"). */
  readonly retCode?: number;
  /** How many REST calls are affected. */
  readonly count: number;
  /** Answer HTTP 403 with the HTML page a CDN serves to a blocked region (an access block, not a rate limit). */
  readonly geoBlock?: boolean;
}

export interface RestFaultHit {
  readonly status?: number;
  readonly retCode: number;
  readonly geoBlock?: boolean;
}

export interface FaultSummary {
  readonly paused: boolean;
  readonly stallPongsMsLeft: number;
  readonly rejectPattern: string | null;
  readonly restFault: { readonly status?: number; readonly retCode: number; readonly remaining: number; readonly geoBlock?: boolean } | null;
  /** True while WebSocket upgrades are refused (an exchange-side outage); REST keeps answering. */
  readonly wsOutage: boolean;
  readonly pendingEmptySnapshots: readonly string[];
  readonly pendingGaps: readonly string[];
  readonly pendingCrossed: readonly string[];
}

export class FaultState {
  paused = false;
  /** Wall-clock ms until which pings go unanswered. */
  stallPongsUntil = 0;
  rejectPattern: string | undefined;
  /** WebSocket outage: upgrades are refused until this wall-clock time (Infinity: until ended). */
  wsOutageUntil = 0;
  /** HTTP status refused upgrades get during the outage: 503 (down) or 403 (an access block, with an HTML page). */
  wsOutageStatus = 503;
  private restFault: { status?: number; retCode: number; remaining: number; geoBlock?: boolean } | undefined;
  private readonly emptySnapshots = new Set<string>();
  private readonly gaps = new Set<string>();
  private readonly crossed = new Set<string>();
  readonly injected: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

  count(kind: FaultKind, n = 1): void {
    this.injected[kind] += n;
  }

  requestGap(symbol: string): void {
    this.gaps.add(symbol);
  }

  requestCrossed(symbol: string): void {
    this.crossed.add(symbol);
  }

  /** True once per request: the caller applies the fault to the symbol's next book delta. */
  takeGap(symbol: string): boolean {
    return this.gaps.delete(symbol);
  }

  takeCrossed(symbol: string): boolean {
    return this.crossed.delete(symbol);
  }

  hasBookFault(symbol: string): boolean {
    return this.gaps.has(symbol) || this.crossed.has(symbol);
  }

  requestEmptySnapshot(symbol: string): void {
    this.emptySnapshots.add(symbol);
  }

  /** True once per request: the symbol's next book frame is an empty u = 1 snapshot. */
  takeEmptySnapshot(symbol: string): boolean {
    return this.emptySnapshots.delete(symbol);
  }

  wsOutageActive(now: number): boolean {
    return now < this.wsOutageUntil;
  }

  setRestFault(spec: RestFaultSpec): void {
    this.restFault = spec.count > 0 ? { status: spec.status, retCode: spec.retCode ?? 10006, remaining: spec.count, geoBlock: spec.geoBlock } : undefined;
  }

  /** Consumes one faulty answer if any are pending. */
  takeRestFault(): RestFaultHit | undefined {
    const f = this.restFault;
    if (f === undefined) return undefined;
    f.remaining--;
    if (f.remaining <= 0) this.restFault = undefined;
    return { status: f.status, retCode: f.retCode, geoBlock: f.geoBlock };
  }

  isRejected(topic: string): boolean {
    return this.rejectPattern !== undefined && this.rejectPattern !== '' && topic.includes(this.rejectPattern);
  }

  reset(): void {
    this.paused = false;
    this.stallPongsUntil = 0;
    this.rejectPattern = undefined;
    this.restFault = undefined;
    this.wsOutageUntil = 0;
    this.wsOutageStatus = 503;
    this.gaps.clear();
    this.crossed.clear();
    this.emptySnapshots.clear();
  }

  describe(now: number): FaultSummary {
    return {
      paused: this.paused,
      stallPongsMsLeft: Math.max(0, this.stallPongsUntil - now),
      rejectPattern: this.rejectPattern ?? null,
      restFault: this.restFault === undefined ? null : { ...this.restFault },
      wsOutage: this.wsOutageActive(now),
      pendingEmptySnapshots: [...this.emptySnapshots],
      pendingGaps: [...this.gaps],
      pendingCrossed: [...this.crossed],
    };
  }
}
