export * from './wait';
export * from './ports';
export * from './processes';
export * from './memcached';
export * from './services';
export * from './random';
export * from './raw-http';
