// Public surface of the analyzer for benchmarks and other workspaces' tests: the parts of the pipeline they drive
// directly (intake, market state, the scoring cycle, moves, the publisher). The process itself starts from
// dist/main.js (npm run start:analyzer, the Dockerfile, scripts/bootstrap.cjs), never through this entry.
export { tuneHeap } from './heap';
export { BybitRestClient } from './intake/bybit/rest-client';
export { createNormalizer } from './intake/bybit/normalize';
export { isControlEvent, type DataEvent, type MarketEvent } from './intake/events';
export { createReplayTransport, feedRecording, restKey, scanRecording, type RecordingIndex, type ReplayFeedOptions } from './intake/replay';
export { fetchUniverse, type UniverseOptions, type UniverseSelection } from './intake/universe';
export { ACCOUNT_RATIO_BACKFILL, FUNDING_BACKFILL, KLINE_BACKFILL, OPEN_INTEREST_BACKFILL, Warmup, type WarmupOptions } from './intake/warmup';
export { MarketStore } from './state/market-store';
export { TRADE_BYTES, TRADES_MAX, TRADES_WINDOW_MS } from './state/trades';
export { scoreAll, scoreAllSync, toDetail, toRow, type Scored, type ScoreSource } from './scoring/cycle';
export { inThreadScorer, ScoringPool, type Scorer, type ScoringPoolOptions } from './scoring/pool';
export { MoveTracker } from './signals/moves';
export { MAX_TOPICS_PER_CONNECTION, WsPool, type IntakePool } from './intake/bybit/ws-pool';
export { ThreadedWsPool, type ThreadedWsPoolOptions } from './intake/bybit/threaded-pool';
export { EventBatchWriter, readEventBatch, type EventBatch } from './intake/bybit/event-batch';
export { Scoreboard, type BuiltRows } from './cycle/scoreboard';
export { Publisher, type CycleOutput, type PublisherOptions, type PublishResult } from './publisher/publisher';
