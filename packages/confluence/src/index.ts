export { createEngine, directionOf, toComponentScores, COMPONENT_LABELS, type Engine, type SymbolScore } from './engine';
export {
  DEFAULT_ENGINE_CONFIG,
  EngineConfigError,
  SUB_SIGNALS,
  SUB_SIGNAL_LABELS,
  validateEngineConfig,
  type DirectionThresholds,
  type LabelGate,
  type EngineConfig,
  type EngineConfigInput,
  type FreshnessConfig,
  type FreshnessRamp,
  type SubSignalName,
  type SubWeights,
} from './config';
export { computeConfidence, computeFreshness, type Confidence, type ComponentOutcome } from './confidence';
export type * from './types';
export { bookFeaturesOf, depthImbalanceOf, BOOK_SMOOTHING_MS, BOOK_SMOOTHING_SAMPLES } from './components/orderbook';
export { FUNDING_REFERENCE_MINUTES, fundingPer8h, OI_ACTIVITY_LOOKBACK_MS } from './components/sentiment';
export { EMPTY_TRADES, newestTradeTs, tradeAt, tradeColumns, tradeCount, tradesSince, type TradeColumns } from './trades';
export { mulberry32 } from './math';
