import { type IncomingMessage, STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import { sendError } from './http-errors';

/** Every resource here is read-only: anything but GET and HEAD on a known path is a 405 that says what is allowed. */
export const methodNotAllowed: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  res.setHeader('Allow', 'GET, HEAD');
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  sendError(res, 405, 'method_not_allowed', `${req.method} is not allowed here; use GET or HEAD`);
};

const CLIENT_ERRORS: Record<string, readonly [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
  HPE_URI_TOO_LONG: [414, 'uri_too_long', 'the URL is too long'],
};

/**
 * Node answers requests its parser refuses (malformed, oversized headers, too slow) with a bare status line; this
 * gives them the same `{error:{code,message}}` body as every other error, then closes the connection.
 */
export function clientErrorHandler(onError: (err: NodeJS.ErrnoException) => void = () => {}) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    onError(err);
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (inFlight?.headersSent) {
      // An answer already started (e.g. a GET whose body turns out malformed after its headers were handled):
      // let what was written go out, then close; destroying now would drop it and leave the client with nothing.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'malformed HTTP request'];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
    // A client that does not read its answer does not get to hold the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}

/** Node answers an Expect other than 100-continue with a bare 417; this one says why, in the usual shape. */
export function expectationFailed(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({
    error: { code: 'expectation_failed', message: `Expect: ${String(req.headers.expect).slice(0, 60)} is not supported (only 100-continue)` },
  });
  res.writeHead(417, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', Connection: 'close' });
  res.end(body);
}
