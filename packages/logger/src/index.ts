import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogMeta = Record<string, unknown>;

/** The small logging surface the rest of the code depends on; winston stays behind it. */
export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  child(meta: LogMeta): Logger;
}

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** json (production, one object per line) or pretty (a terminal). Default: pretty on a TTY, json otherwise. */
  format?: 'json' | 'pretty';
  /** Silence output entirely (unit tests). */
  silent?: boolean;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|sasl/i;

/** Replaces values of secret-looking fields so credentials never reach a log line. */
export function redact(meta: LogMeta): LogMeta {
  const out: LogMeta = {};
  for (const [k, v] of Object.entries(meta)) {
    if (SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '') out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) out[k] = redact(v as LogMeta);
    else out[k] = v;
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    const value = (info as Record<string, unknown>)[key];
    const cleaned = redact({ [key]: value })[key];
    (info as Record<string, unknown>)[key] = cleaned;
  }
  return info;
});

function wrap(w: winston.Logger): Logger {
  return {
    error: (m, meta) => void w.error(m, meta ?? {}),
    warn: (m, meta) => void w.warn(m, meta ?? {}),
    info: (m, meta) => void w.info(m, meta ?? {}),
    debug: (m, meta) => void w.debug(m, meta ?? {}),
    child: (meta) => wrap(w.child(redact(meta))),
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = (options.format ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      redactFormat(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      pretty
        ? winston.format.combine(
            winston.format.colorize(),
            winston.format.printf(({ level, message, timestamp, service, ...rest }) => {
              const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
              return `${String(timestamp).slice(11, 23)} ${level} [${String(service)}] ${String(message)}${extra}`;
            }),
          )
        : winston.format.json(),
    ),
    // stderr for everything: stdout stays free for machine-readable lines (e.g. a child's "listening" event).
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return wrap(logger);
}

/** A logger that drops everything, for unit tests and benchmarks. */
export function silentLogger(): Logger {
  const l: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, child: () => l };
  return l;
}

/**
 * Logs at most `perIntervalMs` one line per key, counting what it suppressed, so a flood of bad market
 * messages costs one log line per interval rather than one per message.
 */
export function createRateLimitedLog(logger: Logger, intervalMs: number, now: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (level: LogLevel, key: string, message: string, meta?: LogMeta): void => {
    const t = now();
    const entry = last.get(key);
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry ? entry.suppressed : 0;
    last.set(key, { at: t, suppressed: 0 });
    if (last.size > 1000) last.delete(last.keys().next().value as string);
    logger[level](message, suppressed > 0 ? { ...meta, suppressedSinceLast: suppressed } : meta);
  };
}
export { runService, listenProblem, EXIT_CONFIG, SHUTDOWN_DEADLINE_MS, type RunnableService } from './run-service';
export { errorMessage } from './errors';
