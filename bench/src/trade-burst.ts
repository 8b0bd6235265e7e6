// Busy-market replay of one symbol's trades: `node --expose-gc bench/dist/trade-burst.js`
// (BURST_RATE trades/s, default 300; BURST_MINUTES of market time, default 20 - more than the 15-minute window).
//
// The simulator (in process, manual clock) produces the trades at exactly BURST_RATE per second of market time and
// publishes them in Bybit's publicTrade wire format over a real WebSocket; each frame goes through the analyzer's
// normalizer and market store as it arrives. Measured: the trade window's size and bytes at its fullest, the heap
// (typed arrays included) the store holds after a full GC, how many trades the count cap dropped (must be 0 at this
// rate), and whether the window's buy/sell volume equals the simulator's ordinary aggressor flow of the last 15 min.
// Prints a summary and writes bench/results/trade-burst.json.
import WebSocket from 'ws';
import { createNormalizer, isControlEvent, MarketStore, TRADE_BYTES, TRADES_MAX, TRADES_WINDOW_MS, type MarketEvent } from '@confluence/analyzer';
import { createSimulator } from '@confluence/simulator';
import { writeResult } from './lib/report';

const SYMBOL = 'BTCUSDT';
const TICK_MS = 100;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

function heapBytes(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function main(): Promise<void> {
  const rate = envNumber('BURST_RATE', 300);
  const minutes = envNumber('BURST_MINUTES', 20);
  const steps = Math.round((minutes * 60_000) / TICK_MS);
  const startTime = Date.UTC(2026, 0, 1);
  const sim = createSimulator({ port: 0, seed: 15, symbols: 1, tickMs: TICK_MS, manualClock: true, startTime });
  const { wsUrl } = await sim.start();
  let clock = startTime;
  const store = new MarketStore({ now: () => clock });
  store.add(SYMBOL);
  const normalizer = createNormalizer();
  const events: MarketEvent[] = [];
  const base = heapBytes();

  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let frames = 0;
  let maxTrades = 0;
  let maxBytes = 0;
  let received = 0;
  ws.on('message', (data: WebSocket.RawData) => {
    const raw = data.toString();
    events.length = 0;
    normalizer.normalizeInto(raw, clock, events);
    for (const ev of events) {
      if (isControlEvent(ev)) continue;
      store.apply(ev);
      if (ev.type === 'trade') received++;
    }
    frames++;
  });
  ws.send(JSON.stringify({ op: 'subscribe', args: [`publicTrade.${SYMBOL}`] }));
  while (frames === 0) await new Promise((r) => setImmediate(r)); // the subscribe answer
  sim.burst(SYMBOL, rate);
  // The flow of the trades that are inside the window at the end (the last 15 minutes of market time).
  const windowSteps = TRADES_WINDOW_MS / TICK_MS;
  let flowAtWindowStart = { ...sim.state(SYMBOL).symbols[SYMBOL].flow };
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < steps; k++) {
    if (k === steps - windowSteps) flowAtWindowStart = { ...sim.state(SYMBOL).symbols[SYMBOL].flow };
    sim.step(1);
    clock = sim.now();
    // Let the step's trades arrive before the next step, so the store sees the market in order.
    const published = sim.state(SYMBOL).symbols[SYMBOL].trades;
    while (received < published) await new Promise((r) => setImmediate(r));
    if (k % 600 === 0) {
      store.snapshot(SYMBOL);
      const z = store.sizes(SYMBOL)!;
      maxTrades = Math.max(maxTrades, z.trades);
      maxBytes = Math.max(maxBytes, z.tradeBytes);
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const snap = store.snapshot(SYMBOL)!;
  const z = store.sizes(SYMBOL)!;
  maxTrades = Math.max(maxTrades, z.trades);
  maxBytes = Math.max(maxBytes, z.tradeBytes);
  const held = heapBytes() - base;
  const flowEnd = sim.state(SYMBOL).symbols[SYMBOL].flow;
  let buy = 0;
  let sell = 0;
  for (let k = snap.trades.head; k < snap.trades.tail; k++) {
    if (snap.trades.buy[k]) buy += snap.trades.size[k];
    else sell += snap.trades.size[k];
  }
  const expectBuy = flowEnd.buyVolume - flowAtWindowStart.buyVolume;
  const expectSell = flowEnd.sellVolume - flowAtWindowStart.sellVolume;
  ws.close();
  await sim.stop();

  const result = {
    symbol: SYMBOL,
    tradesPerSecond: rate,
    marketMinutes: minutes,
    framesReplayed: frames,
    tradesReplayed: sim.state(SYMBOL).symbols[SYMBOL].trades,
    replaySeconds: Number(seconds.toFixed(2)),
    window: {
      windowMinutes: TRADES_WINDOW_MS / 60_000,
      maxTrades,
      expectedTrades: rate * (TRADES_WINDOW_MS / 1000),
      maxBytes,
      bytesPerTrade: TRADE_BYTES,
      truncated: z.tradesTruncated,
      blockTrades: z.blockTrades,
      rpiTrades: z.rpiTrades,
    },
    heapHeldBytes: held,
    worstCase: { capTrades: TRADES_MAX, bytes: Math.ceil(TRADES_MAX * 1.125) * TRADE_BYTES },
    orderFlow: {
      buyVolume: buy,
      sellVolume: sell,
      simBuyVolume: expectBuy,
      simSellVolume: expectSell,
      // Within 0.1 %: the window's edge can fall between two trades of one step.
      equal: Math.abs(buy - expectBuy) <= 1e-3 * Math.max(1, expectBuy) && Math.abs(sell - expectSell) <= 1e-3 * Math.max(1, expectSell),
    },
  };
  const file = writeResult('trade-burst', result);
  const mb = (b: number) => (b / 1024 / 1024).toFixed(2);
  process.stdout.write(
    [
      `trade burst: ${rate} trades/s on ${SYMBOL} for ${minutes} market minutes (${result.tradesReplayed} trades in ${frames} frames, replayed in ${result.replaySeconds} s)`,
      `  window: at most ${maxTrades} trades (15 min × ${rate}/s = ${result.window.expectedTrades}), ${mb(maxBytes)} MB of columns, ${z.tradesTruncated} dropped by the cap`,
      `  heap held by the store after GC: ${mb(held)} MB; stated worst case per symbol: ${mb(result.worstCase.bytes)} MB (${TRADES_MAX} trades + slack)`,
      `  order flow over the window: buy ${buy.toFixed(3)} / sell ${sell.toFixed(3)}; simulator ${expectBuy.toFixed(3)} / ${expectSell.toFixed(3)} → ${result.orderFlow.equal ? 'equal' : 'DIFFERENT'}`,
      `  block trades ${z.blockTrades}, RPI trades ${z.rpiTrades} (kept out of order flow)`,
      `  written to ${file}`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`trade-burst failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
