import { silentLogger } from '@confluence/logger';
import { CalibrationStore } from '../../src/signals/calibration';
import { MIN, T0, components, row, tempDir } from './helpers';
it('prof', () => {
  const tmp = tempDir();
  const s = new CalibrationStore({ dataDir: tmp.dir, logger: silentLogger() });
  const db = (s as any).db; if (process.env.SYNC) db.pragma('synchronous = ' + process.env.SYNC); if (process.env.CK) db.pragma('wal_autocheckpoint = ' + process.env.CK);
  const symbols = Array.from({ length: 15 }, (_, i) => `P${i}USDT`);
  const rowsets = [];
  for (let m = 0; m < 1440; m++) { const t = T0 + m * MIN; rowsets.push(symbols.map((sym, i) => row(sym, { score: 20 + ((m * 7 + i * 13) % 60), price: 100 + Math.sin(m / 30 + i) * 5, updatedAt: t, components: components(40 + ((m + i) % 30)) }))); }
  const st = (s as any).stmt;
  const origIns = st.insert.run.bind(st.insert); let tIns = 0; st.insert = { run: (...a: any[]) => { const t = performance.now(); const r = origIns(...a); tIns += performance.now() - t; return r; } };
  const tRes = [0,0,0];
  st.resolve = st.resolve.map((q: any, i: number) => ({ all: (p: any) => { const t = performance.now(); const r = q.all(p); tRes[i] += performance.now() - t; return r; } }));
  let t0 = performance.now();
  for (let m = 0; m < 1440; m++) s.sample(T0 + m * MIN, rowsets[m]);
  console.log('per minute', (performance.now() - t0) / 1440, 'ins', tIns / 1440, 'res', tRes.map(x => x / 1440));
  s.close(); tmp.cleanup();
});
