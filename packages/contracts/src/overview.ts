import type { Mover, OverviewData, SymbolRow } from './schemas';

export const MOVERS_LIMIT = 5;

/** A row's score change for the movers list: over 15 min when the producer knows it, else its last move. */
function scoreMove(row: SymbolRow): number | null {
  if (row.scoreChange15m !== undefined) return row.scoreChange15m;
  return row.lastMove ? row.lastMove.delta : null;
}

function toMover(row: SymbolRow): Mover {
  return {
    symbol: row.symbol,
    price: row.price,
    change24h: row.change24h,
    score: row.score,
    direction: row.direction,
    fundingRate: row.fundingRate,
    funding8h: funding8hOf(row),
    scoreDelta: scoreMove(row),
  };
}

/** Funding per 8 h: the normalised rate when the row has it, else the printed rate (taken as per 8 h). */
export function funding8hOf(row: SymbolRow): number | null {
  return row.funding ? row.funding.rate8h : row.fundingRate;
}

function top(rows: SymbolRow[], value: (r: SymbolRow) => number | null, descending: boolean, limit: number, keep?: (v: number) => boolean): Mover[] {
  const withValue: Array<[SymbolRow, number]> = [];
  for (const r of rows) {
    const v = value(r);
    if (v !== null && Number.isFinite(v) && (!keep || keep(v))) withValue.push([r, v]);
  }
  withValue.sort((a, b) => (descending ? b[1] - a[1] : a[1] - b[1]) || a[0].symbol.localeCompare(b[0].symbol));
  return withValue.slice(0, limit).map(([r]) => toMover(r));
}

/**
 * Market breadth and movers from table rows. Both the analyzer (one shard) and the web (merging shards) use it,
 * so the overview always agrees with the table it came from.
 */
export function computeOverview(rows: SymbolRow[], limit: number = MOVERS_LIMIT): OverviewData {
  let bullish = 0;
  let bearish = 0;
  let neutral = 0;
  let scoreSum = 0;
  let scored = 0;
  let turnover = 0;
  for (const r of rows) {
    if (r.score !== null) {
      scored++;
      scoreSum += r.score;
      if (r.direction === 'Bullish') bullish++;
      else if (r.direction === 'Bearish') bearish++;
      else neutral++;
    }
    if (r.turnover24h !== null) turnover += r.turnover24h;
  }
  return {
    symbolCount: rows.length,
    scoredCount: scored,
    breadth: { bullish, bearish, neutral, meanScore: scored > 0 ? Math.round((scoreSum / scored) * 10) / 10 : null },
    gainers: top(
      rows,
      (r) => r.change24h,
      true,
      limit,
      (v) => v > 0,
    ),
    losers: top(
      rows,
      (r) => r.change24h,
      false,
      limit,
      (v) => v < 0,
    ),
    strongest: top(rows, (r) => r.score, true, limit),
    weakest: top(rows, (r) => r.score, false, limit),
    fundingHighest: top(rows, funding8hOf, true, limit),
    fundingLowest: top(rows, funding8hOf, false, limit),
    scoreMovers: top(
      rows,
      (r) => {
        const d = scoreMove(r);
        return d === null ? null : Math.abs(d);
      },
      true,
      limit,
      (v) => v > 0,
    ),
    totalTurnover24h: turnover,
  };
}
