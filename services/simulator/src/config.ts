// Environment → SimOptions for the CLI, with one readable message per bad variable.
// SIM_PORT (8010), SIM_HOST (127.0.0.1), SIM_SEED (42), SIM_SYMBOLS (20, ≤ 1000), SIM_TICK_MS (100),
// SIM_SPEED (1), SIM_REGIMES ("BTCUSDT:up,ETHUSDT:down:2"), SIM_IDLE_TIMEOUT_MS (600000),
// SIM_MANUAL_CLOCK (0; when 1 the market moves only on POST /sim/control/step), SIM_TRADFI (0; 1 also lists stock and
// commodity perpetuals), SIM_CLOCK_OFFSET_MS (0; the simulator's clock against the host's).
import { errorMessage } from './errors';
import { MAX_SYMBOLS } from './instruments';
import { parseRegimeOverrides, type RegimeSetting } from './regimes';
import type { SimOptions } from './simulator';

export class SimConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid simulator configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'SimConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseSimEnv(env: Env): SimOptions {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}="${raw}": expected an integer in ${min}..${max}`);
      return fallback;
    }
    return n;
  };
  const positive = (name: string, fallback: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      problems.push(`${name}="${raw}": expected a number in (0, ${max}]`);
      return fallback;
    }
    return n;
  };

  const host = env.SIM_HOST?.trim() || '127.0.0.1';
  const port = int('SIM_PORT', 8010, 0, 65535);
  const seed = int('SIM_SEED', 42, 0, 0xffffffff);
  const symbols = int('SIM_SYMBOLS', 20, 1, MAX_SYMBOLS);
  const tickMs = int('SIM_TICK_MS', 100, 10, 60_000);
  const speed = positive('SIM_SPEED', 1, 10_000);
  const idleTimeoutMs = int('SIM_IDLE_TIMEOUT_MS', 600_000, 1000, 86_400_000);
  const manualRaw = (env.SIM_MANUAL_CLOCK ?? '').trim().toLowerCase();
  if (!['', '0', '1', 'true', 'false'].includes(manualRaw)) problems.push(`SIM_MANUAL_CLOCK="${manualRaw}": expected 0, 1, true or false`);
  const manualClock = manualRaw === '1' || manualRaw === 'true';
  const tradfiRaw = (env.SIM_TRADFI ?? '').trim().toLowerCase();
  if (!['', '0', '1', 'true', 'false'].includes(tradfiRaw)) problems.push(`SIM_TRADFI="${tradfiRaw}": expected 0, 1, true or false`);
  const tradfi = tradfiRaw === '1' || tradfiRaw === 'true';
  const clockOffsetMs = int('SIM_CLOCK_OFFSET_MS', 0, -86_400_000, 86_400_000);
  let regimes: Record<string, RegimeSetting> | undefined;
  const regimeText = env.SIM_REGIMES;
  if (regimeText !== undefined && regimeText.trim() !== '') {
    try {
      regimes = Object.fromEntries(parseRegimeOverrides(regimeText));
    } catch (err) {
      problems.push(`SIM_REGIMES: ${errorMessage(err)}`);
    }
  }
  if (problems.length > 0) throw new SimConfigError(problems);
  return { host, port, seed, symbols, tickMs, speed, idleTimeoutMs, manualClock, regimes, tradfi, clockOffsetMs };
}
