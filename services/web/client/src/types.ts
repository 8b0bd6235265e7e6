// The contract's types, and the run-time names the client shares with the server (zod-free: `/rules`).
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
import { COMPONENT_NAMES } from '@confluence/contracts/rules';

export { BEARISH_AT, BULLISH_AT, subSignalLabel, subSignalNote } from '@confluence/contracts/rules';

/** The six components in the contract's order. */
export const COMPONENTS: readonly ComponentName[] = COMPONENT_NAMES;

export const COMPONENT_LABELS: Readonly<Record<ComponentName, { short: string; long: string }>> = {
  technical: { short: 'Tech', long: 'Technical' },
  volume: { short: 'Vol', long: 'Volume' },
  orderflow: { short: 'Flow', long: 'Order flow' },
  orderbook: { short: 'Book', long: 'Order book' },
  structure: { short: 'Struc', long: 'Price structure' },
  sentiment: { short: 'Sent', long: 'Sentiment' },
};
