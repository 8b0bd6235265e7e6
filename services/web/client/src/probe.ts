import type { SymbolRow, Status } from '@confluence/contracts';
import type { IChartApi } from 'lightweight-charts';
export const x = (r: SymbolRow, s: Status, c: IChartApi | null): string => r.symbol + s.state + String(c);
