import { exitOnConfigError, loadAnalyzerConfig, AnalyzerConfig } from '@confluence/config';
import { createLogger } from '@confluence/logger';
import { createAnalyzerApp } from './app';

async function main(): Promise<void> {
  let config: AnalyzerConfig;
  try {
    config = loadAnalyzerConfig();
  } catch (err) {
    exitOnConfigError(err, 'analyzer');
  }
  const logger = createLogger({ service: 'analyzer', level: config.logLevel, format: config.logFormat });
  let app: ReturnType<typeof createAnalyzerApp>;
  try {
    app = createAnalyzerApp(config, { logger });
  } catch (err) {
    // Bad weights, an unusable DATA_DIR or invalid alert rules: configuration problems, reported plainly.
    const code = (err as { code?: string }).code;
    if (code === 'data_dir_unusable' || code === 'alert_rules_invalid' || (err instanceof Error && err.name === 'EngineConfigError')) {
      process.stderr.write(`analyzer: ${(err as Error).message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 4500);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { error: err instanceof Error ? err.stack : String(err) }));
  process.on('uncaughtException', (err) => {
    logger.error('uncaught exception', { error: err.stack });
    process.exit(1);
  });
  try {
    const { port } = await app.start();
    process.stdout.write(`${JSON.stringify({ event: 'listening', service: 'analyzer', port })}\n`);
  } catch (err) {
    logger.error('web failed to start', { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
}

void main();
