// Public surface of the simulator for tests, benchmarks and the demo launcher.
export { createSimulator } from './simulator';
export type { SimAddress, SimOptions, SimState, Simulator, SymbolState } from './simulator';
export type { RestFaultControl, SimControls } from './controls';
export type { FaultKind, FaultSummary } from './faults';
export { ControlError } from './controls';
export { parseSimEnv, SimConfigError } from './config';
export type { Regime, RegimeSetting } from './regimes';
export { KLINE_INTERVALS, type KlineInterval } from '@confluence/bybit-wire';
export { MAX_ARGS_CHARS, WS_PATH } from './ws-server';
export type { TickerWire, TradeWire } from './encoder';
export type { SimLiquidation, SimTicker, SimTrade } from './symbol-market';
