import type { Logger } from '@confluence/logger';
import { fullJitterDelay, sleep } from './backoff';
import { RestError, type BybitRestClient } from './bybit/rest-client';
import { IntakeError, type IntakeOptions } from './types';
import { fetchUniverse, inShard } from './universe';
import type { UniverseSet } from './universe-set';
import { errorMessage } from '@confluence/logger';

const UNIVERSE_START_ATTEMPTS = 5;

export interface LoadedUniverse {
  symbols: string[];
  notTrading: ReadonlyMap<string, string>;
}

type Selection = Pick<IntakeOptions, 'topSymbols' | 'symbols' | 'shard' | 'includeTradFi'>;

/** Live: the universe from the instruments and tickers over REST, with the ranking's hysteresis kept between reads. */
export class UniverseLoader {
  private ranked: readonly string[] = [];

  constructor(
    private readonly rest: BybitRestClient,
    private readonly universe: UniverseSet,
    private readonly selection: Selection,
    private readonly logger: Logger,
    private readonly signal: AbortSignal,
  ) {}

  /** One read; price steps and funding intervals go to the universe (applied with the next list). */
  async load(): Promise<LoadedUniverse> {
    const { topSymbols, symbols, shard, includeTradFi } = this.selection;
    const sel = await fetchUniverse(this.rest, { topSymbols, symbols, shard, includeTradFi, current: this.ranked }, this.logger);
    this.ranked = sel.ranked;
    this.universe.tickSizes = sel.tickSizes;
    this.universe.fundingIntervals = sel.fundingIntervals;
    return { symbols: sel.symbols, notTrading: sel.notTrading ?? new Map() };
  }

  /**
   * The first universe, retried with backoff. After UNIVERSE_START_ATTEMPTS failures (access blocks not counted) the
   * configured SYMBOLS are used unvalidated, or the start fails.
   */
  async initial(backoff: { baseMs: number; maxMs: number }): Promise<string[]> {
    let counted = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.load()).symbols;
      } catch (err) {
        if (this.signal.aborted) throw new IntakeError('universe_unavailable', 'intake stopped');
        // An access block is not a reason to give up: the status says so and attempts continue with backoff.
        const blocked = err instanceof RestError && err.code === 'access_blocked';
        if (!blocked) counted++;
        const last = counted >= UNIVERSE_START_ATTEMPTS;
        this.logger.warn('universe fetch failed', { attempt: attempt + 1, error: errorMessage(err) });
        if (last) return this.fallback(err);
        await sleep(fullJitterDelay(attempt, Math.max(200, backoff.baseMs * 2), Math.max(1_000, backoff.maxMs)), this.signal).catch(() => undefined);
      }
    }
  }

  private fallback(err: unknown): string[] {
    const { symbols, shard } = this.selection;
    if (symbols?.length) {
      // The configured list is usable without validation; the next refresh validates it.
      this.logger.warn('using the configured SYMBOLS unvalidated until instruments can be fetched');
      return symbols.filter((s) => inShard(s, shard));
    }
    throw new IntakeError('universe_unavailable', `cannot fetch the universe: ${errorMessage(err)}`);
  }
}
