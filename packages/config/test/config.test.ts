import { ConfigError, loadAnalyzerConfig, loadWebConfig, parseShard } from '@confluence/config';

describe('config', () => {
  test('when nothing is set, then the documented defaults apply', () => {
    const web = loadWebConfig({});
    expect(web).toMatchObject({ port: 8001, host: '127.0.0.1', keyPrefix: 'confluence:v1:', memcached: { servers: ['127.0.0.1:11211'] }, publishIntervalMs: 1000 });
    const analyzer = loadAnalyzerConfig({});
    expect(analyzer).toMatchObject({ port: 8003, host: '127.0.0.1', marketSource: 'live', topSymbols: 15, symbols: undefined, shard: undefined, replaySpeed: 1, heapGrowingPercent: 50 });
    expect(analyzer.bybitWsUrl).toBe('wss://stream.bybit.com/v5/public/linear');
  });

  test('when values are bad, then every problem is listed in one readable error', () => {
    let error: unknown;
    try {
      loadAnalyzerConfig({ ANALYZER_PORT: '99999', MEMCACHED_SERVERS: 'nohostport', MARKET_SOURCE: 'bogus', BYBIT_WS_URL: 'http://x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/ANALYZER_PORT must be 0-65535/);
    expect(message).toMatch(/MEMCACHED_SERVERS must be a comma-separated list of host:port/);
    expect(message).toMatch(/MARKET_SOURCE must be one of live, sim, replay/);
    expect(message).toMatch(/BYBIT_WS_URL must be a ws: or wss: URL/);
  });

  test('when the heap growth is set, then 0 (V8 default) to 300 is accepted and anything else is named in the error', () => {
    expect(loadAnalyzerConfig({ ANALYZER_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadAnalyzerConfig({ ANALYZER_HEAP_GROWING_PERCENT: '120' }).heapGrowingPercent).toBe(120);
    expect(() => loadAnalyzerConfig({ ANALYZER_HEAP_GROWING_PERCENT: '301' })).toThrow(/ANALYZER_HEAP_GROWING_PERCENT/);
    expect(() => loadAnalyzerConfig({ ANALYZER_HEAP_GROWING_PERCENT: 'lots' })).toThrow(/ANALYZER_HEAP_GROWING_PERCENT/);
  });

  test('when the live-run settings are set, then they parse, default sensibly and reject bad values by name', () => {
    const d = loadAnalyzerConfig({});
    expect(d).toMatchObject({ includeTradFi: false, universeGraceMs: 1_800_000, restBudget: { ratePerSec: 20, maxInFlight: 4 }, wsConnectsPer5Min: 300, clockSyncMs: 600_000 });
    const c = loadAnalyzerConfig({ UNIVERSE_INCLUDE_TRADFI: '1', UNIVERSE_GRACE_MS: '0', BYBIT_REST_RATE_PER_SEC: '10', BYBIT_REST_MAX_IN_FLIGHT: '2', BYBIT_WS_CONNECTS_PER_5MIN: '100', BYBIT_CLOCK_SYNC_MS: '60000' });
    expect(c).toMatchObject({ includeTradFi: true, universeGraceMs: 0, restBudget: { ratePerSec: 10, maxInFlight: 2 }, wsConnectsPer5Min: 100, clockSyncMs: 60_000 });
    expect(() => loadAnalyzerConfig({ UNIVERSE_INCLUDE_TRADFI: 'yes' })).toThrow(/UNIVERSE_INCLUDE_TRADFI must be 0, 1, true or false/);
    expect(() => loadAnalyzerConfig({ BYBIT_REST_RATE_PER_SEC: '500' })).toThrow(/BYBIT_REST_RATE_PER_SEC must be ≤ 120/);
    expect(() => loadAnalyzerConfig({ BYBIT_WS_CONNECTS_PER_5MIN: '501' })).toThrow(/BYBIT_WS_CONNECTS_PER_5MIN must be ≤ 500/);
  });

  test('when SYMBOLS lists invalid names, then they are named in the error', () => {
    expect(() => loadAnalyzerConfig({ SYMBOLS: 'BTCUSDT,eth usdt,<x>' })).toThrow(/invalid symbol\(s\) ETH USDT, <X>/);
    expect(loadAnalyzerConfig({ SYMBOLS: 'btcusdt, ETHUSDT,BTCUSDT' }).symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  test('when only one SASL credential is set, then it is a config error', () => {
    expect(() => loadWebConfig({ MEMCACHED_USERNAME: 'u' })).toThrow(/must be set together/);
  });

  test('when replay is chosen without a file, then it is a config error; REPLAY_SPEED=max means unbounded', () => {
    expect(() => loadAnalyzerConfig({ MARKET_SOURCE: 'replay' })).toThrow(/needs REPLAY_FILE/);
    expect(loadAnalyzerConfig({ MARKET_SOURCE: 'replay', REPLAY_FILE: 'x.jsonl', REPLAY_SPEED: 'max' }).replaySpeed).toBe(Infinity);
    expect(() => loadAnalyzerConfig({ REPLAY_SPEED: 'fast' })).toThrow(/REPLAY_SPEED/);
  });

  test('SHARD parses i/N and rejects nonsense', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(parseShard(undefined)).toBeUndefined();
    expect(() => parseShard('3/3')).toThrow(/0 ≤ i < N/);
    expect(() => parseShard('a/b')).toThrow(/SHARD must look like i\/N/);
  });

  test('when the auth token is short or the webhook URL is not http, then it is refused', () => {
    expect(() => loadWebConfig({ WEB_AUTH_TOKEN: 'short' })).toThrow(/at least 16 characters/);
    expect(() => loadAnalyzerConfig({ ALERT_WEBHOOK_URL: 'ftp://x' })).toThrow(/ALERT_WEBHOOK_URL must be a http: or https: URL/);
    expect(loadAnalyzerConfig({ ALERT_WEBHOOK_URL: '' }).alertWebhookUrl).toBeUndefined();
    expect(loadAnalyzerConfig({ ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/hook' }).alertWebhookUrl).toBe('http://127.0.0.1:9/hook');
  });
});
