export * from './keys';
export * from './schemas';
export * from './envelope';
export * from './overview';
export * from './api';
export * from './price';
export * from './table-rules';
export * from './sub-signals';
