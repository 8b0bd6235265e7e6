import zlib from 'node:zlib';
import type { Request, Response } from 'express';
import type { Status } from '@confluence/contracts';
import type { Reader, TableSnapshot } from './reader';
import { envelopeBody, JSON_TYPE } from './responses';

/** Bodies smaller than this go out as they are: gzip would save less than its own cost. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

export interface FastBody {
  plain: Buffer;
  gzip: Buffer | null;
}

/**
 * Fast path: the unfiltered table and overview are served as bytes built once per (view, status) pair, and gzipped
 * at most once per pair (on the first request that accepts gzip), not once per request.
 */
export class FastBodies {
  private held: { snap: TableSnapshot | null; status: Status; symbols: FastBody; overview: FastBody } | null = null;

  constructor(private readonly reader: Reader) {}

  current(): { symbols: FastBody; overview: FastBody } {
    const status = this.reader.status();
    const snap = this.reader.snapshot();
    if (!this.held || this.held.snap !== snap || this.held.status !== status) {
      this.held = {
        snap,
        status,
        symbols: { plain: Buffer.from(envelopeBody(status, snap, snap ? snap.symbolsJson : null)), gzip: null },
        overview: { plain: Buffer.from(envelopeBody(status, snap, snap ? snap.overviewJson : null)), gzip: null },
      };
    }
    return this.held;
  }
}

export function sendFast(req: Request, res: Response, b: FastBody): void {
  res.type(JSON_TYPE).set('Cache-Control', 'no-store').vary('Accept-Encoding');
  if (b.plain.length >= COMPRESS_THRESHOLD_BYTES && req.acceptsEncodings('gzip', 'identity') === 'gzip') {
    b.gzip ??= zlib.gzipSync(b.plain, { level: 6 });
    res.set('Content-Encoding', 'gzip').send(b.gzip);
    return;
  }
  res.send(b.plain);
}
