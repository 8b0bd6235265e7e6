import { exitOnConfigError, loadWebConfig, type WebConfig } from '@confluence/config';
import { createLogger, runService } from '@confluence/logger';
import { createApp } from './app';

let config: WebConfig;
try {
  config = loadWebConfig();
} catch (err) {
  exitOnConfigError(err, 'web');
}
const logger = createLogger({ service: 'web', level: config.logLevel, format: config.logFormat });
void runService('web', logger, createApp(config, { logger }));
