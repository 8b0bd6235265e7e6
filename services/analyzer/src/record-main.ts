import path from 'node:path';
import { exitOnConfigError, loadAnalyzerConfig, type AnalyzerConfig } from '@confluence/config';
import { createLogger } from '@confluence/logger';
import { createIntake, intakeOptionsFromConfig } from './intake/intake';

/**
 * `npm run record`: runs the market intake against BYBIT_WS_URL / BYBIT_REST_URL (SYMBOLS or TOP_SYMBOLS, SHARD) and
 * records every WS frame and REST answer to RECORD_FILE (default recordings/<timestamp>.jsonl) for RECORD_SECONDS
 * (default: until SIGINT/SIGTERM). MARKET_SOURCE=sim marks the recording as simulator data.
 */
function recordSeconds(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.RECORD_SECONDS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`record: RECORD_SECONDS must be a positive number, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const env = process.env;
  let config: AnalyzerConfig;
  try {
    // Recording is always from a live or simulated exchange, whatever MARKET_SOURCE says about replay.
    config = loadAnalyzerConfig({ ...env, MARKET_SOURCE: env.MARKET_SOURCE === 'sim' ? 'sim' : 'live' });
  } catch (err) {
    exitOnConfigError(err, 'record');
  }
  const seconds = recordSeconds(env);
  const file = env.RECORD_FILE?.trim() || path.join('recordings', `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
  const logger = createLogger({ service: 'recorder', level: config.logLevel, format: config.logFormat });
  const source = config.marketSource === 'sim' ? 'sim' : 'live';
  // Recording always talks to an exchange (live Bybit or the simulator), never to another recording.
  const intake = createIntake({ ...intakeOptionsFromConfig({ ...config, marketSource: source }, logger), replay: undefined, record: { file } });

  let stopping = false;
  let deadline: NodeJS.Timeout | undefined;
  let progress: NodeJS.Timeout | undefined;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    if (deadline) clearTimeout(deadline);
    await intake.stop();
    const h = intake.health();
    process.stdout.write(`record: ${why}; wrote ${h.recording?.lines ?? 0} lines (${((h.recording?.bytes ?? 0) / 1e6).toFixed(1)} MB) to ${file}\n`);
  };
  process.once('SIGINT', () => void stop('interrupted'));
  process.once('SIGTERM', () => void stop('terminated'));

  const started = Date.now();
  progress = setInterval(() => {
    const h = intake.health();
    const w = h.warmup;
    process.stdout.write(
      `record: ${Math.round((Date.now() - started) / 1000)} s, ${h.totals.messages} msgs (${Math.round(h.totals.messagesPerSec)}/s), ` +
        `${h.universe.size} symbols, warm-up ${w.done}/${w.total}${w.failed ? ` (${w.failed} failed)` : ''}, ` +
        `${((h.recording?.bytes ?? 0) / 1e6).toFixed(1)} MB, state ${h.state}\n`,
    );
  }, 5_000);

  process.stdout.write(`record: ${source} → ${file}${seconds ? ` for ${seconds} s` : ' until Ctrl-C'}\n`);
  try {
    await intake.start();
  } catch (err) {
    clearInterval(progress);
    logger.error('recording could not start', { error: err instanceof Error ? err : String(err) });
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`record: ${intake.symbols().length} symbols: ${intake.symbols().slice(0, 15).join(', ')}${intake.symbols().length > 15 ? ', …' : ''}\n`);
  if (seconds) deadline = setTimeout(() => void stop(`${seconds} s elapsed`), seconds * 1000);
}

void main();
