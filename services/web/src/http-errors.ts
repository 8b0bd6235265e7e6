import type { NextFunction, Request, Response } from 'express';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendError(res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res
    .status(status)
    .type('application/json')
    .set('Cache-Control', 'no-store')
    .send(JSON.stringify({ error: { code, message } }));
}

/** The one error middleware, registered last: every failure leaves as `{error:{code,message}}`. */
export function errorHandler(onServerError: (err: unknown, req: Request) => void) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof HttpError) {
      sendError(res, err.status, err.code, err.message);
      return;
    }
    const status =
      typeof err === 'object' && err !== null
        ? Number((err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode)
        : NaN;
    if (status >= 400 && status < 500) {
      // Express/body-parser/URI decoding errors: the client's fault, say so plainly.
      const type = (err as { type?: string }).type;
      if (status === 416) {
        sendError(res, 416, 'range_not_satisfiable', 'the requested range is not satisfiable');
        return;
      }
      const code = status === 413 ? 'payload_too_large' : err instanceof URIError || type === 'entity.parse.failed' ? 'bad_request' : 'bad_request';
      sendError(res, status, code, status === 413 ? 'request body too large' : 'malformed request');
      return;
    }
    onServerError(err, req);
    sendError(res, 500, 'internal', 'internal error');
  };
}
