// Freshness: simulator → analyzer → memcached → web, all separate processes. A symbol's price is jumped through the
// simulator's control API; we time how long until the new price shows in (a) GET /api/symbols, (b) an SSE `snapshot`
// event on /api/stream, and (baseline) the simulator's own /sim/state lastPrice.
import http from 'node:http';
import type { ApiEnvelope, StreamSnapshot, SymbolsData } from '@confluence/contracts';
import type { BenchConfig } from '../lib/config';
import { getJson, postJson, sleep, startAnalyzer, startMemcached, startSimulator, startWeb, waitFor, type Memcached, type Service } from '../lib/procs';
import { row, type Row } from '../lib/report';
import { nowMs, summarize, type Summary } from '../lib/stats';

export const FRESH_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT'];
const JUMP_SYMBOL = 'ETHUSDT';
const TOLERANCE = 0.002;
const JUMP_TIMEOUT_MS = 10_000;

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

export interface FreshnessResult {
  symbol: string;
  jumps: number;
  publishIntervalMs: number;
  startupMs: number;
  api: Summary;
  sse: Summary;
  sim: Summary;
  missed: { api: number; sse: number; sim: number };
  samples: Array<{ target: number; delayBeforeMs: number; apiMs: number | null; sseMs: number | null; simMs: number | null }>;
}

interface SseClient {
  onSnapshot(fn: ((s: StreamSnapshot) => void) | null): void;
  close(): void;
  snapshots(): number;
}

function openSse(url: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    let listener: ((s: StreamSnapshot) => void) | null = null;
    let count = 0;
    const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let idx = buf.indexOf('\n\n'); idx >= 0; idx = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (event === 'snapshot' && data.length) {
            count++;
            try {
              const snap = JSON.parse(data.join('\n')) as StreamSnapshot;
              listener?.(snap);
            } catch {
              /* a broken frame is not a price */
            }
          }
        }
      });
      resolve({
        onSnapshot: (fn) => {
          listener = fn;
        },
        close: () => {
          req.destroy();
        },
        snapshots: () => count,
      });
    });
    req.on('error', reject);
  });
}

const matches = (price: number | null | undefined, target: number) => typeof price === 'number' && Math.abs(price - target) / target < TOLERANCE;

export async function benchFreshness(cfg: BenchConfig): Promise<FreshnessResult> {
  let mc: Memcached | undefined;
  let sim: (Service & { wsUrl: string; restUrl: string }) | undefined;
  let analyzer: Service | undefined;
  let web: Service | undefined;
  let sse: SseClient | undefined;
  const t0 = nowMs();
  try {
    mc = await startMemcached({ memoryMb: 256 });
    sim = await startSimulator({ SIM_SEED: '7' });
    const common = { MEMCACHED_SERVERS: mc.address, LOG_LEVEL: 'warn' };
    analyzer = await startAnalyzer({ ...common, MARKET_SOURCE: 'sim', BYBIT_WS_URL: sim.wsUrl, BYBIT_REST_URL: sim.restUrl, SYMBOLS: FRESH_SYMBOLS.join(',') });
    web = await startWeb({ ...common, WEB_RATE_LIMIT_PER_MIN: '0' });
    const apiUrl = `${web.url}/api/symbols`;
    const table = async () => (await getJson<ApiEnvelope<SymbolsData>>(apiUrl, { timeoutMs: 2000 })).body;
    await waitFor(
      async () => {
        const t = await table();
        return t.status?.state === 'ok' && t.data?.rows.length === FRESH_SYMBOLS.length && t.data.rows.every((r) => r.price !== null);
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'the pipeline to serve all 5 symbols with status ok' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- analyzer ---\n${analyzer?.proc.output().slice(-3000)}\n--- web ---\n${web?.proc.output().slice(-2000)}`);
    });
    const startupMs = nowMs() - t0;
    log(`freshness: pipeline up after ${(startupMs / 1000).toFixed(1)} s; ${cfg.jumps} jumps of ${JUMP_SYMBOL}`);
    sse = await openSse(`${web.url}/api/stream`);
    const simState = async () => {
      const r = await getJson<{ symbols: Record<string, { lastPrice: string }> }>(`${sim!.url}/sim/state?symbol=${JUMP_SYMBOL}`, { timeoutMs: 2000 });
      return Number(r.body.symbols[JUMP_SYMBOL].lastPrice);
    };
    const base = await simState();
    const samples: FreshnessResult['samples'] = [];
    for (let i = 0; i < cfg.jumps; i++) {
      // Alternate up and down (≥ 8 % apart), each target distinct, so every jump is told apart from the one before.
      const target = Math.round(base * (i % 2 === 0 ? 1.04 + 0.002 * i : 0.96 - 0.002 * i) * 100) / 100;
      // A random phase against the publish clock, so the jumps sample the whole interval.
      const delayBeforeMs = Math.round(Math.random() * 1000);
      await sleep(delayBeforeMs);
      const start = nowMs();
      const deadline = start + JUMP_TIMEOUT_MS;
      const poll = async (read: () => Promise<number | null | undefined>): Promise<number | null> => {
        while (nowMs() < deadline) {
          try {
            if (matches(await read(), target)) return nowMs() - start;
          } catch {
            /* retry */
          }
          await sleep(10);
        }
        return null;
      };
      const sseSeen = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), JUMP_TIMEOUT_MS);
        sse!.onSnapshot((snap) => {
          const r = snap.symbols.rows.find((x) => x.symbol === JUMP_SYMBOL);
          if (matches(r?.price, target)) {
            clearTimeout(timer);
            resolve(nowMs() - start);
          }
        });
      });
      const control = postJson(`${sim.url}/sim/control/price`, { symbol: JUMP_SYMBOL, price: target });
      const [apiMs, sseMs, simMs, ctl] = await Promise.all([
        poll(async () => (await table()).data?.rows.find((r) => r.symbol === JUMP_SYMBOL)?.price),
        sseSeen,
        poll(simState),
        control,
      ]);
      sse.onSnapshot(null);
      if (ctl.status !== 200) throw new Error(`price control failed: ${ctl.status} ${JSON.stringify(ctl.body)}`);
      samples.push({ target, delayBeforeMs, apiMs, sseMs, simMs });
    }
    const vals = (k: 'apiMs' | 'sseMs' | 'simMs') => samples.map((s) => s[k]).filter((v): v is number => v !== null);
    return {
      symbol: JUMP_SYMBOL,
      jumps: cfg.jumps,
      publishIntervalMs: 1000,
      startupMs,
      api: summarize(vals('apiMs')),
      sse: summarize(vals('sseMs')),
      sim: summarize(vals('simMs')),
      missed: {
        api: samples.filter((s) => s.apiMs === null).length,
        sse: samples.filter((s) => s.sseMs === null).length,
        sim: samples.filter((s) => s.simMs === null).length,
      },
      samples,
    };
  } finally {
    sse?.close();
    await Promise.all([web?.proc.stop(), analyzer?.proc.stop()]);
    await sim?.proc.stop();
    await mc?.stop();
  }
}

export function freshnessRows(r: FreshnessResult): Row[] {
  const rows: Row[] = [];
  for (const [key, label] of [
    ['api', 'GET /api/symbols (10 ms poll)'],
    ['sse', 'SSE snapshot on /api/stream'],
  ] as const) {
    const s = r[key];
    const missed = r.missed[key];
    const note = missed ? `${missed}/${r.jumps} jumps never seen within ${JUMP_TIMEOUT_MS / 1000} s` : `${r.jumps} jumps`;
    rows.push(
      row({ name: `freshness → ${label}: p50`, unit: 'ms', value: s.p50, baseline: r.sim.p50, baselineLabel: 'sim /sim/state', target: '', pass: null, note }),
    );
    rows.push(
      row({
        name: `freshness → ${label}: p95`,
        unit: 'ms',
        value: s.p95,
        baseline: r.sim.p95,
        baselineLabel: 'sim /sim/state',
        target: '≤ 1,500 ms',
        pass: missed === 0 && s.p95 <= 1500,
      }),
    );
  }
  return rows;
}
