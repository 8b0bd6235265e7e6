// The live connection: one EventSource on /api/stream. EventSource reconnects by itself (sending Last-Event-ID);
// this class only adds a visible connection state, a retry when the browser gives up, and a silence watchdog.
import type { AlertsData, CalibrationData, Status, StreamSnapshot } from './types.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface StreamHandlers {
  snapshot(s: StreamSnapshot): void;
  status(s: Status): void;
  alerts(a: AlertsData): void;
  calibration(c: CalibrationData): void;
  connection(state: ConnectionState): void;
}

/** The server sends `status` about every 5 s; this much silence means the connection is dead even if the socket is not. */
const SILENCE_LIMIT_MS = 20_000;
const RETRY_MIN_MS = 1_000;
/** Reconnecting for longer than this is shown as offline. */
const OFFLINE_AFTER_MS = 10_000;
const RETRY_MAX_MS = 30_000;

export class LiveStream {
  private es: EventSource | null = null;
  private state: ConnectionState = 'connecting';
  private lastEventAt = 0;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: number | undefined;
  private offlineTimer: number | undefined;

  constructor(
    private readonly url: string,
    private readonly on: StreamHandlers,
  ) {
    window.addEventListener('online', () => this.reconnectNow());
    window.addEventListener('offline', () => this.setState('offline'));
    window.setInterval(() => this.checkSilence(), 5_000);
    this.open();
  }

  private open(): void {
    this.es?.close();
    const es = new EventSource(this.url);
    this.es = es;
    this.lastEventAt = Date.now();
    es.onopen = () => {
      this.retryMs = RETRY_MIN_MS;
      this.lastEventAt = Date.now();
      this.setState('connected');
    };
    es.onerror = () => {
      if (this.es !== es) return;
      // Once shown as offline, it stays so until a connection opens again.
      if (navigator.onLine === false) this.setState('offline');
      else if (this.state !== 'offline') this.setState('reconnecting');
      // The browser gives up by itself on an HTTP error or a wrong content type: then retry with backoff.
      if (es.readyState === EventSource.CLOSED) this.scheduleRetry();
    };
    this.listen(es, 'snapshot', (d) => this.on.snapshot(d as StreamSnapshot));
    this.listen(es, 'status', (d) => this.on.status(d as Status));
    this.listen(es, 'alerts', (d) => this.on.alerts(d as AlertsData));
    this.listen(es, 'calibration', (d) => this.on.calibration(d as CalibrationData));
  }

  private listen(es: EventSource, type: string, handle: (data: unknown) => void): void {
    es.addEventListener(type, (ev) => {
      this.lastEventAt = Date.now();
      if (this.state !== 'connected') this.setState('connected');
      let data: unknown;
      try {
        data = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        console.warn(`stream: ignoring a ${type} event that is not JSON`);
        return;
      }
      handle(data);
    });
  }

  private scheduleRetry(): void {
    window.clearTimeout(this.retryTimer);
    const delay = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = window.setTimeout(() => this.open(), delay);
  }

  private reconnectNow(): void {
    window.clearTimeout(this.retryTimer);
    this.retryMs = RETRY_MIN_MS;
    this.setState('reconnecting');
    this.open();
  }

  private checkSilence(): void {
    if (this.state === 'connected' && Date.now() - this.lastEventAt > SILENCE_LIMIT_MS) {
      this.setState('reconnecting');
      this.es?.close();
      this.scheduleRetry();
    }
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    window.clearTimeout(this.offlineTimer);
    if (state === 'reconnecting') this.offlineTimer = window.setTimeout(() => this.setState('offline'), OFFLINE_AFTER_MS);
    this.state = state;
    this.on.connection(state);
  }
}
