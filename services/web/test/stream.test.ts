import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { Response } from 'express';
import type { Status } from '@confluence/contracts';
import { waitFor } from '@confluence/testkit';
import { MAX_BUFFERED_BYTES, StreamHub } from '../src/stream';

/**
 * A response whose socket the test drives: `take(n)` is the client reading n bytes (the kernel taking them), and
 * what is not taken stays in `writableLength`, as in a real socket whose peer stopped reading.
 */
class FakeResponse extends EventEmitter {
  written = 0;
  flushedBytes = 0;
  destroyed = false;
  readonly socket: { setKeepAlive(): void; readonly bytesWritten: number; readonly writableLength: number };
  constructor() {
    super();
    const me = this;
    this.socket = {
      setKeepAlive: () => undefined,
      get bytesWritten() {
        return me.written;
      },
      get writableLength() {
        return me.written - me.flushedBytes;
      },
    };
  }
  get writableLength(): number {
    return this.written - this.flushedBytes;
  }
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.written += Buffer.byteLength(chunk);
    return true;
  }
  take(n = Infinity): void {
    this.flushedBytes = Math.min(this.written, this.flushedBytes + n);
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  end(): void {
    this.emit('close');
  }
}

const status = { state: 'ok' } as unknown as Status;

describe('SSE heartbeat', () => {
  test("when a client's backlog grows over two beats, then it is dropped; slow readers that catch up and idle ones are kept", () => {
    const counts: number[] = [];
    const hub = new StreamHub(
      () => status,
      (n) => counts.push(n),
      { maxClients: 10, maxPerIp: 10, heartbeatMs: 1000 },
    );
    const reading = new FakeResponse();
    const slow = new FakeResponse();
    const dead = new FakeResponse();
    for (const r of [reading, slow, dead]) hub.add(r as unknown as Response, undefined, '127.0.0.1');
    expect(hub.size()).toBe(3);
    reading.take();
    slow.take(10);
    hub.heartbeat();
    // First beat: the dead one has a backlog but has not yet been seen falling behind twice in a row.
    expect(dead.destroyed).toBe(false);
    reading.take();
    slow.take(10);
    hub.heartbeat();
    expect(dead.destroyed).toBe(true);
    expect(slow.destroyed).toBe(false);
    expect(reading.destroyed).toBe(false);
    expect(hub.size()).toBe(2);
    expect(hub.droppedCount()).toBe(1);
    expect(counts.at(-1)).toBe(2);
    // A reader that is idle (nothing pending) is never dropped, however many beats pass.
    for (let i = 0; i < 5; i++) {
      reading.take();
      slow.take();
      hub.heartbeat();
    }
    expect(hub.size()).toBe(2);
  });

  test('when a client still takes a trickle but its backlog keeps growing, then it is dropped too', () => {
    const hub = new StreamHub(
      () => status,
      () => undefined,
      { maxClients: 10, maxPerIp: 10, heartbeatMs: 1000 },
    );
    const trickle = new FakeResponse();
    const keepingUp = new FakeResponse();
    hub.add(trickle as unknown as Response, undefined, '127.0.0.1');
    hub.add(keepingUp as unknown as Response, undefined, '127.0.0.1');
    for (let beat = 0; beat < 3 && !trickle.destroyed; beat++) {
      hub.publishStatus({ state: 'ok', pad: 'x'.repeat(1000) } as unknown as Status);
      trickle.take(50);
      keepingUp.take();
      hub.heartbeat();
    }
    expect(trickle.destroyed).toBe(true);
    expect(keepingUp.destroyed).toBe(false);
  });

  test('when clients of one address reach the cap, then that address is refused while others are admitted; leaving frees a place', () => {
    const hub = new StreamHub(
      () => status,
      () => undefined,
      { maxClients: 3, maxPerIp: 2, heartbeatMs: 1000 },
    );
    const a = new FakeResponse();
    hub.add(a as unknown as Response, undefined, '10.0.0.1');
    hub.add(new FakeResponse() as unknown as Response, undefined, '10.0.0.1');
    expect(hub.admit('10.0.0.1')?.message).toMatch(/WEB_SSE_MAX_PER_IP/);
    expect(hub.admit('10.0.0.2')).toBeNull();
    hub.add(new FakeResponse() as unknown as Response, undefined, '10.0.0.2');
    expect(hub.admit('10.0.0.3')?.message).toMatch(/WEB_SSE_MAX_CLIENTS/);
    a.emit('close');
    expect(hub.admit('10.0.0.1')).toBeNull();
  });
});

const STATUS = { state: 'ok' } as unknown as Status;

describe('StreamHub with gzip', () => {
  let server: http.Server;
  let hub: StreamHub;
  let port: number;

  beforeEach(async () => {
    hub = new StreamHub(() => STATUS);
    server = http.createServer((req, res) => hub.add(res as unknown as Response, undefined, '127.0.0.1', /gzip/.test(String(req.headers['accept-encoding']))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    hub.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('when a gzip client reads, then each event arrives decoded as soon as it is published', async () => {
    let text = '';
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get({ port, host: '127.0.0.1', headers: { 'accept-encoding': 'gzip' } }, resolve));
    expect(res.headers['content-encoding']).toBe('gzip');
    res.pipe(zlib.createGunzip()).on('data', (d: Buffer) => (text += d.toString()));
    await waitFor(() => text.includes('event: status'), { what: 'the first status' });
    hub.publishExtra('alerts', '{"alerts":[]}');
    await waitFor(() => text.includes('event: alerts\ndata: {"alerts":[]}'), { what: 'an event published later' });
    res.destroy();
  });

  test('when a gzip client stops reading, then its backlog (socket and encoder) is counted and it is dropped past the cap', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
    await waitFor(() => hub.size() === 1, { what: 'the client to join' });
    socket.pause();
    // Incompressible frames: what the encoder holds is about what was written.
    for (let i = 0; i < 40 && hub.size() > 0; i++) {
      hub.publishExtra(`e${i % 2}`, JSON.stringify(crypto.randomBytes(MAX_BUFFERED_BYTES / 16).toString('base64')));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => hub.size() === 0, { what: 'the slow client to be dropped' });
    socket.destroy();
  });
});
