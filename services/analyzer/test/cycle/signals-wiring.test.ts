import { createEngine } from '@confluence/confluence';
import type { SymbolRow } from '@confluence/contracts';
import { buildRow } from '@confluence/testkit';
import { Scoreboard } from '../../src/cycle/scoreboard';
import { SignalsWiring, type WiringDeps } from '../../src/cycle/signals-wiring';
import type { MarketClock } from '../../src/intake/intake';

function setup(marketClock: MarketClock) {
  const calls: string[] = [];
  const minuteCbs: ((ts: number) => void)[] = [];
  const signals: WiringDeps['signals'] = {
    onCycle: (rows: readonly SymbolRow[], now: number, fresh: boolean) => {
      calls.push(`cycle ${rows.length} ${now} ${fresh}`);
      return [];
    },
    onMinute: (ts: number, rows: readonly SymbolRow[]) => void calls.push(`minute ${ts} ${rows.length}`),
  };
  const intake: WiringDeps['intake'] = {
    marketClock,
    onMinute: (cb) => void minuteCbs.push(cb),
    symbols: () => [],
    snapshot: () => undefined,
    symbolStatus: () => undefined,
  };
  const board = new Scoreboard({ bandRecord: () => null }, 60_000);
  const wiring = new SignalsWiring({ intake, engine: createEngine(), signals, board });
  wiring.attach();
  const minute = (ts: number) => {
    for (const cb of minuteCbs) cb(ts);
  };
  return { calls, board, wiring, minute };
}

describe('signals wiring', () => {
  test('when market time is the exchange clock, then each cycle samples and a minute records the last cycle rows', () => {
    const { calls, board, wiring, minute } = setup('exchange');
    minute(60_000);
    expect(calls).toEqual([]);
    board.rows = [buildRow(0), buildRow(1)];
    wiring.afterCycle(120_000, false);
    expect(board.historyDirty).toBe(true);
    expect(board.history.get(board.rows[0].symbol).points).toHaveLength(1);
    minute(180_000);
    wiring.stop();
    minute(240_000);
    expect(calls).toEqual(['cycle 2 120000 false', 'minute 180000 2']);
  });

  test('when market time is a recording, then the rows are scored at each market minute and a cycle samples nothing', () => {
    const { calls, board, wiring, minute } = setup('recording');
    board.rows = [buildRow(0)];
    wiring.afterCycle(60_000, true);
    expect(calls).toEqual([]);
    expect(board.historyDirty).toBe(false);
    // Scored at the minute from the intake's state (nothing tracked here): the board holds those rows.
    minute(120_000);
    expect(board.rows).toEqual([]);
    expect(calls).toEqual(['cycle 0 120000 true']);
  });
});
