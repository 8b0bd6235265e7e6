// The engine's own seeded generator, so fixtures, synthetic frames and the engine's resampling share one algorithm.
export { mulberry32 } from '@confluence/confluence';
