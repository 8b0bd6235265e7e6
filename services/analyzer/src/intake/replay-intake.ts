import { REST_PATH } from '@confluence/bybit-wire';
import { BybitRestClient, RestError } from './bybit/rest-client';
import { BaseIntake, type LinkHealth } from './intake-base';
import { createReplayTransport, feedRecording, scanRecording, type RecordingIndex } from './replay';
import { IntakeError, type ClockHealth, type IntakeHealth, type IntakeOptions, type MarketClock } from './types';
import { inShard } from './universe';
import { Warmup } from './warmup';
import { errorMessage } from '@confluence/logger';

type ReplayInfo = NonNullable<IntakeHealth['replay']>;

/**
 * Replay intake: a recording fed through the same normaliser and store, its REST answers served from the recording,
 * and the market clock the recording's. Candle gaps are not repaired: a replay reproduces what was received (a
 * recorded repair's answer could not be matched to the replayed moment).
 */
export class ReplayIntake extends BaseIntake {
  override readonly marketClock: MarketClock = 'recording';
  /** Newest recorded time fed so far; before the first frame, the recording's start. */
  private clockTs: number | undefined;
  private startedAt: number | undefined;
  private info: ReplayInfo | null = null;
  private feeding: Promise<void> | undefined;

  constructor(
    options: IntakeOptions,
    private readonly replay: { file: string; speed: number },
  ) {
    super(options);
  }

  override now(): number {
    return this.clockTs ?? this.startedAt ?? Date.now();
  }

  protected override localClock(): number {
    return this.now();
  }

  protected override async begin(): Promise<void> {
    const { file, speed } = this.replay;
    const info: ReplayInfo = { file, speed: Number.isFinite(speed) ? speed : 'max', finished: false, messages: 0, error: null };
    this.info = info;
    const index = await scanRecording(file);
    this.startedAt = index.meta?.startedAt ?? index.firstTs ?? Date.now();
    const rest = new BybitRestClient({
      transport: createReplayTransport(index),
      logger: this.logger.child({ component: 'bybit-rest' }),
      limiter: null,
      timing: { maxAttempts: 1 },
    });
    this.rest = rest;
    const warmup = new Warmup({ rest, store: this.store, logger: this.logger.child({ component: 'warmup' }), poll: false, retry: false });
    this.warmup = warmup;
    const symbols = (this.options.symbols?.length ? this.options.symbols : index.symbols).filter((s) => inShard(s, this.options.shard));
    await this.loadFundingIntervals(index, rest);
    this.universe.apply(symbols, undefined, warmup);
    await warmup.idle();
    this.logger.info('replay starting', { file, symbols: symbols.length, frames: index.wsLines, speed: info.speed });
    this.feeding = this.startFeeding(info);
    void this.feeding.then(() => this.markFinished());
  }

  /** Funding intervals from the recorded instruments answer, when the recording has one (tickers may carry them too). */
  private async loadFundingIntervals(index: RecordingIndex, rest: BybitRestClient): Promise<void> {
    if (![...index.rest.keys()].some((k) => k.startsWith(REST_PATH.instrumentsInfo))) return;
    try {
      this.universe.fundingIntervals = new Map(
        (await rest.instruments()).flatMap((i) => (i.fundingInterval !== undefined && i.fundingInterval > 0 ? [[i.symbol, i.fundingInterval] as const] : [])),
      );
    } catch {
      this.universe.fundingIntervals = new Map();
    }
  }

  private startFeeding(info: ReplayInfo): Promise<void> {
    return feedRecording({
      file: this.replay.file,
      speed: this.replay.speed,
      signal: this.abort.signal,
      onTime: (ts) => {
        if (this.clockTs === undefined || ts > this.clockTs) this.clockTs = ts;
      },
      onMinute: (minuteTs) => this.minutes.fire(minuteTs),
      onFrame: (raw, recvTs) => {
        this.feed.feed(raw, recvTs);
        info.messages++;
      },
    }).then(
      () => {
        info.finished = true;
        this.logger.info('replay finished', { messages: info.messages });
      },
      (err: unknown) => {
        info.finished = true;
        info.error = errorMessage(err);
        this.logger.error('replay failed', { error: info.error });
      },
    );
  }

  protected override async end(): Promise<void> {
    this.warmup?.stop();
    this.rest?.close();
    await this.feeding;
  }

  protected override startFailure(err: unknown): unknown {
    if (err instanceof RestError || err instanceof IntakeError) return err;
    return new IntakeError('replay_failed', `replay failed to start: ${errorMessage(err)}`);
  }

  protected override link(): LinkHealth {
    const state = this.info?.finished ? 'closed' : this.phase === 'running' ? 'connected' : 'connecting';
    return { state, connections: [], reconnects: 0, subscribeRejected: 0, connectAttempts: 0, connectDeferred: 0 };
  }

  protected override clockHealth(): ClockHealth {
    return { offsetMs: null, rttMs: null, measuredAt: null, samples: 0, lastError: null };
  }

  protected override replayHealth(): IntakeHealth['replay'] {
    return this.info ? { ...this.info } : null;
  }
}
