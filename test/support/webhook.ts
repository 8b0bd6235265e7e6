import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, with the status it answered. */
export interface WebhookRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
  readonly raw: string;
  /** Wall time it arrived. */
  readonly at: number;
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  /** Everything received so far, oldest first. */
  requests(): WebhookRequest[];
  /**
   * Answers 500 to the next `n` requests that `match` accepts (every request when omitted); the rest get 200.
   * The count is per call: a new call replaces the previous budget.
   */
  failNext(n: number, match?: (r: { headers: WebhookRequest['headers']; body: unknown }) => boolean): void;
  /** From now on, answer 200 with headers at once, then trickle the body a byte every 100 ms and never finish it (false: answer normally). */
  trickle(on: boolean): void;
  close(): Promise<void>;
}

/** A local alert webhook on 127.0.0.1:0 that records every request (for alert delivery tests). */
export async function startWebhookReceiver(
  options: { failFirst?: number; match?: (r: { headers: WebhookRequest['headers']; body: unknown }) => boolean; trickle?: boolean } = {},
): Promise<WebhookReceiver> {
  const received: WebhookRequest[] = [];
  let failures = options.failFirst ?? 0;
  let trickling = options.trickle ?? false;
  const trickles = new Set<NodeJS.Timeout>();
  let match = options.match;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* not JSON: keep the text */
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      let status = 200;
      if (failures > 0 && (!match || match({ headers, body }))) {
        failures--;
        status = 500;
      }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers, body, raw, at: Date.now(), status });
      if (trickling) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{');
        const t = setInterval(() => res.write(' '), 100);
        trickles.add(t);
        res.on('close', () => {
          clearInterval(t);
          trickles.delete(t);
        });
        return;
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ok: status === 200 }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    requests: () => [...received],
    failNext(n, m) {
      failures = n;
      match = m;
    },
    trickle(on) {
      trickling = on;
    },
    async close() {
      for (const t of trickles) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
