#!/usr/bin/env node
// Container health probe for docker-compose.yml (the runtime image has no curl or wget):
//   node scripts/docker/healthcheck.cjs http://127.0.0.1:8003/health/ready   → healthy on HTTP 2xx
//   node scripts/docker/healthcheck.cjs tcp://127.0.0.1:8010                  → healthy when the port accepts
// Exit 0 = healthy, 1 = unhealthy. On failure it prints the reason and the start of the response
// body (the analyzer's /health/ready lists its reasons), which `docker inspect` keeps in the health log.
// Plain CommonJS, no dependencies.
'use strict';
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
  fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'confluence-healthcheck' } }).then(
    async (res) => {
      const body = res.ok ? '' : (await res.text()).slice(0, 500);
      finish(res.ok, `HTTP ${res.status}${res.ok ? '' : ` ${body.replace(/\s+/g, ' ')}`}`);
    },
    (err) => {
      if (err.name === 'TimeoutError') finish(false, `(no answer within ${timeoutMs} ms)`);
      // fetch rejects with "fetch failed"; the system error (ECONNREFUSED, …) is its cause.
      else finish(false, `(${err.cause?.code || err.cause?.message || err.message})`);
    },
  );
} else {
  finish(false, `(unsupported protocol ${url.protocol})`);
}
