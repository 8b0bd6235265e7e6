import { exitOnConfigError, loadAnalyzerConfig, type AnalyzerConfig } from '@confluence/config';
import { EXIT_CONFIG, createLogger, runService } from '@confluence/logger';
import { createAnalyzerApp, type AnalyzerApp } from './app';
import { tuneHeap } from './heap';

/** Problems found while wiring the app that are configuration, not bugs: reported plainly, exit 2. */
const CONFIG_CODES = new Set(['data_dir_unusable', 'alert_rules_invalid', 'engine_config_invalid']);

let config: AnalyzerConfig;
try {
  config = loadAnalyzerConfig();
} catch (err) {
  exitOnConfigError(err, 'analyzer');
}
tuneHeap(config.heapGrowingPercent);
const logger = createLogger({ service: 'analyzer', level: config.logLevel, format: config.logFormat });
let app: AnalyzerApp;
try {
  app = createAnalyzerApp(config, { logger });
} catch (err) {
  if (CONFIG_CODES.has(String((err as { code?: unknown }).code))) {
    process.stderr.write(`analyzer: ${(err as Error).message}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
}
void runService('analyzer', logger, app);
