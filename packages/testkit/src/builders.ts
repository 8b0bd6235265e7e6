import { type Envelope, type SymbolRow, computeOverview, makeEnvelope } from '@confluence/contracts';

/** A plausible table row; tests override what they care about. */
export function buildRow(i: number, overrides: Partial<SymbolRow> = {}): SymbolRow {
  const score = 20 + ((i * 37) % 61);
  return {
    symbol: `SYM${i}USDT`,
    score,
    direction: score >= 60 ? 'Bullish' : score <= 40 ? 'Bearish' : 'Neutral',
    strength: score >= 70 || score <= 30 ? 'strong' : 'moderate',
    confidence: 0.5 + (i % 5) / 10,
    price: 100 + i * 1.2345,
    change24h: ((i % 11) - 5) / 100,
    turnover24h: 1_000_000 + i * 12345.6,
    volume24h: 50_000 + i,
    fundingRate: ((i % 7) - 3) / 10_000,
    openInterest: 123_456 + i,
    openInterestValue: 9_876_543 + i,
    components: { technical: score, volume: 50, orderflow: score, orderbook: null, structure: 55, sentiment: 45 },
    updatedAt: 1_764_080_000_000 + i,
    dataOk: true,
    lastMove: {
      from: score - 3,
      to: score,
      delta: 3,
      at: 1_764_080_000_000,
      summary: `${score - 3} → ${score}: order flow +3 (CVD turned positive)`,
      parts: [{ component: 'orderflow', delta: 3, cause: 'CVD turned positive' }],
    },
    ...overrides,
  };
}

export const META = { generation: 7, producedAt: 1_764_080_000_000, analyzerId: 'test-1', source: 'sim' as const };

export function buildSymbolsEnvelope(n: number, meta = META): Envelope<'symbols'> {
  return makeEnvelope('symbols', meta, { rows: Array.from({ length: n }, (_, i) => buildRow(i)), pending: [], dropped: 0 });
}

export function buildOverviewEnvelope(n: number, meta = META): Envelope<'overview'> {
  return makeEnvelope('overview', meta, computeOverview(Array.from({ length: n }, (_, i) => buildRow(i))));
}
