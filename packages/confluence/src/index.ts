import { RSI } from 'trading-signals';
export function f(): number { const r = new RSI(14); r.add(1); return r.getResult() ?? 0; }
