import type { Response } from 'express';
import type { Status } from '@confluence/contracts';
import type { TableSnapshot } from './reader';

/** A client this far behind (bytes buffered in its socket) is dropped rather than buffered without bound. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const STATUS_REFRESH_MS = 5000;

/** The compression middleware buffers until flushed: each event must reach the browser when it is written. */
function flush(res: Response): void {
  (res as Response & { flush?: () => void }).flush?.();
}

export function sseFrame(event: string, data: string, id?: string | number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`;
}

/**
 * Server-Sent Events fan-out: one frame per new generation, built once and written to every client,
 * and a status frame on every status change (and every few seconds, so ages stay current).
 */
export class StreamHub {
  private readonly clients = new Set<Response>();
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

  add(res: Response, lastEventId: string | undefined): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // No `no-transform`: the stream is gzipped (compression middleware), and flushed after every frame.
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    flush(res);
    this.clients.add(res);
    this.onCount(this.clients.size);
    res.on('close', () => {
      this.clients.delete(res);
      this.onCount(this.clients.size);
    });
    res.write(sseFrame('status', JSON.stringify(this.currentStatus())));
    // A reconnect that already has the latest generation gets no duplicate; anyone else gets the current state at once.
    if (this.lastSnapshotFrame && this.lastSnapshotFrame.id !== lastEventId) res.write(this.lastSnapshotFrame.frame);
    for (const frame of this.extras.values()) res.write(frame);
    flush(res);
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
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        this.clients.delete(res);
        continue;
      }
      res.write(frame);
      flush(res);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.onCount(0);
  }
}
