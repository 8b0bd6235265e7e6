import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { parse as parseCookies } from 'cookie';
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
    // The one-time /?token= login must never leak through a Referer, whatever the page links to.
    referrerPolicy: { policy: 'no-referrer' },
  });
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares a presented token with the configured one in constant time: both are hashed first, so the comparison
 * always runs over 32 bytes and neither the content nor the length of the secret shows in the timing.
 */
export function tokenMatcher(expected: string): (given: string | undefined) => boolean {
  const want = digest(expected);
  return (given) => typeof given === 'string' && given.length > 0 && given.length <= MAX_TOKEN_LENGTH && timingSafeEqual(digest(given), want);
}

/** Longer presented tokens are not hashed at all: nothing legitimate is that long. */
const MAX_TOKEN_LENGTH = 1024;

/**
 * What a request presents as its credential. `malformed` is a credential that cannot be one (an Authorization
 * scheme other than Bearer, an empty bearer, a cookie that is not valid percent-encoding…): refused like a wrong one.
 */
export interface Presented {
  bearer: string | undefined;
  cookie: string | undefined;
  malformed: string | undefined;
}

export function presentedCredentials(req: Request): Presented {
  const out: Presented = { bearer: undefined, cookie: undefined, malformed: undefined };
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(auth);
    if (m) out.bearer = m[1];
    else out.malformed = 'Authorization must be "Bearer <token>"';
  }
  const header = req.headers.cookie;
  if (header) {
    // The cookie library never throws on bad percent-encoding: it hands the raw value back, which simply fails to match.
    let value: string | undefined;
    try {
      value = parseCookies(header)[AUTH_COOKIE];
    } catch {
      out.malformed = 'the Cookie header cannot be parsed';
    }
    if (value !== undefined) {
      if (/^[\x21-\x7e]+$/.test(value)) out.cookie = value;
      else out.malformed = `the ${AUTH_COOKIE} cookie is malformed`;
    }
  }
  return out;
}

export interface TokenOptions {
  token: string | undefined;
  /** Paths served without a token (health checks). */
  open: (path: string) => boolean;
  /** Called once per refused request, so failures can be counted and limited per client. */
  onFailure?: (req: Request) => void;
}

/**
 * Optional protection for exposed deployments: a bearer token, or the cookie set when the page is opened
 * once as `/?token=…` (which then redirects to the clean URL, so the token is neither in the address bar, the
 * history, nor a Referer). Health checks stay open so orchestrators can probe.
 */
export function requireToken(options: TokenOptions): RequestHandler {
  const { token, open } = options;
  if (!token) return (_req, _res, next) => next();
  const matches = tokenMatcher(token);
  const cookieValue = encodeURIComponent(token);
  return (req: Request, res: Response, next: NextFunction) => {
    if (open(req.path)) return next();
    const presented = presentedCredentials(req);
    const q = req.query.token;
    // The one-time login: cookie set, then straight to the clean URL (even when a cookie already let it in).
    if (req.path === '/' && typeof q === 'string' && matches(q)) {
      // Secure only when the client's own connection is TLS: directly, or as said by a trusted proxy (WEB_TRUST_PROXY).
      const secure = req.secure ? '; Secure' : '';
      res.setHeader('Set-Cookie', `${AUTH_COOKIE}=${cookieValue}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000${secure}`);
      res.setHeader('Cache-Control', 'no-store');
      return res.redirect(302, '/');
    }
    if (matches(presented.bearer) || matches(presented.cookie)) return next();
    options.onFailure?.(req);
    res.setHeader('WWW-Authenticate', 'Bearer realm="confluence"');
    const given = presented.bearer !== undefined || presented.cookie !== undefined || q !== undefined;
    const why = presented.malformed ? `${presented.malformed}; ` : given ? 'the token given is not valid; ' : '';
    sendError(res, 401, 'unauthorized', `${why}a valid token is required (Authorization: Bearer …, or open /?token=…)`);
  };
}

/**
 * Failed authentications per client in fixed one-minute windows. It is consulted before the token is even looked
 * at, so once a client is over the limit it cannot go on guessing; a correct token from it waits out the window too.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxClients = 10_000,
  ) {}

  /** Milliseconds until the client may try again, or 0 when it may try now. */
  blockedFor(key: string): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const t = this.now();
    if (t >= w.resetAt) {
      this.windows.delete(key);
      return 0;
    }
    return w.count >= this.limit ? w.resetAt - t : 0;
  }

  fail(key: string): void {
    const t = this.now();
    const w = this.windows.get(key);
    if (w && t < w.resetAt) {
      w.count++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= this.maxClients) this.prune(t);
    this.windows.set(key, { count: 1, resetAt: t + this.windowMs });
  }

  size(): number {
    return this.windows.size;
  }

  /** Drops finished windows, then (under a flood of addresses) the oldest, so memory stays bounded. */
  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t >= w.resetAt) this.windows.delete(k);
    while (this.windows.size >= this.maxClients) this.windows.delete(this.windows.keys().next().value as string);
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const wait = this.blockedFor(req.ip ?? '');
      if (wait === 0) return next();
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      sendError(
        res,
        429,
        'too_many_auth_failures',
        `more than ${this.limit} failed authentications per minute from this address; try again in ${Math.ceil(wait / 1000)} s`,
      );
    };
  }
}

/** Names that always reach this machine: a browser never sends them for someone else's site. */
const LOOPBACK_NAMES = new Set(['localhost']);

/** The host part of a Host header: `name`, `name:port`, `1.2.3.4:port` or `[v6]:port`; undefined when malformed. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (v6) return net.isIPv6(v6[1]) ? v6[1] : undefined;
  const m = /^([a-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(h);
  return m ? m[1].replace(/\.$/, '') : undefined;
}

/**
 * Guards against DNS rebinding: a page on an attacker's domain that re-points its name at 127.0.0.1 can reach a
 * loopback-bound web, but its requests still carry the attacker's name in Host. Accepted: IP literals (a rebinding
 * page cannot have one), localhost, and the names configured in WEB_ALLOWED_HOSTS (`*.example.com` for subdomains,
 * `*` for any). /healthz stays open to probes that address the service by whatever name they use.
 */
export function hostCheck(allowed: readonly string[], open: (path: string) => boolean): RequestHandler {
  const any = allowed.includes('*');
  const exact = new Set(allowed.filter((h) => !h.startsWith('*.')));
  const suffixes = allowed.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  const ok = (name: string): boolean =>
    net.isIP(name) !== 0 || LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') || exact.has(name) || suffixes.some((s) => name.endsWith(s));
  return (req, res, next) => {
    const header = req.headers.host;
    // HTTP/1.1 requires a Host (the server is created with requireHostHeader off so that this answer has a body).
    if (header === undefined && req.httpVersion !== '1.0') return sendError(res, 400, 'missing_host', 'an HTTP/1.1 request needs a Host header');
    if (any || open(req.path)) return next();
    // HTTP/1.0 without Host: not a browser, so not a rebinding page.
    if (header === undefined) return next();
    const name = hostName(header);
    if (name !== undefined && ok(name)) return next();
    sendError(res, 400, 'host_not_allowed', 'this Host is not one the web answers to; add it to WEB_ALLOWED_HOSTS');
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
