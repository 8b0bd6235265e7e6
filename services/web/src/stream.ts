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

/**
 * One stream client. A client that accepts gzip gets its own encoder, flushed after every frame so each event
 * reaches the browser at once (consecutive frames share most of their text, so they compress about 8:1). The hub
 * encodes itself rather than through the compression middleware so that `buffered()` sees the encoder's backlog
 * too: a slow reader cannot make it grow unseen.
 */
class StreamClient {
  private readonly gzip: zlib.Gzip | null;

  constructor(readonly res: Response, gzip: boolean) {
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

  destroy(): void {
    this.gzip?.destroy();
    this.res.destroy();
  }
}

/**
 * Server-Sent Events fan-out: one frame per new generation, built once and written to every client,
 * and a status frame on every status change (and every few seconds, so ages stay current).
 */
export class StreamHub {
  private readonly clients = new Set<StreamClient>();
  private lastSnapshotFrame: { id: string; frame: string } | null = null;
  private readonly extras = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly currentStatus: () => Status, private readonly onCount: (n: number) => void = () => {}) {}

  start(): void {
    this.timer = setInterval(() => this.broadcast(sseFrame('status', JSON.stringify(this.currentStatus()))), STATUS_REFRESH_MS);
    this.timer.unref();
  }

  size(): number {
    return this.clients.size;
  }

  /** `gzip`: the client accepts a gzip-encoded stream. */
  add(res: Response, lastEventId: string | undefined, gzip = false): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    const client = new StreamClient(res, gzip);
    this.clients.add(client);
    this.onCount(this.clients.size);
    res.on('close', () => {
      client.destroy();
      this.clients.delete(client);
      this.onCount(this.clients.size);
    });
    let first = 'retry: 1000\n\n' + sseFrame('status', JSON.stringify(this.currentStatus()));
    // A reconnect that already has the latest generation gets no duplicate; anyone else gets the current state at once.
    if (this.lastSnapshotFrame && this.lastSnapshotFrame.id !== lastEventId) first += this.lastSnapshotFrame.frame;
    for (const frame of this.extras.values()) first += frame;
    client.write(first);
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

  private broadcast(frame: string): void {
    for (const client of this.clients) {
      if (client.buffered() > MAX_BUFFERED_BYTES) {
        client.destroy();
        this.clients.delete(client);
        continue;
      }
      client.write(frame);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.onCount(0);
  }
}
