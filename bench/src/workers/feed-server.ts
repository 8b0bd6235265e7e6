// The exchange side of the live benchmark, in a process of its own: a WebSocket server on loopback that streams
// Bybit-format frames (the synthetic stream of @confluence/testkit) to the one client that connects, paced by the
// wall clock at `rate` frames per second.
//   node bench/dist/workers/feed-server.js <symbols> <ratePerSecond> <seconds>
// Prints {"event":"listening","port":…}; streams from the moment a client connects; on SIGTERM prints the CPU time it
// used ({"event":"cpu","cpuMs":…}, to tell the feed's share of the machine from the analyzer's) and exits.
//
// A process, not a worker thread: a thread's isolate (≈70 MB with its frame generator) would count in the analyzer
// process's RSS, and the frames would arrive as posted strings instead of through a socket and the `ws` client, which
// is what the analyzer really pays for.
import { WebSocketServer, type WebSocket } from 'ws';
import { syntheticFrameStream } from '@confluence/testkit';
import { MARKET_START, symbolNames } from '../lib/market';

const [n, rate, seconds] = process.argv.slice(2).map(Number);
const TICK_MS = 5;

function stream(ws: WebSocket): void {
  const total = Math.ceil(rate * seconds);
  const frames = syntheticFrameStream({ symbols: symbolNames(n), count: total, startTs: MARKET_START, stepMs: 1000 / rate, seed: 21 });
  const t0 = performance.now();
  let sent = 0;
  const tick = (): void => {
    if (ws.readyState !== ws.OPEN) return;
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (sent < due) {
      const f = frames.next();
      if (f.done) return;
      ws.send(f.value);
      sent++;
    }
    setTimeout(tick, TICK_MS);
  };
  tick();
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: addr !== null && typeof addr === 'object' ? addr.port : 0 })}\n`);
});
wss.on('connection', (ws) => stream(ws));
process.on('SIGTERM', () => {
  const u = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ event: 'cpu', cpuMs: (u.user + u.system) / 1000 })}\n`, () => process.exit(0));
});
