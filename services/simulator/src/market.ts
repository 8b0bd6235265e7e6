// The whole simulated universe. A step advances every symbol that is due; with large universes the
// symbols are stepped round-robin so each step's work stays bounded (per-symbol rates drop instead).
import { buildUniverse, type InstrumentSpec, type InstrumentStatus, type Universe } from './instruments';
import { assignRegimes, type RegimeSetting } from './regimes';
import { SymbolMarket, type StepOutput } from './symbol-market';

export interface MarketOptions {
  readonly seed: number;
  readonly symbols: number;
  readonly regimes?: ReadonlyMap<string, RegimeSetting>;
  readonly tickMs: number;
  /** Multiplies the pace of price dynamics (drift, volatility, slow series), not trade rates. */
  readonly speed: number;
  readonly startTime: number;
  /** Upper bound on symbols stepped per tick. */
  readonly maxSymbolsPerStep: number;
  /** List non-crypto (stock, commodity…) perpetuals too. */
  readonly tradfi?: boolean;
}

export class Market {
  readonly universe: Universe;
  readonly markets: readonly SymbolMarket[];
  private readonly bySymbol: ReadonlyMap<string, SymbolMarket>;
  private readonly opts: MarketOptions;
  /** Each symbol is stepped every `stride` ticks. */
  readonly stride: number;
  stepCount = 0;
  /** Instruments whose status changed since listing (Trading → Settling, Delivering, Closed…). */
  readonly statusOverride = new Map<string, InstrumentStatus>();

  constructor(opts: MarketOptions) {
    this.opts = opts;
    this.universe = buildUniverse(opts.symbols, opts.tradfi ?? false);
    const unknown = [...(opts.regimes?.keys() ?? [])].filter((s) => !this.universe.simulated.some((i) => i.symbol === s));
    if (unknown.length > 0) throw new RangeError(`regime override for unknown symbol(s): ${unknown.join(', ')}`);
    const regimes = assignRegimes(this.universe.simulated, opts.seed, opts.regimes);
    this.markets = this.universe.simulated.map(
      (spec) => new SymbolMarket({ spec, seed: opts.seed, regime: regimeFor(regimes, spec), startTime: opts.startTime }),
    );
    this.bySymbol = new Map(this.markets.map((m) => [m.symbol, m]));
    this.stride = Math.max(1, Math.ceil(this.markets.length / opts.maxSymbolsPerStep));
  }

  statusOf(spec: InstrumentSpec): InstrumentStatus {
    return this.statusOverride.get(spec.symbol) ?? spec.status;
  }

  get(symbol: string): SymbolMarket | undefined {
    return this.bySymbol.get(symbol);
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  /** Step number → which symbols move and by how much model time; never wall-clock dependent. */
  step(now: number): StepOutput[] {
    const phase = this.stepCount % this.stride;
    this.stepCount++;
    const dtMs = this.opts.tickMs * this.stride;
    const out: StepOutput[] = [];
    for (let i = phase; i < this.markets.length; i += this.stride) {
      out.push(this.markets[i].step(now, dtMs, this.opts.speed));
    }
    return out;
  }
}

function regimeFor(regimes: ReadonlyMap<string, RegimeSetting>, spec: InstrumentSpec): RegimeSetting {
  const r = regimes.get(spec.symbol);
  if (r === undefined) throw new Error(`no regime for ${spec.symbol}`);
  return r;
}
