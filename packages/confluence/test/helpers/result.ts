import type { ComponentDetail, ComponentName, SubSignalDetail, Timeframe } from '@confluence/contracts';
import type { SymbolScore } from '@confluence/confluence';

export function component(r: SymbolScore, name: ComponentName): ComponentDetail {
  const c = r.components.find((x) => x.name === name);
  if (!c) throw new Error(`no component ${name}`);
  return c;
}

export function sub(r: SymbolScore, comp: ComponentName, name: string, tf: Timeframe | null = null): SubSignalDetail {
  const s = component(r, comp).subSignals.find((x) => x.name === name && (tf === null || x.timeframe === tf));
  if (!s) throw new Error(`no sub-signal ${comp}.${name}${tf ? `@${tf}` : ''}`);
  return s;
}
