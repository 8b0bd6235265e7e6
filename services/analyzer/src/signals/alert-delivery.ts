import fs from 'node:fs';
import axios, { type AxiosInstance } from 'axios';
import { type Alert, formatPrice } from '@confluence/contracts';
import type { Logger } from '@confluence/logger';

export type AlertFormat = 'json' | 'telegram' | 'discord';
export type DeliveryState = Alert['delivery'];

/** Total deadline of one delivery attempt, connect to last byte: a receiver that trickles its answer cannot hold it longer. */
export const DELIVERY_TIMEOUT_MS = 5_000;
export const MAX_ATTEMPTS = 5;
/** Backoff before retry k is BASE × 2^(k−1): 1 s, 2 s, 4 s, 8 s. */
export const BASE_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 60_000;
/** Alerts waiting beyond this go straight to the dead-letter file: a dead webhook must not grow memory without bound. */
export const MAX_QUEUE = 1_000;
const DEDUPE_MEMORY = 10_000;

const COLOR_BULLISH = 0x2ecc71;
const COLOR_BEARISH = 0xe74c3c;

export interface AlertDeliveryOptions {
  /** Webhook URL; undefined disables delivery (every alert is marked `disabled`). */
  url: string | undefined;
  format: AlertFormat;
  /** Telegram's chat_id, sent when set (a bot's sendMessage URL needs it). */
  telegramChatId?: string;
  /** JSONL file receiving alerts that could not be delivered. */
  deadLetterFile: string;
  logger: Logger;
  /** Called on every state change of an alert's delivery, so the history and the database follow. */
  onUpdate: (id: string, delivery: DeliveryState, attempts: number) => void;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxQueue?: number;
  /** Waits between attempts; tests inject an immediate one. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmtNum(n: number | null, digits: number): string {
  return n === null ? '—' : n.toFixed(digits);
}

function fmtPrice(a: Alert): string {
  return formatPrice(a.price, a.tickSize);
}

function bandText(a: Alert): string {
  return a.previousBand && a.previousBand !== a.band ? `${a.previousBand} → ${a.band}` : a.band;
}

/** What goes on the wire for each format. */
export function buildPayload(alert: Alert, format: AlertFormat, opts: { telegramChatId?: string; attempt?: number } = {}): unknown {
  if (format === 'json') return { ...alert, delivery: 'pending', attempts: opts.attempt ?? alert.attempts };
  const when = `${new Date(alert.at).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  if (format === 'telegram') {
    const icon = alert.direction === 'Bullish' ? '🟢' : '🔴';
    const text = [
      `${icon} <b>${escapeHtml(alert.symbol)}</b> ${escapeHtml(alert.rule)}`,
      escapeHtml(`Score ${fmtNum(alert.score, 1)} (${bandText(alert)}) · confidence ${fmtNum(alert.confidence, 2)} · ${alert.agreeing}/6 components agree`),
      escapeHtml(`Price ${fmtPrice(alert)} · ${when}`),
      `<i>${escapeHtml(alert.message)}</i>`,
    ].join('\n');
    return { ...(opts.telegramChatId ? { chat_id: opts.telegramChatId } : {}), text: text.slice(0, 4096), parse_mode: 'HTML', disable_web_page_preview: true };
  }
  return {
    content: alert.message.slice(0, 2000),
    // Nothing in an alert may ping anyone.
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: `${alert.symbol} · ${alert.rule}`.slice(0, 256),
        description: alert.message.slice(0, 4096),
        color: alert.direction === 'Bullish' ? COLOR_BULLISH : COLOR_BEARISH,
        timestamp: new Date(alert.at).toISOString(),
        fields: [
          { name: 'Score', value: fmtNum(alert.score, 1), inline: true },
          { name: 'Band', value: bandText(alert), inline: true },
          { name: 'Confidence', value: fmtNum(alert.confidence, 2), inline: true },
          { name: 'Agreeing', value: `${alert.agreeing}/6`, inline: true },
          { name: 'Price', value: fmtPrice(alert), inline: true },
        ],
        footer: { text: alert.id.slice(0, 2048) },
      },
    ],
  };
}

/** HTTP statuses worth another try; any other 4xx is the receiver refusing this payload, and retrying will not help. */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Delivers alerts to one webhook, in order, one at a time: POST with a 5 s total deadline and an `Idempotency-Key` header
 * (the alert id), retried with exponential backoff; after the last attempt the alert is appended to the
 * dead-letter file and marked `failed`. An id is delivered at most once per process.
 */
export class AlertDelivery {
  private readonly queue: Alert[] = [];
  private readonly seen = new Set<string>();
  private readonly http: AxiosInstance;
  private readonly opts: Required<Omit<AlertDeliveryOptions, 'url' | 'telegramChatId' | 'sleep'>> & Pick<AlertDeliveryOptions, 'url' | 'telegramChatId'>;
  private readonly sleepFn: (ms: number) => Promise<void>;
  private running: Promise<void> | null = null;
  private closed = false;
  private wake: (() => void) | null = null;
  /** Aborted by close(): the request in flight ends at once instead of holding shutdown. */
  private readonly stopping = new AbortController();
  private counters = { delivered: 0, failed: 0, retries: 0, deadLettered: 0 };

  constructor(options: AlertDeliveryOptions) {
    this.opts = {
      timeoutMs: DELIVERY_TIMEOUT_MS,
      maxAttempts: MAX_ATTEMPTS,
      baseDelayMs: BASE_DELAY_MS,
      maxDelayMs: MAX_DELAY_MS,
      maxQueue: MAX_QUEUE,
      now: Date.now,
      ...options,
    };
    this.sleepFn = options.sleep ?? ((ms) => this.abortableSleep(ms));
    this.http = axios.create({ timeout: this.opts.timeoutMs, maxRedirects: 0, validateStatus: () => true, maxContentLength: 1 << 20 });
  }

  get enabled(): boolean {
    return this.opts.url !== undefined;
  }

  private abortableSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Queues an alert (ignored when its id was queued before). Without a URL it is marked `disabled` at once. */
  enqueue(alert: Alert): void {
    if (this.seen.has(alert.id) || this.closed) return;
    this.seen.add(alert.id);
    if (this.seen.size > DEDUPE_MEMORY) this.seen.delete(this.seen.values().next().value as string);
    if (!this.enabled) {
      this.opts.onUpdate(alert.id, 'disabled', 0);
      return;
    }
    if (this.queue.length >= this.opts.maxQueue) {
      this.deadLetter(alert, 0, `delivery queue full (${this.opts.maxQueue} alerts waiting)`);
      return;
    }
    this.queue.push(alert);
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const next = this.queue.shift();
      if (next === undefined) return;
      await this.deliver(next);
    }
  }

  private async deliver(alert: Alert): Promise<void> {
    const { url, format, maxAttempts, logger } = this.opts;
    // enqueue() queues nothing without a URL; this only tells the compiler.
    if (url === undefined) return;
    let lastError = '';
    let attempt = 0;
    while (attempt < maxAttempts) {
      attempt++;
      let waitAtLeast = 0;
      // axios's own timeout stops counting once the headers arrive; this deadline covers the whole exchange.
      const deadline = AbortSignal.timeout(this.opts.timeoutMs);
      try {
        const res = await this.http.post(url, buildPayload(alert, format, { telegramChatId: this.opts.telegramChatId, attempt }), {
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': alert.id },
          signal: AbortSignal.any([deadline, this.stopping.signal]),
        });
        if (res.status >= 200 && res.status < 300) {
          this.counters.delivered++;
          this.opts.onUpdate(alert.id, 'delivered', attempt);
          return;
        }
        lastError = `HTTP ${res.status}`;
        if (!retryable(res.status)) break;
        const retryAfter = Number(res.headers['retry-after']);
        if (Number.isFinite(retryAfter) && retryAfter > 0) waitAtLeast = retryAfter * 1000;
      } catch (err) {
        // Never log the URL: a Telegram bot URL carries its token.
        const e = err as { code?: string; message?: string };
        if (this.closed) {
          // Shutdown cut the attempt short: the alert stays pending for the next start, it is not a failure.
          this.opts.onUpdate(alert.id, 'pending', attempt);
          return;
        }
        if (deadline.aborted) lastError = `timeout: no complete answer within ${this.opts.timeoutMs} ms`;
        else lastError = e.code ? `${e.code}: ${e.message ?? ''}`.trim() : String(e.message ?? err);
      }
      if (attempt >= maxAttempts) break;
      this.opts.onUpdate(alert.id, 'pending', attempt);
      // Closing mid-retry leaves the alert pending; the next start queues it again.
      if (this.closed) return;
      this.counters.retries++;
      logger.warn('alert delivery failed; retrying', { alertId: alert.id, attempt, error: lastError });
      await this.sleepFn(Math.min(this.opts.maxDelayMs, Math.max(this.opts.baseDelayMs * 2 ** (attempt - 1), waitAtLeast)));
      if (this.closed) return;
    }
    this.deadLetter(alert, attempt, lastError);
  }

  private deadLetter(alert: Alert, attempts: number, error: string): void {
    this.counters.failed++;
    try {
      fs.appendFileSync(
        this.opts.deadLetterFile,
        `${JSON.stringify({ failedAt: this.opts.now(), id: alert.id, attempts, error, format: this.opts.format, alert })}\n`,
      );
      this.counters.deadLettered++;
    } catch (err) {
      this.opts.logger.error('cannot write the alert dead-letter file', { file: this.opts.deadLetterFile, error: (err as Error).message });
    }
    this.opts.logger.error('alert not delivered; written to the dead-letter file', { alertId: alert.id, attempts, error });
    this.opts.onUpdate(alert.id, 'failed', attempts);
  }

  /** Resolves when the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stats(): { queued: number; delivered: number; failed: number; retries: number; deadLettered: number } {
    return { queued: this.queue.length, ...this.counters };
  }

  /** Stops at once, aborting the request in flight; that alert and those still queued stay `pending` for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.stopping.abort();
    await this.running;
  }
}
