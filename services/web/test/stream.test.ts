import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { Response } from 'express';
import type { Status } from '@confluence/contracts';
import { waitFor } from '@confluence/testkit';
import { MAX_BUFFERED_BYTES, StreamHub } from '../src/stream';

const STATUS = { state: 'ok' } as unknown as Status;

describe('StreamHub with gzip', () => {
  let server: http.Server;
  let hub: StreamHub;
  let port: number;

  beforeEach(async () => {
    hub = new StreamHub(() => STATUS);
    server = http.createServer((req, res) => hub.add(res as unknown as Response, undefined, /gzip/.test(String(req.headers['accept-encoding']))));
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
