import autocannon from 'autocannon';
import { SampleBuffer, type Summary } from './stats';

export interface LoadResult {
  url: string;
  durationS: number;
  connections: number;
  requests: number;
  /** Mean requests per second over the run (autocannon's `requests.average`). */
  rps: number;
  /** Per-request latency from autocannon's own hrtime per response (sub-ms precision), ms. */
  latency: Summary;
  /** autocannon's histogram figures (integer ms resolution). */
  autocannonLatency: { p50: number; p99: number; mean: number; max: number };
  bytesPerRequest: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** Runs autocannon in this process (programmatic API) with GET on one URL. */
export function load(url: string, durationS: number, connections: number, overallRate?: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const samples = new SampleBuffer();
    const opts: autocannon.Options = { url, connections, duration: durationS, pipelining: 1 };
    if (overallRate) opts.overallRate = Math.max(1, Math.round(overallRate));
    const instance = autocannon(opts, (err, result) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      const total = result.requests.total;
      resolve({
        url,
        durationS,
        connections,
        requests: total,
        rps: result.requests.average,
        latency: samples.summary(),
        autocannonLatency: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
        bytesPerRequest: total ? result.throughput.total / total : 0,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
      });
    });
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => samples.push(responseTime));
  });
}
