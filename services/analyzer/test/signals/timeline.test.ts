import { snapshotDataSchema, timelineDataSchema } from '@confluence/contracts';
import { silentLogger } from '@confluence/logger';
import { Timeline } from '../../src/signals/timeline';
import { MIN, T0, components, row, tempDir } from './helpers';

const logger = silentLogger();
const DAY = 24 * 60 * MIN;

describe('Timeline', () => {
  let tmp: ReturnType<typeof tempDir>;
  let tl: Timeline | null = null;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tl?.close();
    tl = null;
    tmp.cleanup();
  });
  const open = (extra: Partial<ConstructorParameters<typeof Timeline>[0]> = {}) => (tl = new Timeline({ dataDir: tmp.dir, logger, ...extra }));

  it('when minutes are recorded, then each snapshot returns the rows exactly as they were', () => {
    const t = open();
    const first = [row('BTCUSDT', { score: 71, components: components(60, { orderflow: 82 }) }), row('ETHUSDT', { score: 38, dataOk: false })];
    const second = [row('BTCUSDT', { score: 64 }), row('ETHUSDT', { score: 41 })];
    t.record(T0, first);
    t.record(T0 + MIN, second);
    expect(t.index()).toEqual({ minutes: [T0, T0 + MIN] });
    expect(timelineDataSchema.safeParse(t.index()).success).toBe(true);
    const snap = t.get(T0)!;
    expect(snap).toEqual({ minute: T0, rows: first });
    expect(snapshotDataSchema.safeParse(snap).success).toBe(true);
    expect(t.get(T0 + MIN)!.rows[0].score).toBe(64);
    expect(t.get(T0 + 2 * MIN)).toBeUndefined();
  });

  it('when more than 24 h are recorded, then the index and the store keep only the last 24 h of market time', () => {
    const t = open({ flushIntervalMs: 0 });
    for (let m = 0; m <= 24 * 60 + 30; m += 10) t.record(T0 + m * MIN, [row('BTCUSDT', { score: 50 + (m % 40) })]);
    const { minutes } = t.index();
    const newest = minutes[minutes.length - 1];
    expect(newest).toBe(T0 + (24 * 60 + 30) * MIN);
    expect(minutes[0]).toBeGreaterThanOrEqual(newest - DAY);
    // Exactly 24 h before the newest minute is still inside.
    expect(minutes[0]).toBe(T0 + 30 * MIN);
    expect(t.get(T0 + 20 * MIN)).toBeUndefined();
    expect(t.get(T0 + 30 * MIN)).toBeDefined();
    t.close();
    expect(open().index().minutes[0]).toBe(T0 + 30 * MIN);
  });

  it('when the timeline is reopened, then the index and the minutes are still there and queued for publishing again', () => {
    const t = open();
    t.record(T0, [row('BTCUSDT', { score: 71 })]);
    t.record(T0 + MIN, [row('BTCUSDT', { score: 72 })]);
    expect(t.takePending(10)).toEqual([T0 + MIN, T0]);
    expect(t.publishedIndex().minutes).toEqual([T0, T0 + MIN]);
    t.close();
    const again = open();
    expect(again.index().minutes).toEqual([T0, T0 + MIN]);
    expect(again.get(T0 + MIN)!.rows[0].score).toBe(72);
    expect(again.publishedIndex().minutes).toEqual([]);
    expect(again.takePending(1)).toEqual([T0 + MIN]);
    expect(again.publishedIndex().minutes).toEqual([T0 + MIN]);
  });

  it('when a minute is recorded again or out of order, then the index stays sorted without duplicates', () => {
    const t = open();
    t.record(T0 + 2 * MIN, [row('BTCUSDT', { score: 60 })]);
    t.record(T0, [row('BTCUSDT', { score: 61 })]);
    t.record(T0 + 2 * MIN, [row('BTCUSDT', { score: 62 })]);
    t.record(T0 + MIN, [row('BTCUSDT', { score: 63 })]);
    expect(t.index().minutes).toEqual([T0, T0 + MIN, T0 + 2 * MIN]);
    expect(t.get(T0 + 2 * MIN)!.rows[0].score).toBe(62);
  });

  it('when a publish fails, then the minutes handed out are queued again', () => {
    const t = open();
    t.record(T0, [row('BTCUSDT')]);
    const taken = t.takePending(5);
    expect(t.pendingCount).toBe(0);
    t.requeue(taken);
    expect(t.takePending(5)).toEqual([T0]);
  });
});
