// Types only: the browser never loads the contracts package, it only checks its shapes against it.
export type {
  Alert,
  AlertsData,
  ApiEnvelope,
  ApiError,
  CalibrationCell,
  CalibrationData,
  ComponentDetail,
  ComponentName,
  Direction,
  HistoryData,
  HistoryPoint,
  Mover,
  OverviewData,
  ShardStatus,
  SnapshotData,
  Status,
  StreamSnapshot,
  SubSignalDetail,
  SymbolDetail,
  SymbolRow,
  SymbolsData,
  TimelineData,
} from '@confluence/contracts';

import type { ComponentName } from '@confluence/contracts';

/** Same order as the contracts' COMPONENT_NAMES (a runtime value the browser cannot import). */
export const COMPONENTS: readonly ComponentName[] = ['technical', 'volume', 'orderflow', 'orderbook', 'structure', 'sentiment'];

export const COMPONENT_LABELS: Readonly<Record<ComponentName, { short: string; long: string }>> = {
  technical: { short: 'Tech', long: 'Technical' },
  volume: { short: 'Vol', long: 'Volume' },
  orderflow: { short: 'Flow', long: 'Order flow' },
  orderbook: { short: 'Book', long: 'Order book' },
  structure: { short: 'Struc', long: 'Price structure' },
  sentiment: { short: 'Sent', long: 'Sentiment' },
};

/** The engine's default direction thresholds: Bullish ≥ 60, Bearish ≤ 40. */
export const BULLISH_AT = 60;
export const BEARISH_AT = 40;
