import autocannon from 'autocannon';
import { SampleBuffer, type Summary } from './stats';

export interface LoadResult {
  url: string;
  /** Measured seconds (sum over phases). */
  durationS: number;
  phases: number;
  connections: number;
  requests: number;
  /** Requests per second over the measured time. */
  rps: number;
  /** Per-request latency from autocannon's own hrtime per response (sub-ms precision), ms. */
  latency: Summary;
  /** autocannon's histogram figures of the last phase (integer ms resolution), for reference. */
  autocannonLatency: { p50: number; p99: number; mean: number; max: number };
  bytesPerRequest: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface Phase {
  requests: number;
  durationS: number;
  bytes: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  autocannonLatency: LoadResult['autocannonLatency'];
}

/** Accumulates several autocannon phases against one URL into one result. */
export class LoadAccumulator {
  private readonly samples = new SampleBuffer();
  private readonly phases: Phase[] = [];

  constructor(
    readonly url: string,
    readonly connections: number,
  ) {}

  /** One autocannon run in this process (programmatic API), GET on the URL, `connections` connections. */
  run(durationS: number, record = true): Promise<void> {
    return new Promise((resolve, reject) => {
      const instance = autocannon({ url: this.url, connections: this.connections, duration: durationS, pipelining: 1 }, (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        if (record) {
          this.phases.push({
            requests: result.requests.total,
            durationS: result.duration,
            bytes: result.throughput.total,
            errors: result.errors,
            timeouts: result.timeouts,
            non2xx: result.non2xx,
            autocannonLatency: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
          });
        }
        resolve();
      });
      if (record) instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => this.samples.push(responseTime));
    });
  }

  result(): LoadResult {
    const sum = (f: (p: Phase) => number) => this.phases.reduce((n, p) => n + f(p), 0);
    const requests = sum((p) => p.requests);
    const durationS = sum((p) => p.durationS);
    return {
      url: this.url,
      durationS,
      phases: this.phases.length,
      connections: this.connections,
      requests,
      rps: durationS ? requests / durationS : 0,
      latency: this.samples.summary(),
      autocannonLatency: this.phases[this.phases.length - 1]?.autocannonLatency ?? { p50: NaN, p99: NaN, mean: NaN, max: NaN },
      bytesPerRequest: requests ? sum((p) => p.bytes) / requests : 0,
      errors: sum((p) => p.errors),
      timeouts: sum((p) => p.timeouts),
      non2xx: sum((p) => p.non2xx),
    };
  }
}
