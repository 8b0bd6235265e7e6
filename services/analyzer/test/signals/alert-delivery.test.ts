import { setTimeout as sleep } from 'node:timers/promises';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Alert, alertSchema } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { AlertDelivery, type AlertDeliveryOptions, buildPayload, escapeHtml } from '../../src/signals/alert-delivery';
import { T0, tempDir } from './helpers';

const logger = silentLogger();

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: `BTCUSDT:strong-bullish:${T0}`,
    symbol: 'BTCUSDT',
    rule: 'strong-bullish',
    band: '≥70',
    previousBand: '60–70',
    score: 72.4,
    direction: 'Bullish',
    confidence: 0.81,
    agreeing: 5,
    price: 97123.5,
    tickSize: 0.1,
    at: T0,
    message: 'BTCUSDT entered strong-bullish: score 72.4 (60–70 → ≥70) <b>&',
    delivery: 'pending',
    attempts: 0,
    ...over,
  };
}

interface Received {
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/**
 * A local webhook that answers with the given statuses in turn (the last one repeats); 0 = never answer;
 * -1 = answer 200 at once, then trickle the body a byte every 50 ms and never finish it.
 */
async function receiver(statuses: number[]): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      got.push({ body: JSON.parse(data), headers: req.headers });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)];
      if (status === 0) return;
      if (status === -1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const t = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(t));
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('AlertDelivery', () => {
  let tmp: ReturnType<typeof tempDir>;
  let updates: Array<[string, string, number]>;
  let sleeps: number[];
  let delivery: AlertDelivery | null;
  let server: Awaited<ReturnType<typeof receiver>> | null;
  beforeEach(() => {
    tmp = tempDir();
    updates = [];
    sleeps = [];
    delivery = null;
    server = null;
  });
  afterEach(async () => {
    await delivery?.close();
    await server?.close();
    tmp.cleanup();
  });
  const deadLetterFile = () => path.join(tmp.dir, 'alerts-dead-letter.jsonl');

  function make(url: string | undefined, over: Partial<AlertDeliveryOptions> = {}): AlertDelivery {
    delivery = new AlertDelivery({
      url,
      format: 'json',
      deadLetterFile: deadLetterFile(),
      logger,
      onUpdate: (id, state, attempts) => updates.push([id, state, attempts]),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...over,
    });
    return delivery;
  }

  it('when the webhook answers 500 then 200, then the alert is delivered on the second attempt', async () => {
    server = await receiver([500, 200]);
    const d = make(server.url);
    const a = alert();
    d.enqueue(a);
    await d.idle();
    expect(updates).toEqual([
      [a.id, 'pending', 1],
      [a.id, 'delivered', 2],
    ]);
    expect(sleeps).toEqual([1000]);
    expect(server.got).toHaveLength(2);
    expect(server.got[1].headers['idempotency-key']).toBe(a.id);
    expect(server.got[1].headers['content-type']).toMatch(/application\/json/);
    // The JSON format is the Alert itself, valid against the contract.
    expect(alertSchema.parse(server.got[1].body)).toMatchObject({ id: a.id, symbol: 'BTCUSDT', score: 72.4, attempts: 2 });
    expect(fs.existsSync(deadLetterFile())).toBe(false);
  });

  it('when the webhook keeps failing, then it backs off exponentially and writes a dead-letter line', async () => {
    server = await receiver([503]);
    const d = make(server.url);
    const a = alert();
    d.enqueue(a);
    await d.idle();
    expect(server.got).toHaveLength(5);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
    expect(updates[updates.length - 1]).toEqual([a.id, 'failed', 5]);
    const lines = fs.readFileSync(deadLetterFile(), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const dead = JSON.parse(lines[0]);
    expect(dead).toMatchObject({ id: a.id, attempts: 5, error: 'HTTP 503', format: 'json', alert: { id: a.id } });
    expect(d.stats()).toMatchObject({ failed: 1, deadLettered: 1, retries: 4, delivered: 0 });
  });

  it('when the webhook answers headers at once but trickles its body forever, then each attempt ends at the total deadline and the retry is delivered', async () => {
    server = await receiver([-1, -1, 200]);
    const d = make(server.url, { timeoutMs: 300 });
    const a = alert();
    d.enqueue(a);
    await d.idle();
    expect(server.got).toHaveLength(3);
    expect(updates).toEqual([
      [a.id, 'pending', 1],
      [a.id, 'pending', 2],
      [a.id, 'delivered', 3],
    ]);
    expect(d.stats()).toMatchObject({ delivered: 1, retries: 2, failed: 0 });
  });

  it('when the webhook trickles every answer, then the alert is dead-lettered with the deadline as the reason', async () => {
    server = await receiver([-1]);
    const d = make(server.url, { timeoutMs: 200, maxAttempts: 2 });
    d.enqueue(alert());
    await d.idle();
    const dead = JSON.parse(fs.readFileSync(deadLetterFile(), 'utf8').trim());
    expect(dead).toMatchObject({ attempts: 2, error: 'timeout: no complete answer within 200 ms' });
  });

  it('when closed while a trickling request is in flight, then close returns without waiting for the deadline and the alert stays pending', async () => {
    server = await receiver([-1]);
    // A deadline far beyond any test timeout: only close() can end this request.
    const d = make(server.url, { timeoutMs: 600_000 });
    const a = alert();
    d.enqueue(a);
    const { waitFor } = await import('@confluence/testkit');
    await waitFor(() => server!.got.length === 1, { what: 'the request to arrive' });
    await d.close();
    expect(updates).toEqual([[a.id, 'pending', 1]]);
    expect(fs.existsSync(deadLetterFile())).toBe(false);
  });

  it('when the webhook refuses the payload (400), then it does not retry', async () => {
    server = await receiver([400]);
    const d = make(server.url);
    d.enqueue(alert());
    await d.idle();
    expect(server.got).toHaveLength(1);
    expect(updates).toEqual([[alert().id, 'failed', 1]]);
  });

  it('when the webhook does not answer in time, then the attempt times out and counts as a failure', async () => {
    server = await receiver([0]);
    const d = make(server.url, { timeoutMs: 100, maxAttempts: 2 });
    d.enqueue(alert());
    await d.idle();
    expect(updates[updates.length - 1]).toEqual([alert().id, 'failed', 2]);
    expect(JSON.parse(fs.readFileSync(deadLetterFile(), 'utf8')).error).toMatch(/ECONNABORTED|timeout/i);
  });

  it('when nothing listens, then connection errors are retried and dead-lettered', async () => {
    const closed = await receiver([200]);
    const url = closed.url;
    await closed.close();
    const d = make(url, { maxAttempts: 2 });
    d.enqueue(alert());
    await d.idle();
    expect(updates[updates.length - 1]).toEqual([alert().id, 'failed', 2]);
    expect(JSON.parse(fs.readFileSync(deadLetterFile(), 'utf8')).error).toMatch(/ECONNREFUSED/);
  });

  it('when the same alert is queued twice, then it is sent once', async () => {
    server = await receiver([200]);
    const d = make(server.url);
    d.enqueue(alert());
    d.enqueue(alert());
    await d.idle();
    d.enqueue(alert());
    await d.idle();
    expect(server.got).toHaveLength(1);
  });

  it('when there is no URL, then every alert is marked disabled and nothing is sent', async () => {
    const d = make(undefined);
    d.enqueue(alert());
    await d.idle();
    expect(updates).toEqual([[alert().id, 'disabled', 0]]);
    expect(d.enabled).toBe(false);
  });

  it('when the format is discord, then the webhook receives content and an embed with fields, and nobody is pinged', async () => {
    server = await receiver([204]);
    const d = make(server.url, { format: 'discord' });
    d.enqueue(alert());
    await d.idle();
    const body = server.got[0].body as {
      content: string;
      allowed_mentions: unknown;
      embeds: Array<{ title: string; description: string; color: number; fields: Array<{ name: string; value: string }> }>;
    };
    expect(body.content).toBe(alert().message);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]).toMatchObject({ title: 'BTCUSDT · strong-bullish', description: alert().message, color: 0x2ecc71 });
    expect(body.embeds[0].fields.map((f) => [f.name, f.value])).toEqual([
      ['Score', '72.4'],
      ['Band', '60–70 → ≥70'],
      ['Confidence', '0.81'],
      ['Agreeing', '5/6'],
      ['Price', '97,123.5'],
    ]);
    expect(updates).toEqual([[alert().id, 'delivered', 1]]);
  });

  it('when the format is telegram, then the text is HTML-escaped and carries the chat id when configured', () => {
    const p = buildPayload(alert({ direction: 'Bearish' }), 'telegram', { telegramChatId: '-100123' }) as { chat_id: string; text: string; parse_mode: string };
    expect(p.chat_id).toBe('-100123');
    expect(p.parse_mode).toBe('HTML');
    expect(p.text).toContain('🔴 <b>BTCUSDT</b> strong-bullish');
    expect(p.text).toContain('&lt;b&gt;&amp;');
    expect(p.text).not.toContain('<b>&');
    expect(p.text).toContain('60–70 → ≥70');
    expect(buildPayload(alert(), 'telegram')).not.toHaveProperty('chat_id');
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });

  it('when the queue is full, then the overflow goes to the dead-letter file at once', async () => {
    server = await receiver([200]);
    const d = make(server.url, { maxQueue: 1 });
    d.enqueue(alert({ id: 'a:1' }));
    d.enqueue(alert({ id: 'a:2' }));
    d.enqueue(alert({ id: 'a:3' }));
    await d.idle();
    // a:1 is in flight at once, a:2 waits in the queue, a:3 finds it full.
    const dead = fs
      .readFileSync(deadLetterFile(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dead.map((x) => [x.id, x.attempts, x.error])).toEqual([['a:3', 0, 'delivery queue full (1 alerts waiting)']]);
    expect(server.got.map((g) => (g.body as Alert).id)).toEqual(['a:1', 'a:2']);
  });

  it('when closed during a backoff, then the alert stays pending (it is queued again at the next start)', async () => {
    server = await receiver([500]);
    let release: () => void = () => {};
    const d = make(server.url, { sleep: () => new Promise<void>((r) => (release = r)) });
    d.enqueue(alert());
    while (updates.length === 0) await sleep(5);
    const closing = d.close();
    release();
    await closing;
    expect(updates).toEqual([[alert().id, 'pending', 1]]);
    expect(fs.existsSync(deadLetterFile())).toBe(false);
  });
});
