import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  type Memcached,
  type Proc,
  ROOT,
  type Service,
  dumpOnFailure,
  startAnalyzer,
  startMemcached,
  startProcess,
  stopAll,
  tempDir,
  waitFor,
} from '@confluence/testkit';
import { type WebhookReceiver, startWebhookReceiver } from '../support/webhook';

/**
 * A webhook that answers its headers at once and then trickles its body forever, against a real analyzer process
 * replaying a synthetic recording (so alerts fire within seconds): each delivery attempt ends at its total deadline
 * and is retried, and SIGTERM stops the analyzer with exit 0 within its grace period, SQLite closed cleanly and the
 * alert still pending for the next start.
 */
describe('alert webhook that trickles its answer', () => {
  let mc: Memcached;
  let hook: WebhookReceiver;
  let analyzer: Service | undefined;
  let gen: Proc | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('confluence-webhook-deadline-');
    mc = await startMemcached();
    hook = await startWebhookReceiver({ trickle: true });
  });

  afterAll(async () => {
    await stopAll(analyzer, gen && { proc: gen });
    await hook?.close();
    await mc?.stop();
  });

  test('when the receiver trickles, then the attempt is cut at the deadline and retried, and SIGTERM exits 0 in time with the store closed and the alert pending', async () => {
    const file = path.join(dir, 'sim.jsonl');
    gen = startProcess(
      'make-recording',
      [path.join(ROOT, 'services/simulator/dist/make-recording.js'), '--out', file, '--hours', '2', '--symbols', '4', '--seed', '11', '--quiet'],
      {},
    );
    const code = await gen.waitForExit(120_000);
    if (code !== 0) throw new Error(`make-recording exited ${code}: ${gen.output().slice(-2000)}`);
    // Rules every wobble around 50 crosses, with no gate, so the replay fires alerts at once.
    const rulesFile = path.join(dir, 'rules.json');
    fs.writeFileSync(
      rulesFile,
      JSON.stringify({
        rules: [
          { name: 'above-50', enterAbove: 50.5, exitBelow: 50 },
          { name: 'below-50', enterBelow: 49.5, exitAbove: 50 },
        ],
        minConfidence: 0,
        minAgreeing: 0,
        cooldownMs: 0,
        maxDataAgeMs: 3_600_000,
      }),
    );
    const dataDir = path.join(dir, 'data');
    analyzer = await startAnalyzer({
      MARKET_SOURCE: 'replay',
      REPLAY_FILE: file,
      REPLAY_SPEED: 'max',
      DATA_DIR: dataDir,
      MEMCACHED_SERVERS: mc.address,
      KEY_PREFIX: 'webhook-deadline:',
      PUBLISH_INTERVAL_MS: '500',
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_RULES_FILE: rulesFile,
    });
    try {
      // The first attempt is held by the trickle; only a total deadline ends it and lets the retry come.
      const [first, second] = await waitFor(
        () => {
          const reqs = hook.requests();
          const id = reqs[0]?.headers['idempotency-key'];
          const same = reqs.filter((r) => r.headers['idempotency-key'] === id);
          return same.length >= 2 ? same : null;
        },
        { timeoutMs: 45_000, intervalMs: 100, what: 'a retry of the first alert after its trickled attempt' },
      );
      const id = String(first.headers['idempotency-key']);
      expect((first.body as { attempts: number }).attempts).toBe(1);
      expect((second.body as { attempts: number }).attempts).toBe(2);
      expect(analyzer.proc.output()).toMatch(/no complete answer within 5000 ms/);

      // SIGTERM while the second attempt trickles: exit 0 within the 5 s grace period.
      const exit = analyzer.proc.waitForExit(5_000);
      analyzer.proc.child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(analyzer.proc.output()).toMatch(/analyzer stopped/);
      expect(analyzer.proc.output()).not.toMatch(/shutdown took too long/);
      // A cleanly closed SQLite database checkpoints and removes its write-ahead log.
      const db = path.join(dataDir, 'signals.sqlite');
      expect(fs.existsSync(db)).toBe(true);
      expect(fs.existsSync(`${db}-wal`)).toBe(false);
      // Nothing lost: the alert is still pending, to be delivered at the next start.
      const store = new Database(db, { readonly: true });
      try {
        const row = store.prepare('SELECT delivery, attempts FROM alerts WHERE id = ?').get(id) as { delivery: string; attempts: number } | undefined;
        expect(row).toMatchObject({ delivery: 'pending' });
        expect(row!.attempts).toBeGreaterThanOrEqual(1);
      } finally {
        store.close();
      }
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\nwebhook: ${JSON.stringify(hook.requests().map((r) => ({ key: r.headers['idempotency-key'], at: r.at })))}\n${dumpOnFailure(analyzer)}`,
      );
    }
  }, 180_000);
});
