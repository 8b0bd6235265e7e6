import { createEngine, DEFAULT_ENGINE_CONFIG, EngineConfigError, validateEngineConfig, type EngineConfigInput } from '@confluence/confluence';

function problemsOf(input: unknown): string[] {
  try {
    validateEngineConfig(input as EngineConfigInput);
  } catch (err) {
    expect(err).toBeInstanceOf(EngineConfigError);
    return [...(err as EngineConfigError).problems];
  }
  throw new Error('expected a config error');
}

describe('engine config validation', () => {
  it('when nothing is given, then the defaults come back, all weight tables summing to 1', () => {
    const c = validateEngineConfig();
    expect(c).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(Object.values(c.componentWeights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(c.componentWeights).toEqual({ orderflow: 0.3, orderbook: 0.2, volume: 0.18, structure: 0.15, technical: 0.1, sentiment: 0.07 });
    expect(c.timeframeWeights).toEqual({ '1m': 0.4, '5m': 0.3, '30m': 0.2, '4h': 0.1 });
    expect(c.thresholds).toEqual({ bullish: 60, bearish: 40, bullishExit: 57, bearishExit: 43, strongBullish: 70, strongBearish: 30 });
    expect(c.labelGate).toEqual({ minCompleteness: 0.6, minConfidence: 0.2, holdConfidence: 0.1 });
    expect(Object.isFrozen(DEFAULT_ENGINE_CONFIG.componentWeights)).toBe(true);
  });

  it('when component weights name an unknown component, miss one, go negative or do not sum to 1, then each problem is listed readably', () => {
    expect(problemsOf({ componentWeights: { technical: 0.5, volume: 0.5, orderflow: 0, orderbook: 0, structure: 0, sentiment: 0, vibes: 0 } })).toEqual([
      'componentWeights: unknown name(s) "vibes" (expected technical, volume, orderflow, orderbook, structure, sentiment)',
    ]);
    expect(problemsOf({ componentWeights: { technical: 1 } })).toEqual([
      'componentWeights: missing weight(s) for volume, orderflow, orderbook, structure, sentiment',
    ]);
    expect(problemsOf({ componentWeights: { technical: 1.2, volume: -0.2, orderflow: 0, orderbook: 0, structure: 0, sentiment: 0 } })).toEqual([
      'componentWeights.volume: must not be negative, got -0.2',
    ]);
    expect(problemsOf({ componentWeights: { technical: 0.5, volume: 0.4, orderflow: 0, orderbook: 0, structure: 0, sentiment: 0 } })).toEqual([
      'componentWeights: weights must sum to 1 (±0.000001), they sum to 0.9',
    ]);
  });

  it('when weights sum to 1 within 1e-6, then they are accepted', () => {
    expect(() =>
      validateEngineConfig({ componentWeights: { technical: 0.1000004, volume: 0.18, orderflow: 0.3, orderbook: 0.2, structure: 0.15, sentiment: 0.07 } }),
    ).not.toThrow();
  });

  it('when timeframe or sub-signal weights are wrong, then the same rules apply, naming the table', () => {
    expect(problemsOf({ timeframeWeights: { '1m': 0.5, '5m': 0.5, '30m': 0, '1h': 0 } })).toEqual([
      'timeframeWeights: unknown name(s) "1h" (expected 1m, 5m, 30m, 4h)',
      'timeframeWeights: missing weight(s) for 4h',
    ]);
    expect(
      problemsOf({
        subWeights: { orderbook: { depthImbalance: 0.5, topImbalance: 0.5, depthBand10bps: 0, deepBook: 0, walls: 0, absorption: 0, icebergs: 0 } },
      }),
    ).toEqual(['subWeights.orderbook: unknown name(s) "icebergs" (expected depthImbalance, topImbalance, depthBand10bps, deepBook, walls, absorption)']);
    expect(problemsOf({ subWeights: { mood: {} } })[0]).toBe('subWeights: unknown component(s) "mood"');
  });

  it('when several things are wrong, then one error lists them all and its message reads as a list', () => {
    let message = '';
    try {
      createEngine({ thresholds: { bullish: 40, bearish: 60, strongBullish: 70, strongBearish: 30 }, volumeTimeframe: '1h' as never, indicatorWindow: 10 });
    } catch (err) {
      message = (err as Error).message;
      expect((err as EngineConfigError).code).toBe('engine_config_invalid');
    }
    expect(message).toBe(
      [
        'invalid confluence engine config:',
        '  - thresholds: need strongBearish ≤ bearish < bullish ≤ strongBullish, got 30 / 60 / 40 / 70',
        '  - volumeTimeframe: must be one of 1m, 5m, 30m, 4h, got "1h"',
        '  - indicatorWindow: must be between 60 and 5000, got 10',
      ].join('\n'),
    );
  });

  it('when thresholds come without exits, then exits sit 3 points inside (a quarter of a narrow Neutral band); bad exits are errors', () => {
    expect(validateEngineConfig({ thresholds: { bullish: 65, bearish: 35, strongBullish: 75, strongBearish: 25 } }).thresholds).toMatchObject({
      bullishExit: 62,
      bearishExit: 38,
    });
    expect(validateEngineConfig({ thresholds: { bullish: 52, bearish: 48, strongBullish: 70, strongBearish: 30 } }).thresholds).toMatchObject({
      bullishExit: 51,
      bearishExit: 49,
    });
    expect(problemsOf({ thresholds: { bullish: 60, bearish: 40, bullishExit: 62, bearishExit: 43, strongBullish: 70, strongBearish: 30 } })).toEqual([
      'thresholds: need bearish ≤ bearishExit < bullishExit ≤ bullish, got 40 / 43 / 62 / 60',
    ]);
    expect(problemsOf({ labelGate: { minCompleteness: 2, minConfidence: 0.2, holdConfidence: 0.1 } })).toEqual([
      'labelGate.minCompleteness: must be between 0 and 1, got 2',
    ]);
  });

  it('when a key is unknown or a value is not a number, then that is an error, never ignored', () => {
    expect(problemsOf({ weights: {} })).toEqual([
      'config: unknown key(s) "weights" (expected componentWeights, timeframeWeights, structureTimeframeWeights, subWeights, thresholds, labelGate, bookSmoothingMs, volumeTimeframe, indicatorWindow, anchorBlock, freshness)',
    ]);
    expect(problemsOf({ timeframeWeights: { '1m': '0.4', '5m': 0.3, '30m': 0.2, '4h': 0.1 } })).toEqual([
      'timeframeWeights.1m: must be a finite number, got "0.4"',
    ]);
    expect(problemsOf({ freshness: { book: { freshMs: 5000, staleMs: 1000 } } })).toEqual(['freshness.book: staleMs must be greater than freshMs']);
  });

  it('when sub-weights of one component are given, then the others keep their defaults', () => {
    const c = validateEngineConfig({ subWeights: { sentiment: { funding: 1, longShort: 0, liquidations: 0, oiActivity: 0 } } });
    expect(c.subWeights.sentiment.funding).toBe(1);
    expect(c.subWeights.orderflow).toEqual(DEFAULT_ENGINE_CONFIG.subWeights.orderflow);
  });
});
