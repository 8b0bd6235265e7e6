export * from './errors';
export * from './client';
export * from './envelopes';
export { HashRing } from './hash-ring';
export { COMPRESS_ABOVE_BYTES, PART_BYTES, MAX_PARTS, MAX_VALUE_BYTES, DEFAULT_LIMITS, type CodecLimits } from './codec';
