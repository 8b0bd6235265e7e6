// The exchange side of the live benchmark, in a process of its own: a WebSocket server on loopback that streams
// Bybit-format frames (the synthetic stream of @confluence/testkit) to the one client that connects, paced by the
// wall clock at `rate` frames per second.
//   node bench/dist/workers/feed-server.js <symbols> <ratePerSecond> <seconds> <preparedSeconds>
// Prints {"event":"listening","port":…} once the first `preparedSeconds` of frames are encoded. Speaks Bybit's control
// protocol to the analyzer's own connection pool: answers each subscribe (and unsubscribe) with a success ack and each
// ping with a pong, and sends each connection the frames of the symbols it subscribed. Streams once every symbol's
// topics are subscribed on some connection. On SIGTERM prints the CPU time it used while streaming ({"event":"cpu","cpuMs":…}, to tell the
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
import { symbolOfTopic, topicsForSymbol } from '@confluence/bybit-wire';
import { syntheticFrameStream } from '@confluence/testkit';
import { MARKET_START, symbolNames } from '../lib/market';

const [n, rate, seconds, preparedSeconds] = process.argv.slice(2).map(Number);
const TICK_MS = 5;
const total = Math.ceil(rate * seconds);
const symbols = symbolNames(n);
const indexOf = new Map(symbols.map((s, i) => [s, i]));
const frames = syntheticFrameStream({ symbols, count: total, startTs: MARKET_START, stepMs: 1000 / rate, seed: 21 });
/** Topics per symbol the pool subscribes (all of them must be in before streaming starts). */
const topicsPerSymbol = topicsForSymbol(symbols[0]).length;

/** The symbol a frame is about (its index). */
function symbolOf(frame: string): number {
  const m = /"topic":"[^"]*\.([A-Z0-9]+)"/.exec(frame);
  const i = m ? indexOf.get(m[1]) : undefined;
  if (i === undefined) throw new Error(`no symbol in frame ${frame.slice(0, 80)}`);
  return i;
}

/** The first frames, encoded once: UTF-8 bytes back to back, where each one ends and the symbol it is about. */
function prepare(count: number): { bytes: Buffer; ends: Float64Array; sym: Uint16Array } {
  const chunks: Buffer[] = [];
  const ends = new Float64Array(count);
  const sym = new Uint16Array(count);
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
    sym[i] = symbolOf(f.value);
    if (pendingChars > 1 << 24) flush();
  }
  flush();
  return { bytes: Buffer.concat(chunks), ends, sym };
}

const prepared = prepare(Math.min(total, Math.ceil(rate * preparedSeconds)));
let cpuAtStart: NodeJS.CpuUsage | undefined;
/** The connection each symbol's topics are subscribed on, and how many of its topics are. */
const clientOf: (WebSocket | undefined)[] = new Array(n).fill(undefined);
const subscribed = new Uint16Array(n);
let complete = 0;
let streaming = false;

function stream(): void {
  streaming = true;
  cpuAtStart = process.cpuUsage();
  const clients = [...new Set(clientOf)];
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
        clientOf[prepared.sym[sent]]?.send(prepared.bytes.subarray(from, prepared.ends[sent]), { binary: false });
      } else {
        const f = frames.next();
        if (f.done) break;
        clientOf[symbolOf(f.value)]?.send(f.value);
      }
      sent++;
    }
    for (const s of sockets) s?.uncork();
    if (sent < total) setTimeout(tick, TICK_MS);
  };
  tick();
}

/** A control request of the pool: subscribe/unsubscribe (acked, and routed), ping (answered with a pong). */
function onControl(ws: WebSocket, text: string): void {
  const req = JSON.parse(text) as { op?: string; req_id?: string; args?: string[] };
  if (req.op === 'ping') {
    ws.send(JSON.stringify({ success: true, ret_msg: 'pong', conn_id: 'bench', req_id: req.req_id ?? '', op: 'ping' }));
    return;
  }
  if (req.op !== 'subscribe' && req.op !== 'unsubscribe') return;
  ws.send(JSON.stringify({ success: true, ret_msg: '', conn_id: 'bench', req_id: req.req_id ?? '', op: req.op }));
  if (req.op !== 'subscribe') return;
  for (const topic of req.args ?? []) {
    const i = indexOf.get(symbolOfTopic(topic));
    if (i === undefined) continue;
    clientOf[i] = ws;
    if (++subscribed[i] === topicsPerSymbol) complete++;
  }
  if (complete === n && !streaming) stream();
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: addr !== null && typeof addr === 'object' ? addr.port : 0 })}\n`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => onControl(ws, data.toString('utf8')));
});
process.on('SIGTERM', () => {
  const u = process.cpuUsage(cpuAtStart);
  process.stdout.write(`${JSON.stringify({ event: 'cpu', cpuMs: (u.user + u.system) / 1000 })}\n`, () => process.exit(0));
});
