// The baseline for GET /api/symbols: a bare Express app with one route sending a Buffer held in memory.
// BODY_FILE = the exact bytes the web served, CONTENT_TYPE = its content-type. Prints {"event":"listening","port":…}.
// ETag and X-Powered-By are off, as in the web app (an ETag would hash the body on every request).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const body = fs.readFileSync(process.env.BODY_FILE ?? '');
const contentType = process.env.CONTENT_TYPE ?? 'application/json; charset=utf-8';
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/api/symbols', (_req, res) => {
  res.set('Content-Type', contentType).send(body);
});
const server = http.createServer(app);
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: (server.address() as AddressInfo).port, bytes: body.length })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
