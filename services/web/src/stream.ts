import zlib from 'node:zlib';
import type { Response } from 'express';
import type { Status } from '@confluence/contracts';
import type { TableSnapshot } from './reader';

/** A client this far behind (bytes buffered in its socket, and in its encoder) is dropped rather than buffered without bound. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const STATUS_REFRESH_MS = 5000;

export function sseFrame(event: string, data: string, id?: string | number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`;
}

export interface StreamLimits {
  /** Concurrent streams in total. */
  maxClients: number;
  /** Concurrent streams from one client address. */
  maxPerIp: number;
  /** A comment frame is written this often; a client whose backlog grew over two beats in a row is dropped. */
  heartbeatMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxClients: 500, maxPerIp: 20, heartbeatMs: 15_000 };

/** Why a stream was refused, for a 503 the client can read. */
export interface Refusal {
  code: 'too_many_streams';
  message: string;
}

/** Consecutive beats with a backlog that did not shrink after which a client counts as not reading. */
export const STALLED_BEATS = 2;

interface Client {
  ip: string;
  stream: StreamClient;
  /** Bytes waiting in user space (the kernel's buffer is full) at the last heartbeat. */
  pendingAtBeat: number;
  stalledBeats: number;
}

/**
 * One stream client. A client that accepts gzip gets its own encoder, flushed after every frame so each event
 * reaches the browser at once (consecutive frames share most of their text, so they compress about 8:1). The hub
 * encodes itself rather than through the compression middleware so that `buffered()` sees the encoder's backlog
 * too: a slow reader cannot make it grow unseen.
 */
class StreamClient {
  private readonly gzip: zlib.Gzip | null;
  private destroyed = false;

  constructor(
    readonly res: Response,
    gzip: boolean,
  ) {
    this.gzip = gzip ? zlib.createGzip({ level: 6 }) : null;
    if (this.gzip) {
      this.gzip.on('error', () => res.destroy());
      this.gzip.pipe(res);
    }
  }

  write(text: string): void {
    if (!this.gzip) {
      this.res.write(text);
      return;
    }
    this.gzip.write(text);
    this.gzip.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  buffered(): number {
    return this.res.writableLength + (this.gzip ? this.gzip.writableLength + this.gzip.readableLength : 0);
  }

  end(): void {
    if (this.gzip) this.gzip.end();
    else this.res.end();
  }

  /** Idempotent: the response's 'close' handler calls it too. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.gzip?.destroy();
    this.res.destroy();
  }
}

/**
 * Server-Sent Events fan-out: one frame per new generation, built once and written to every client,
 * and a status frame on every status change (and every few seconds, so ages stay current).
 * The number of streams is capped per address and in total; a heartbeat finds clients that stopped reading.
 */
export class StreamHub {
  private readonly clients = new Map<Response, Client>();
  private readonly perIp = new Map<string, number>();
  private lastSnapshotFrame: { id: string; frame: string } | null = null;
  private readonly extras = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private beatTimer: NodeJS.Timeout | null = null;
  private dropped = 0;

  constructor(
    private readonly currentStatus: () => Status,
    private readonly onCount: (n: number) => void = () => {},
    private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS,
    private readonly onDrop: (reason: 'not_reading' | 'too_far_behind') => void = () => {},
  ) {}

  start(): void {
    this.timer = setInterval(() => this.broadcast(sseFrame('status', JSON.stringify(this.currentStatus()))), STATUS_REFRESH_MS);
    this.timer.unref();
    this.beatTimer = setInterval(() => this.heartbeat(), this.limits.heartbeatMs);
    this.beatTimer.unref();
  }

  size(): number {
    return this.clients.size;
  }

  /** Clients dropped so far for not reading (heartbeat) or for falling too far behind. */
  droppedCount(): number {
    return this.dropped;
  }

  /** Whether one more stream from this address may open; the reason when not. */
  admit(ip: string): Refusal | null {
    if (this.clients.size >= this.limits.maxClients) {
      return { code: 'too_many_streams', message: `the server already serves ${this.limits.maxClients} live streams (WEB_SSE_MAX_CLIENTS); try again later` };
    }
    if ((this.perIp.get(ip) ?? 0) >= this.limits.maxPerIp) {
      return {
        code: 'too_many_streams',
        message: `this address already has ${this.limits.maxPerIp} live streams open (WEB_SSE_MAX_PER_IP); close one and try again`,
      };
    }
    return null;
  }

  /** The headers every stream starts with; HEAD answers with them and nothing else. */
  static readonly HEADERS = {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    'X-Accel-Buffering': 'no',
  } as const;

  /** Opens a stream for a client already admitted (see `admit`). `gzip`: the client accepts a gzip-encoded stream. */
  add(res: Response, lastEventId: string | undefined, ip: string, gzip = false): void {
    res.writeHead(200, {
      ...StreamHub.HEADERS,
      Connection: 'keep-alive',
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    // TCP keep-alive finds a peer that vanished while the stream was quiet; the heartbeat finds one that stopped reading.
    res.socket?.setKeepAlive(true, this.limits.heartbeatMs);
    const stream = new StreamClient(res, gzip);
    this.clients.set(res, { ip, stream, pendingAtBeat: 0, stalledBeats: 0 });
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.onCount(this.clients.size);
    res.on('close', () => {
      stream.destroy();
      this.remove(res);
    });
    let first = `retry: 1000\n\n${sseFrame('status', JSON.stringify(this.currentStatus()))}`;
    // A reconnect that already has the latest generation gets no duplicate; anyone else gets the current state at once.
    if (this.lastSnapshotFrame && this.lastSnapshotFrame.id !== lastEventId) first += this.lastSnapshotFrame.frame;
    for (const frame of this.extras.values()) first += frame;
    stream.write(first);
  }

  publishSnapshot(s: TableSnapshot): void {
    const data = `{"generation":${s.generation},"producedAt":${s.producedAt},"symbols":${s.symbolsJson},"overview":${s.overviewJson}}`;
    const id = String(s.generation);
    this.lastSnapshotFrame = { id, frame: sseFrame('snapshot', data, id) };
    this.broadcast(this.lastSnapshotFrame.frame);
  }

  publishStatus(status: Status): void {
    this.broadcast(sseFrame('status', JSON.stringify(status)));
  }

  /** Latest-value events (alerts, calibration): sent on change and to each new client. */
  publishExtra(event: string, json: string): void {
    const frame = sseFrame(event, json);
    if (this.extras.get(event) === frame) return;
    this.extras.set(event, frame);
    this.broadcast(frame);
  }

  /**
   * One beat. Bytes wait in user space only once the kernel's socket buffer is full; a client whose backlog has not
   * shrunk over STALLED_BEATS beats in a row is not reading (gone without a FIN, or stalled on purpose: a peer that
   * stopped reading may still take a trickle as kernel buffers grow) and is dropped long before the buffer cap.
   * Everyone else gets a comment frame, which also keeps proxies from closing a quiet stream.
   */
  heartbeat(): void {
    for (const [res, c] of this.clients) {
      // What waits in the response (its socket's backlog included) and in its encoder.
      const pending = c.stream.buffered();
      c.stalledBeats = pending > 0 && pending >= c.pendingAtBeat ? c.stalledBeats + 1 : 0;
      if (c.stalledBeats >= STALLED_BEATS) {
        this.drop(res, 'not_reading');
        continue;
      }
      c.pendingAtBeat = pending;
      c.stream.write(': beat\n\n');
    }
  }

  private broadcast(frame: string): void {
    for (const [res, c] of this.clients) {
      if (c.stream.buffered() > MAX_BUFFERED_BYTES) {
        this.drop(res, 'too_far_behind');
        continue;
      }
      c.stream.write(frame);
    }
  }

  private drop(res: Response, reason: 'not_reading' | 'too_far_behind'): void {
    this.dropped++;
    this.onDrop(reason);
    const c = this.clients.get(res);
    this.remove(res);
    if (c) c.stream.destroy();
    else res.destroy();
  }

  private remove(res: Response): void {
    const c = this.clients.get(res);
    if (!c) return;
    this.clients.delete(res);
    const n = (this.perIp.get(c.ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(c.ip);
    else this.perIp.set(c.ip, n);
    this.onCount(this.clients.size);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.beatTimer) clearInterval(this.beatTimer);
    for (const c of this.clients.values()) c.stream.end();
    this.clients.clear();
    this.perIp.clear();
    this.onCount(0);
  }
}
