// The market model without sockets: determinism, regimes, history, book invariants, config.
import fc from 'fast-check';
import { parseSimEnv, SimConfigError } from '../src/config';
import { buildUniverse } from '../src/instruments';
import { Market } from '../src/market';
import { assignRegimes, BALANCED_TOP_N, parseRegimeOverrides } from '../src/regimes';
import { createSimulator } from '../src/simulator';

const START = Date.UTC(2026, 0, 15, 10, 37, 24, 500);

function market(seed: number, extra: Partial<ConstructorParameters<typeof Market>[0]> = {}): Market {
  return new Market({ seed, symbols: 20, tickMs: 100, speed: 1, startTime: START, maxSymbolsPerStep: 100, ...extra });
}

/** (symbol, trade id, price) of every trade over n steps. */
function tradeTape(m: Market, steps: number): string[] {
  const tape: string[] = [];
  for (let i = 1; i <= steps; i++) {
    for (const out of m.step(START + i * 100)) {
      for (const t of out.trades) tape.push(`${out.market.symbol}:${t.id}:${t.priceTicks}:${t.units}:${t.side}`);
    }
  }
  return tape;
}

describe('simulator market model', () => {
  test('when two markets share a seed, then their trades and prices are identical step by step', () => {
    const a = tradeTape(market(7), 150);
    const b = tradeTape(market(7), 150);
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
  });

  test('when seeds differ, then the trade tapes differ', () => {
    expect(tradeTape(market(7), 50)).not.toEqual(tradeTape(market(8), 50));
  });

  test('when stepping a manual-clock simulator, then recent trades and state follow the seed', () => {
    const run = (seed: number): unknown[] => {
      const sim = createSimulator({ seed, manualClock: true, startTime: START, symbols: 5 });
      sim.step(100);
      return [sim.recentTrades('BTCUSDT', 20), sim.state('ETHUSDT').symbols];
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  test('when the default seed assigns regimes, then the top 15 by turnover hold at least 4 of each', () => {
    for (const seed of [42, 1, 2, 3, 99, 12345]) {
      const regimes = assignRegimes(buildUniverse(30).simulated, seed);
      const top = [...buildUniverse(30).simulated].sort((x, y) => y.turnover24h - x.turnover24h).slice(0, BALANCED_TOP_N);
      for (const r of ['up', 'down', 'range'] as const) {
        expect(top.filter((s) => regimes.get(s.symbol)?.regime === r).length).toBeGreaterThanOrEqual(4);
      }
    }
  });

  test('when trends are simulated over many steps, then up-trends end higher and down-trends lower on average', () => {
    const moves = { up: [] as number[], down: [] as number[] };
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const m = new Market({
        seed,
        symbols: 6,
        tickMs: 100,
        speed: 300,
        startTime: START,
        maxSymbolsPerStep: 100,
        regimes: new Map([
          ['BTCUSDT', { regime: 'up', strength: 1 }],
          ['ETHUSDT', { regime: 'up', strength: 1 }],
          ['SOLUSDT', { regime: 'up', strength: 1 }],
          ['XRPUSDT', { regime: 'down', strength: 1 }],
          ['DOGEUSDT', { regime: 'down', strength: 1 }],
          ['1000PEPEUSDT', { regime: 'down', strength: 1 }],
        ]),
      });
      const start = m.markets.map((s) => s.midPrice);
      for (let i = 1; i <= 1000; i++) m.step(START + i * 100);
      m.markets.forEach((s, i) => {
        const logMove = Math.log(s.midPrice / start[i]);
        if (s.setting.regime === 'up' || s.setting.regime === 'down') moves[s.setting.regime].push(logMove);
      });
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(moves.up)).toBeGreaterThan(0);
    expect(mean(moves.down)).toBeLessThan(0);
    expect(moves.up.filter((x) => x > 0).length).toBeGreaterThan(moves.up.length / 2);
    expect(moves.down.filter((x) => x < 0).length).toBeGreaterThan(moves.down.length / 2);
  });

  test('when trends run, then buy aggressors dominate up-trends and sell aggressors down-trends', () => {
    const m = market(11, {
      regimes: new Map([
        ['BTCUSDT', { regime: 'up', strength: 1 }],
        ['ETHUSDT', { regime: 'down', strength: 1 }],
      ]),
    });
    // Counted per trade: volume shares are noisy because trade sizes are heavy-tailed.
    const buyShare = new Map<string, { buy: number; all: number }>();
    for (let i = 1; i <= 600; i++) {
      for (const out of m.step(START + i * 100)) {
        const acc = buyShare.get(out.market.symbol) ?? { buy: 0, all: 0 };
        for (const t of out.trades) {
          acc.all++;
          if (t.side === 'Buy') acc.buy++;
        }
        buyShare.set(out.market.symbol, acc);
      }
    }
    const share = (s: string): number => (buyShare.get(s)?.buy ?? 0) / (buyShare.get(s)?.all ?? 1);
    expect(share('BTCUSDT')).toBeGreaterThan(0.52);
    expect(share('ETHUSDT')).toBeLessThan(0.48);
  });

  test('when history is generated, then every interval has 1000 contiguous candles ending at the start price', () => {
    const m = market(42);
    const problems: string[] = [];
    for (const s of m.markets.slice(0, 6)) {
      for (const interval of ['1', '5', '30', '240'] as const) {
        const list = s.klines(interval, undefined, undefined, 1000);
        const ms = Number(interval) * 60_000;
        const where = `${s.symbol} ${interval}`;
        if (list.length !== 1000) problems.push(`${where}: ${list.length} candles`);
        if (list[0].close !== s.lastTradeTicks) problems.push(`${where}: last close ${list[0].close} ≠ ${s.lastTradeTicks}`);
        list.forEach((c, i) => {
          if (c.high < Math.max(c.open, c.close) || c.low > Math.min(c.open, c.close)) problems.push(`${where}#${i}: range`);
          if (i === 0) return;
          if (list[i - 1].start - c.start !== ms) problems.push(`${where}#${i}: not contiguous`);
          // Each candle opens where the previous one closed.
          if (list[i - 1].open !== c.close) problems.push(`${where}#${i}: open ≠ previous close`);
        });
      }
    }
    expect(problems).toEqual([]);
  });

  test('when history is generated, then trending symbols show their regime in recent candles', () => {
    const m = market(42, {
      regimes: new Map([
        ['BTCUSDT', { regime: 'up', strength: 1 }],
        ['ETHUSDT', { regime: 'down', strength: 1 }],
      ]),
    });
    const change = (symbol: string, interval: '5' | '30' | '240', n: number): number => {
      const list = m.get(symbol)?.klines(interval, undefined, undefined, n) ?? [];
      return list[0].close / list[list.length - 1].open - 1;
    };
    expect(change('BTCUSDT', '30', 100)).toBeGreaterThan(0);
    expect(change('BTCUSDT', '240', 40)).toBeGreaterThan(0);
    expect(change('ETHUSDT', '30', 100)).toBeLessThan(0);
    expect(change('ETHUSDT', '240', 40)).toBeLessThan(0);
  });

  test('when the simulator starts, then 24 h changes are the size of real trending days, not +100 %', () => {
    // In hourly-volatility units: a trend of strength ≤ 1.3 adds ≈ 9 σ × strength over 24 h, noise ≈ √24 σ.
    const sigmas: number[] = [];
    for (const seed of [1, 7, 42, 99, 1234]) {
      for (const s of market(seed).markets) {
        const t = s.ticker();
        sigmas.push(Math.abs(Math.log(1 + t.change24h)) / s.spec.hourlyVol);
      }
    }
    expect(Math.max(...sigmas)).toBeLessThan(30);
    sigmas.sort((a, b) => a - b);
    expect(sigmas[Math.floor(sigmas.length / 2)]).toBeLessThan(12);
  });

  test('when a coarse candle has finer history, then it aggregates it (intervals agree)', () => {
    const s = market(5).get('SOLUSDT');
    if (s === undefined) throw new Error('no SOLUSDT');
    const fives = s.klines('5', undefined, undefined, 1000);
    const thirty = s.klines('30', undefined, undefined, 20)[5];
    const inside = fives.filter((c) => c.start >= thirty.start && c.start < thirty.start + 30 * 60_000);
    expect(inside).toHaveLength(6);
    expect(Math.max(...inside.map((c) => c.high))).toBe(thirty.high);
    expect(Math.min(...inside.map((c) => c.low))).toBe(thirty.low);
    expect(inside.reduce((n, c) => n + c.volume, 0)).toBe(thirty.volume);
  });

  test('for any seed and number of steps, the book stays uncrossed and on the tick grid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 60 }), (seed, steps) => {
        const m = new Market({ seed, symbols: 8, tickMs: 100, speed: 50, startTime: START, maxSymbolsPerStep: 100 });
        for (let i = 1; i <= steps; i++) m.step(START + i * 100);
        for (const s of m.markets) {
          const { bids, asks } = s.book;
          if (!(bids[0].tick < asks[0].tick)) return false;
          for (let i = 1; i < bids.length; i++) if (!(bids[i].tick < bids[i - 1].tick && Number.isInteger(bids[i].tick))) return false;
          for (let i = 1; i < asks.length; i++) if (!(asks[i].tick > asks[i - 1].tick && Number.isInteger(asks[i].tick))) return false;
          if (bids.length !== 200 || asks.length !== 200) return false;
        }
        return true;
      }),
      { numRuns: 25 },
    );
  });

  test('when the universe is large, then symbols are stepped round-robin with bounded work per step', () => {
    const m = new Market({ seed: 1, symbols: 250, tickMs: 100, speed: 1, startTime: START, maxSymbolsPerStep: 100 });
    expect(m.stride).toBe(3);
    expect(m.step(START + 100)).toHaveLength(84);
    const names = new Set(m.universe.simulated.map((s) => s.symbol));
    expect(names.size).toBe(250);
    expect(names.has('SIM250USDT')).toBe(true);
    const turnovers = m.universe.simulated.map((s) => s.turnover24h);
    expect(new Set(turnovers).size).toBe(250);
  });
});

describe('simulator configuration', () => {
  test('when the environment is empty, then defaults apply', () => {
    expect(parseSimEnv({})).toMatchObject({ port: 8010, host: '127.0.0.1', seed: 42, symbols: 20, tickMs: 100 });
  });

  test('when variables are set, then they are parsed', () => {
    const opts = parseSimEnv({ SIM_PORT: '0', SIM_SEED: '7', SIM_SYMBOLS: '600', SIM_REGIMES: 'BTCUSDT:up,ETHUSDT:down:2', SIM_MANUAL_CLOCK: '1' });
    expect(opts).toMatchObject({ port: 0, seed: 7, symbols: 600, manualClock: true });
    expect(opts.regimes).toEqual({ BTCUSDT: { regime: 'up', strength: 1 }, ETHUSDT: { regime: 'down', strength: 2 } });
  });

  test('when values are invalid, then every problem is reported', () => {
    let error: unknown;
    try {
      parseSimEnv({ SIM_PORT: 'abc', SIM_SYMBOLS: '5000', SIM_REGIMES: 'BTCUSDT:sideways' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SimConfigError);
    expect((error as SimConfigError).problems).toHaveLength(3);
    expect(() => parseRegimeOverrides('BTCUSDT:up:99')).toThrow(/strength/);
  });
});

describe('non-crypto perpetuals (SIM_TRADFI)', () => {
  test('when 800 instruments are listed with tradfi on, then about 180 carry a stock/commodity/ETF/FX symbolType, gold among the top by turnover', () => {
    const u = buildUniverse(800, true);
    const tradfi = u.simulated.filter((s) => s.symbolType !== '');
    expect(tradfi.length).toBeGreaterThan(150);
    expect(tradfi.length).toBeLessThan(220);
    expect(new Set(tradfi.map((s) => s.symbolType))).toEqual(new Set(['stock', 'commodity', 'etf', 'forex']));
    const top = [...u.simulated]
      .sort((a, b) => b.turnover24h - a.turnover24h)
      .slice(0, 4)
      .map((s) => s.symbol);
    expect(top).toContain('XAUUSDT');
    // Off by default: the same universe as before, every symbolType empty.
    expect(buildUniverse(800).simulated.every((s) => s.symbolType === '')).toBe(true);
    expect(parseSimEnv({ SIM_TRADFI: '1', SIM_CLOCK_OFFSET_MS: '-5000' })).toMatchObject({ tradfi: true, clockOffsetMs: -5000 });
    expect(() => parseSimEnv({ SIM_TRADFI: 'maybe' })).toThrow(SimConfigError);
  });
});
