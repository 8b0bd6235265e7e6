#!/usr/bin/env node
// Container health probe for docker-compose.yml (the runtime image has no curl or wget):
//   node scripts/docker/healthcheck.cjs http://127.0.0.1:8003/health/ready   → healthy on HTTP 2xx
//   node scripts/docker/healthcheck.cjs tcp://127.0.0.1:8010                  → healthy when the port accepts
// Exit 0 = healthy, 1 = unhealthy. On failure it prints the reason and the start of the response
// body (the analyzer's /health/ready lists its reasons), which `docker inspect` keeps in the health log.
// Plain CommonJS, no dependencies.
'use strict';
const http = require('node:http');
const net = require('node:net');

const target = process.argv[2];
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS) || 3000;

function finish(healthy, detail) {
  process.stdout.write(`${healthy ? 'healthy' : 'unhealthy'}: ${target} ${detail}\n`);
  process.exit(healthy ? 0 : 1);
}

if (!target) {
  process.stderr.write('usage: healthcheck.cjs http://host:port/path | tcp://host:port\n');
  process.exit(2);
}

let url;
try {
  url = new URL(target);
} catch {
  finish(false, '(not a URL)');
}

if (url.protocol === 'tcp:') {
  const socket = net.connect({ host: url.hostname, port: Number(url.port) });
  socket.setTimeout(timeoutMs, () => finish(false, `(no connection within ${timeoutMs} ms)`));
  socket.once('connect', () => {
    socket.destroy();
    finish(true, '(accepting connections)');
  });
  socket.once('error', (err) => finish(false, `(${err.code || err.message})`));
} else if (url.protocol === 'http:') {
  const req = http.get(url, { timeout: timeoutMs, headers: { 'user-agent': 'confluence-healthcheck' } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      if (body.length < 500) body += chunk;
    });
    res.on('end', () => {
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      finish(ok, `HTTP ${res.statusCode}${ok ? '' : ` ${body.slice(0, 500).replace(/\s+/g, ' ')}`}`);
    });
    res.on('error', (err) => finish(false, `(${err.message})`));
  });
  req.on('timeout', () => {
    req.destroy();
    finish(false, `(no answer within ${timeoutMs} ms)`);
  });
  req.on('error', (err) => finish(false, `(${err.code || err.message})`));
} else {
  finish(false, `(unsupported protocol ${url.protocol})`);
}
