import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tradeCount } from '@confluence/confluence';
import { silentLogger } from '@confluence/logger';
import { IntakeError, type IntakeOptions } from '../../src/intake/intake';
import { ReplayIntake } from '../../src/intake/replay-intake';

const T0 = 1_767_225_600_000 + 10_000;

function options(file: string): IntakeOptions {
  return {
    wsUrl: 'ws://unused',
    restUrl: 'http://unused',
    topSymbols: 5,
    universeRefreshMs: 60_000,
    logger: silentLogger(),
    source: 'replay',
    replay: { file, speed: Infinity },
  };
}

function trade(symbol: string, t: number, i: number): string {
  return JSON.stringify({ topic: `publicTrade.${symbol}`, type: 'snapshot', ts: t, data: [{ T: t, s: symbol, S: 'Buy', v: '1', p: '2', i: String(i) }] });
}

describe('replay intake', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-intake-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('when a small recording is replayed, then its frames reach the store on the recorded clock and the health says so', async () => {
    const file = path.join(tmp, 'small.jsonl');
    const frames = [
      { t: T0, m: trade('AUSDT', T0, 1) },
      { t: T0 + 1_000, m: trade('BUSDT', T0 + 1_000, 2) },
      { t: T0 + 2_000, m: trade('AUSDT', T0 + 2_000, 3) },
      { t: T0 + 3_000, m: '{not json' },
    ];
    fs.writeFileSync(
      file,
      `${[
        JSON.stringify({ k: 'meta', v: 1, startedAt: T0 - 5_000, source: 'live', wsUrl: 'wss://x' }),
        ...frames.map((f) => JSON.stringify({ t: f.t, k: 'ws', c: 0, m: f.m })),
      ].join('\n')}\n`,
    );
    const intake = new ReplayIntake(options(file), { file, speed: Infinity });
    expect(intake.marketClock).toBe('recording');
    expect(intake.health().state).toBe('connecting');
    const universes: (readonly string[])[] = [];
    intake.on('universe', (s) => universes.push(s));
    await intake.start();
    await intake.finished();

    expect([...intake.symbols()].sort()).toEqual(['AUSDT', 'BUSDT']);
    expect(universes).toHaveLength(1);
    expect(tradeCount(intake.snapshot('AUSDT')!.trades)).toBe(2);
    expect(tradeCount(intake.snapshot('BUSDT')!.trades)).toBe(1);
    expect(intake.now()).toBe(T0 + 3_000);
    const h = intake.health();
    expect(h.source).toBe('replay');
    expect(h.state).toBe('closed');
    expect(h.connections).toEqual([]);
    expect(h.replay).toEqual({ file, speed: 'max', finished: true, messages: 4, error: null });
    expect(h.recording).toBeNull();
    expect(h.totals.messages).toBe(4);
    expect(h.totals.byTopic.publicTrade).toBe(3);
    expect(Object.values(h.totals.malformed).reduce((a, b) => a + b, 0)).toBe(1);
    expect(h.lastMessageAt).toBe(T0 + 3_000);
    expect(h.clock).toEqual({ offsetMs: null, rttMs: null, measuredAt: null, samples: 0, lastError: null });
    // Update ages are judged on the recording's clock, not the wall clock.
    expect(h.symbols.updateAgeMs.AUSDT).toBe(1_000);
    expect(h.symbols.updateAgeMs.BUSDT).toBe(2_000);
    await intake.stop();
    await intake.stop();
    expect(intake.health().state).toBe('closed');
  });

  test('when the recording cannot be read, then start() fails with replay_failed and finished() resolves', async () => {
    const file = path.join(tmp, 'missing.jsonl');
    const intake = new ReplayIntake(options(file), { file, speed: Infinity });
    const err = await intake.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntakeError);
    expect((err as IntakeError).code).toBe('replay_failed');
    await intake.finished();
    await expect(intake.start()).rejects.toMatchObject({ code: 'already_started' });
  });
});
