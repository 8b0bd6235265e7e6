import net from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: Record<string, string>;
  /** Header names as they came, repeated ones included. */
  rawHeaderNames: string[];
  body: string;
}

/**
 * Sends bytes exactly as given (so requests no HTTP client would build can be tried) and reads one answer: interim
 * 1xx answers are skipped, the body is read by Content-Length or chunked framing, and an event stream is cut after
 * its headers. Rejects when nothing complete arrives within the deadline: a server that hangs is a failure too.
 */
export function rawRequest(port: number, request: string | Buffer, options: { timeoutMs?: number; head?: boolean; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: options.host ?? '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, res?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err || !res) reject(err ?? new Error('no response'));
      else resolve(res);
    };
    const timer = setTimeout(
      () => finish(new Error(`no complete answer within ${options.timeoutMs ?? 5000} ms to ${JSON.stringify(String(request).slice(0, 120))}`)),
      options.timeoutMs ?? 5000,
    );
    const tryParse = (ended: boolean): void => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (ended) finish(null, { status: 0, headers: {}, rawHeaderNames: [], body: buf.toString('latin1') });
          return;
        }
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
        const headers: Record<string, string> = {};
        const rawHeaderNames: string[] = [];
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          if (i <= 0) continue;
          const name = line.slice(0, i).trim();
          rawHeaderNames.push(name);
          headers[name.toLowerCase()] = line.slice(i + 1).trim();
        }
        const rest = buf.subarray(end + 4);
        if (status >= 100 && status < 200 && status !== 101) {
          buf = rest;
          continue;
        }
        const done = (body: Buffer) => finish(null, { status, headers, rawHeaderNames, body: body.toString('utf8') });
        if (options.head || status === 204 || status === 304 || status === 101) {
          done(Buffer.alloc(0));
          return;
        }
        if ((headers['content-type'] ?? '').startsWith('text/event-stream')) {
          done(rest);
          return;
        }
        if (headers['content-length'] !== undefined) {
          const n = Number(headers['content-length']);
          if (rest.length >= n) {
            done(rest.subarray(0, n));
            return;
          }
          if (ended) done(rest);
          return;
        }
        if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
          const body = dechunk(rest);
          if (body) {
            done(body);
            return;
          }
          if (ended) done(rest);
          return;
        }
        if (ended) done(rest);
        return;
      }
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.on('error', (err) => {
      // A reset after a complete answer was read is fine; one before any answer reads as "closed without answer".
      if (!settled) tryParse(true);
      if (!settled) finish(err);
    });
    socket.on('connect', () => socket.write(request));
  });
}

/** The body of a complete chunked message, or null while the last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return null;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
