import { createEngine } from '@confluence/confluence';
import { syntheticMarket, mirrorSnapshot, NOW } from './helpers/market';
test('smoke', () => {
  const e = createEngine();
  for (const r of ['up', 'down', 'range'] as const) {
    const s = e.score(syntheticMarket(r), NOW);
    console.log(r, s.score, s.direction, JSON.stringify(s.confidence), s.rationale);
    for (const c of s.components) console.log('  ', c.name, c.score, c.reason, c.subSignals.filter(x=>x.timeframe===null||x.timeframe==='5m').map(x => `${x.name}:${x.score}`).join(' '));
  }
  const m = createEngine().score(mirrorSnapshot(syntheticMarket('up')), NOW);
  console.log('mirror', m.score, m.components.map(c=>c.score));
});
