import { RestError, type BybitRestClient } from './bybit/rest-client';
import type { RateLimitedLog } from './intake-base';
import type { ClockHealth } from './types';
import { errorMessage } from '@confluence/logger';

export const CLOCK_SYNC_MS = 10 * 60_000;

/**
 * Bybit's clock as measured against /v5/market/time. Live, event ages are judged against it (the exchange stamps
 * every event): a host clock off by a few seconds would otherwise make fresh data look stale (or from the future).
 */
export class ExchangeClock {
  private readonly measured: ClockHealth = { offsetMs: null, rttMs: null, measuredAt: null, samples: 0, lastError: null };

  constructor(private readonly rlog: RateLimitedLog) {}

  now(): number {
    return Date.now() + Math.round(this.measured.offsetMs ?? 0);
  }

  get samples(): number {
    return this.measured.samples;
  }

  health(): ClockHealth {
    return { ...this.measured };
  }

  async sync(rest: BybitRestClient): Promise<void> {
    const clock = this.measured;
    try {
      const m = await rest.serverTime();
      clock.offsetMs = Math.round(m.offsetMs);
      clock.rttMs = Math.round(m.rttMs);
      clock.measuredAt = Date.now();
      clock.samples++;
      clock.lastError = null;
      if (Math.abs(m.offsetMs) > 1_000)
        this.rlog('warn', 'clock-offset', 'host clock differs from Bybit; exchange time is used for event ages', {
          offsetMs: clock.offsetMs,
          rttMs: clock.rttMs,
        });
    } catch (err) {
      if (!(err instanceof RestError && err.code === 'closed')) clock.lastError = errorMessage(err);
    }
  }
}
