import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TestHttpServer {
  url: string;
  requests: { path: string; query: URLSearchParams; at: number }[];
  close(): Promise<void>;
}

export type HttpHandler = (req: { path: string; query: URLSearchParams; n: number }, res: http.ServerResponse) => void;

/** A local HTTP server on a free port; every request is logged. */
export async function startHttp(handler: HttpHandler): Promise<TestHttpServer> {
  const requests: TestHttpServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: u.pathname, query: u.searchParams, at: Date.now() });
    handler({ path: u.pathname, query: u.searchParams, n: requests.length }, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: http.ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export const ok = (result: unknown, time = Date.now()) => ({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time });

export interface TestWsServer {
  url: string;
  wss: WebSocketServer;
  /** Currently open server-side sockets. */
  clients(): WebSocket[];
  /** Every request received (parsed), with the server-side socket it came on. */
  received: { msg: { op: string; req_id?: string; args?: string[] }; socket: WebSocket }[];
  connections: number;
  close(): Promise<void>;
}

/** A real local WebSocket server on port 0. `onMessage` may answer; default: ack subscribes, pong pings. */
export async function startWs(
  onMessage?: (msg: { op: string; req_id?: string; args?: string[] }, socket: WebSocket, server: TestWsServer) => void,
): Promise<TestWsServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const { port } = wss.address() as AddressInfo;
  const t: TestWsServer = {
    url: `ws://127.0.0.1:${port}`,
    wss,
    clients: () => [...wss.clients],
    received: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    t.connections++;
    socket.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      t.received.push({ msg, socket });
      if (onMessage) onMessage(msg, socket, t);
      else defaultAnswer(msg, socket);
    });
  });
  return t;
}

export function defaultAnswer(msg: { op: string; req_id?: string; args?: string[] }, socket: WebSocket): void {
  if (msg.op === 'ping') socket.send(JSON.stringify({ success: true, ret_msg: 'pong', conn_id: 'c', req_id: msg.req_id, op: 'ping' }));
  else if (msg.op === 'subscribe' || msg.op === 'unsubscribe')
    socket.send(JSON.stringify({ success: true, ret_msg: '', conn_id: 'c', req_id: msg.req_id, op: msg.op }));
}

/** Polls `cond` until true or the deadline passes (no fixed sleeps in tests). */
export async function waitFor(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
