import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ComponentScores, SymbolRow } from '@confluence/contracts';

export const MIN = 60_000;
/** A fixed market minute: 2026-01-01T00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signals-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function components(all: number | null, over: Partial<ComponentScores> = {}): ComponentScores {
  return { technical: all, volume: all, orderflow: all, orderbook: all, structure: all, sentiment: all, ...over };
}

export function direction(score: number | null): SymbolRow['direction'] {
  return score === null ? null : score >= 60 ? 'Bullish' : score <= 40 ? 'Bearish' : 'Neutral';
}

/** A valid table row; by default scored, fresh at `updatedAt` and with every component at 50. */
export function row(symbol: string, over: Partial<SymbolRow> & { score?: number | null } = {}): SymbolRow {
  const score = over.score === undefined ? 50 : over.score;
  return {
    symbol,
    score,
    direction: direction(score),
    strength: null,
    confidence: 0.8,
    price: 100,
    change24h: null,
    turnover24h: null,
    volume24h: null,
    fundingRate: null,
    openInterest: null,
    openInterestValue: null,
    components: components(50),
    updatedAt: T0,
    dataOk: true,
    lastMove: null,
    ...over,
  };
}
