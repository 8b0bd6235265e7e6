import { tradeCount } from '@confluence/confluence';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '@confluence/logger';
import { createIntake, type Intake } from '../../src/intake/intake';
import { waitFor } from './helpers';

/**
 * Optional: the intake against the project's Bybit simulator (services/simulator/src), in process. Skipped when the simulator
 * is not in the tree; the unit tests never depend on it.
 */
const SIM = path.join(__dirname, '..', '..', '..', '..', 'services', 'simulator', 'src', 'simulator.ts');
const maybe = fs.existsSync(SIM) ? describe : describe.skip;

jest.setTimeout(60_000);

interface Sim {
  start(): Promise<{ wsUrl: string; restUrl: string }>;
  stop(): Promise<void>;
  symbols(): string[];
  drop(): number;
  gap(symbol: string): void;
  crossed(symbol: string): void;
  malformed(count: number): number;
  reject(pattern: string | null): void;
  stallPongs(ms: number): void;
  reset(): void;
}

maybe('intake against the Bybit simulator', () => {
  let sim: Sim;
  let intake: Intake;
  let urls: { wsUrl: string; restUrl: string };

  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createSimulator } = require(SIM) as { createSimulator(o: object): Sim };
    sim = createSimulator({ port: 0, seed: 7, symbols: 6, tickMs: 50 });
    urls = await sim.start();
    intake = createIntake({
      wsUrl: urls.wsUrl,
      restUrl: urls.restUrl,
      topSymbols: 3,
      universeRefreshMs: 60_000,
      logger: silentLogger(),
      source: 'sim',
      timing: { pingIntervalMs: 200, pongTimeoutMs: 400, backoffBaseMs: 20, backoffMaxMs: 200, resyncRetryMs: 1_000, subscribeRetryBaseMs: 100 },
    });
    await intake.start();
  });

  afterAll(async () => {
    await intake?.stop();
    await sim?.stop();
  });

  const allSynced = () => intake.symbols().every((s) => intake.symbolStatus(s)?.bookSynced);

  test('when started, then the top 3 simulated USDT perpetuals are tracked, warmed up and fed', async () => {
    expect(intake.symbols()).toHaveLength(3);
    for (const s of intake.symbols()) expect(sim.symbols()).toContain(s);
    await waitFor(() => intake.health().warmup.complete && intake.symbols().every((s) => intake.symbolStatus(s)!.warm), 20_000, 'warm');
    const snap = intake.snapshot(intake.symbols()[0])!;
    expect(snap.candles['1m'].length).toBeGreaterThanOrEqual(200);
    expect(snap.book!.synced).toBe(true);
    expect(snap.book!.bids[0][0]).toBeLessThan(snap.book!.asks[0][0]);
    await waitFor(() => tradeCount(intake.snapshot(intake.symbols()[0])!.trades) > 0, 10_000, 'trades');
    expect(intake.health().state).toBe('connected');
  });

  test('when the simulator skips a u or crosses the book, then the intake resyncs', async () => {
    const s = intake.symbols()[0];
    const r0 = intake.health().totals.resyncs;
    sim.gap(s);
    await waitFor(() => intake.health().totals.resyncs > r0, 10_000, 'gap resync');
    await waitFor(allSynced, 10_000, 'synced after gap');
    sim.crossed(s);
    await waitFor(() => intake.health().totals.resyncs > r0 + 1, 10_000, 'crossed resync');
    await waitFor(allSynced, 10_000, 'synced after crossed');
  });

  test('when the simulator drops every connection or withholds pongs, then the intake reconnects and resyncs', async () => {
    const r0 = intake.health().totals.reconnects;
    sim.drop();
    await waitFor(() => intake.health().totals.reconnects > r0 && intake.health().state === 'connected', 10_000, 'reconnect after drop');
    await waitFor(allSynced, 10_000, 'synced after drop');
    sim.stallPongs(2_000);
    await waitFor(() => intake.health().totals.reconnects > r0 + 1, 10_000, 'reconnect after pong stall');
    await waitFor(() => intake.health().state === 'connected' && allSynced(), 10_000, 'synced after stall');
  });

  test('when malformed frames arrive or a topic is rejected, then they are counted and the intake keeps going', async () => {
    sim.malformed(5);
    await waitFor(() => Object.values(intake.health().totals.malformed).reduce((a, b) => a + b, 0) >= 5, 10_000, 'malformed counted');
    sim.reject('kline.30.');
    sim.drop(); // the resubscribe after the reconnect meets the rejection
    await waitFor(() => intake.health().totals.subscribeRejected > 0, 10_000, 'rejection counted');
    sim.reset();
    await waitFor(() => intake.health().state === 'connected' && allSynced(), 10_000, 'recovered');
  });
});
