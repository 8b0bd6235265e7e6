// The exchange side of the live benchmark, in a process of its own: a WebSocket server on loopback that streams
// Bybit-format frames (the synthetic stream of @confluence/testkit) to the one client that connects, paced by the
// wall clock at `rate` frames per second.
//   node bench/dist/workers/feed-server.js <symbols> <ratePerSecond> <seconds> <preparedSeconds> <connections>
// Prints {"event":"listening","port":…} once the first `preparedSeconds` of frames are encoded. Streams once all
// `connections` clients are connected: like Bybit to the analyzer's connection pool, each connection carries the frames
// of its own block of symbols (client i connects to /?c=i; symbols are split in consecutive blocks, as the pool fills
// one connection after the other). On SIGTERM prints the CPU time it used while streaming ({"event":"cpu","cpuMs":…}, to tell the
// feed's share of the machine from the analyzer's) and exits.
//
// A process, not a worker thread: a thread's isolate (≈70 MB with its frame generator) would count in the analyzer
// process's RSS, and the frames would arrive as posted strings instead of through a socket and the `ws` client, which
// is what the analyzer really pays for.
//
// The exchange's side costs this machine nothing in production, yet here it shares the analyzer's two cores: built
// frame by frame while streaming (JSON of every frame, one socket write per frame) it took 0.7–1.2 cores at 803 symbols
// and starved the process being measured. So the frames are built before the client connects, into one buffer, and
// each 5 ms tick's frames go out in one socket write (corked), each still a WebSocket frame of its own. Frames past the
// prepared part (a run that overruns) are built on the fly from the same generator: the stream is the same either way.
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { syntheticFrameStream } from '@confluence/testkit';
import { MARKET_START, symbolNames } from '../lib/market';

const [n, rate, seconds, preparedSeconds, connections] = process.argv.slice(2).map(Number);
const TICK_MS = 5;
const total = Math.ceil(rate * seconds);
const symbols = symbolNames(n);
const perConnection = Math.ceil(n / connections);
const indexOf = new Map(symbols.map((s, i) => [s, i]));
const frames = syntheticFrameStream({ symbols, count: total, startTs: MARKET_START, stepMs: 1000 / rate, seed: 21 });

/** The connection a frame goes to: its topic's symbol's block. */
function connectionOf(frame: string): number {
  const m = /"topic":"[^"]*\.([A-Z0-9]+)"/.exec(frame);
  const i = m ? indexOf.get(m[1]) : undefined;
  if (i === undefined) throw new Error(`no symbol in frame ${frame.slice(0, 80)}`);
  return Math.floor(i / perConnection);
}

/** The first frames, encoded once: UTF-8 bytes back to back, where each one ends and the connection it goes to. */
function prepare(count: number): { bytes: Buffer; ends: Float64Array; conn: Uint16Array } {
  const chunks: Buffer[] = [];
  const ends = new Float64Array(count);
  const conn = new Uint16Array(count);
  let pending: string[] = [];
  let pendingChars = 0;
  let at = 0;
  const flush = (): void => {
    chunks.push(Buffer.from(pending.join(''), 'utf8'));
    pending = [];
    pendingChars = 0;
  };
  for (let i = 0; i < count; i++) {
    const f = frames.next();
    if (f.done) break;
    pending.push(f.value);
    pendingChars += f.value.length;
    at += Buffer.byteLength(f.value, 'utf8');
    ends[i] = at;
    conn[i] = connectionOf(f.value);
    if (pendingChars > 1 << 24) flush();
  }
  flush();
  return { bytes: Buffer.concat(chunks), ends, conn };
}

const prepared = prepare(Math.min(total, Math.ceil(rate * preparedSeconds)));
let cpuAtStart: NodeJS.CpuUsage | undefined;
const clients: (WebSocket | undefined)[] = new Array(connections).fill(undefined);

function stream(): void {
  cpuAtStart = process.cpuUsage();
  const sockets = clients.map((ws) => (ws as unknown as { _socket?: Socket })._socket);
  const t0 = performance.now();
  let sent = 0;
  const tick = (): void => {
    if (clients.some((ws) => ws === undefined || ws.readyState !== ws.OPEN)) return;
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (const s of sockets) s?.cork();
    while (sent < due) {
      if (sent < prepared.ends.length) {
        const from = sent === 0 ? 0 : prepared.ends[sent - 1];
        clients[prepared.conn[sent]]?.send(prepared.bytes.subarray(from, prepared.ends[sent]), { binary: false });
      } else {
        const f = frames.next();
        if (f.done) break;
        clients[connectionOf(f.value)]?.send(f.value);
      }
      sent++;
    }
    for (const s of sockets) s?.uncork();
    if (sent < total) setTimeout(tick, TICK_MS);
  };
  tick();
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: addr !== null && typeof addr === 'object' ? addr.port : 0 })}\n`);
});
wss.on('connection', (ws, req) => {
  const c = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('c'));
  if (!Number.isInteger(c) || c < 0 || c >= connections || clients[c] !== undefined) {
    ws.close(1008, 'bad connection index');
    return;
  }
  clients[c] = ws;
  if (clients.every((w) => w !== undefined)) stream();
});
process.on('SIGTERM', () => {
  const u = process.cpuUsage(cpuAtStart);
  process.stdout.write(`${JSON.stringify({ event: 'cpu', cpuMs: (u.user + u.system) / 1000 })}\n`, () => process.exit(0));
});
