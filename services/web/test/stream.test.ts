import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import type { Status } from '@confluence/contracts';
import { StreamHub } from '../src/stream';

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
  test('when a client\'s backlog grows over two beats, then it is dropped; slow readers that catch up and idle ones are kept', () => {
    const counts: number[] = [];
    const hub = new StreamHub(() => status, (n) => counts.push(n), { maxClients: 10, maxPerIp: 10, heartbeatMs: 1000 });
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
    const hub = new StreamHub(() => status, () => undefined, { maxClients: 10, maxPerIp: 10, heartbeatMs: 1000 });
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
    const hub = new StreamHub(() => status, () => undefined, { maxClients: 3, maxPerIp: 2, heartbeatMs: 1000 });
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
