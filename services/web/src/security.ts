import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { sendError } from './http-errors';

export const AUTH_COOKIE = 'confluence_token';

/**
 * Headers for JSON, SSE, health and metrics answers (OWASP's REST guidance): nothing in them may be rendered, framed
 * or sniffed. Much shorter than the page's set, which matters on a 15 KiB answer polled thousands of times a second.
 */
const API_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

const isApiPath = (path: string): boolean => path.startsWith('/api/') || path === '/api' || path === '/healthz' || path === '/metrics';

/** The page and its assets get helmet's full set with a strict CSP; API answers get API_HEADERS. */
export function securityHeaders(): RequestHandler {
  const page = pageSecurityHeaders();
  return (req, res, next) => {
    if (!isApiPath(req.path)) return page(req, res, next);
    for (const [name, value] of API_HEADERS) res.setHeader(name, value);
    next();
  };
}

function pageSecurityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false,
  });
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === AUTH_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/**
 * Optional protection for exposed deployments: a bearer token, or the cookie set when the page is opened
 * once as `/?token=…`. Health checks stay open so orchestrators can probe.
 */
export function requireToken(token: string | undefined, open: (path: string) => boolean): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!token || open(req.path)) return next();
    const auth = req.headers.authorization;
    const bearer = auth && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (sameToken(bearer, token) || sameToken(cookieToken(req), token)) return next();
    const q = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (req.path === '/' && sameToken(q, token)) {
      res.setHeader('Set-Cookie', `${AUTH_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000`);
      return res.redirect(302, '/');
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="confluence"');
    sendError(res, 401, 'unauthorized', 'a valid token is required (Authorization: Bearer …, or open /?token=…)');
  };
}

/** Requests with a body bigger than this, or a URL longer than this, are refused before any work. */
export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_URL_LENGTH = 2048;

export function requestLimits(): RequestHandler {
  return (req, res, next) => {
    if (req.url.length > MAX_URL_LENGTH) return sendError(res, 414, 'uri_too_long', `URL longer than ${MAX_URL_LENGTH} characters`);
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) return sendError(res, 413, 'payload_too_large', `request body over ${MAX_BODY_BYTES} bytes`);
    next();
  };
}
