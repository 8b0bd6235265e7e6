import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import type { Logger } from '@confluence/logger';
import { HttpError, sendError } from '../http-errors';
import { readOnlyRouter } from './context';
import { errorMessage } from '@confluence/logger';

const STATIC_DIR = path.join(__dirname, '..', '..', 'static');
/**
 * The bundled client (build-client.cjs): content-hashed modules and the index.html that names them. Named from the
 * package root, so it is the same directory whether this file runs from dist/ or (in tests) from src/.
 */
const PUBLIC_DIR = path.join(__dirname, '..', '..', 'dist', 'public');
const CLIENT_DIR = path.join(PUBLIC_DIR, 'js');
const INDEX_FILE = path.join(PUBLIC_DIR, 'index.html');
/** A hashed module's name changes with its content, so a browser may keep it for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The chart library as one ES module, imported by the detail view when it first opens (not on first paint). */
const CHARTS_FILE = path.join(path.dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.mjs');
/** What /js serves from the client's bundle: its content-hashed modules (`main-H7A3U35J.js`, `chunk-…js`). */
const CLIENT_MODULE = /^\/[A-Za-z0-9_]+-[A-Z0-9]{8}\.js$/;

/** The bundled page, read once; without a client build the dashboard answers 503 and says how to build it. */
function readIndexHtml(logger: Logger): { html: string; etag: string } | null {
  try {
    const html = fs.readFileSync(INDEX_FILE, 'utf8');
    return { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"` };
  } catch (err) {
    logger.error('the dashboard is not built: run npm run build', { file: INDEX_FILE, error: errorMessage(err) });
    return null;
  }
}

/** The browser client: the page, its hashed modules, the static files and the chart library. */
export function clientRouter(logger: Logger): Router {
  const indexHtml = readIndexHtml(logger);
  const router = readOnlyRouter();
  router.get('/', (req, res) => {
    // no-cache: the page is revalidated on every load (a 304 while the build is the same), so a deploy's new module
    // names reach the browser at once.
    if (indexHtml === null) return sendError(res, 503, 'client_not_built', 'the dashboard is not built: run npm run build');
    res.set({ 'Cache-Control': 'no-cache', ETag: indexHtml.etag });
    if (req.fresh) return res.status(304).end();
    res.type('html').send(indexHtml.html);
  });
  router.use('/static', express.static(STATIC_DIR, { maxAge: '1h', index: false }));
  // Only the bundle's hashed modules are served, and for good: a new build has new names.
  // (Other methods go on to the 405 below.)
  router.use('/js', (req, _res, next) =>
    CLIENT_MODULE.test(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')
      ? next()
      : next(new HttpError(404, 'not_found', `not found: ${req.path.slice(0, 200)}`)),
  );
  router.use('/js', express.static(CLIENT_DIR, { index: false, fallthrough: true, setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE) }));
  router.get('/vendor/lightweight-charts.mjs', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('text/javascript').sendFile(CHARTS_FILE);
  });
  return router;
}
