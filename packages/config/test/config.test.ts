import os from 'node:os';
import { LIMITS } from '@confluence/contracts';
import { autoIntakeThread, autoScoringWorkers, ConfigError, loadAnalyzerConfig, loadWebConfig, parseShard } from '@confluence/config';

describe('config', () => {
  test('when nothing is set, then the documented defaults apply', () => {
    const web = loadWebConfig({});
    expect(web).toMatchObject({
      port: 8001,
      host: '127.0.0.1',
      keyPrefix: 'confluence:v1:',
      memcached: { servers: ['127.0.0.1:11211'] },
      publishIntervalMs: 1000,
    });
    const analyzer = loadAnalyzerConfig({});
    expect(analyzer).toMatchObject({
      port: 8003,
      host: '127.0.0.1',
      marketSource: 'live',
      topSymbols: 15,
      symbols: undefined,
      shard: undefined,
      replaySpeed: 1,
      heapGrowingPercent: 50,
    });
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
    expect(d).toMatchObject({
      includeTradFi: false,
      universeGraceMs: 1_800_000,
      restBudget: { ratePerSec: 20, maxInFlight: 4 },
      wsConnectsPer5Min: 300,
      clockSyncMs: 600_000,
    });
    const c = loadAnalyzerConfig({
      UNIVERSE_INCLUDE_TRADFI: '1',
      UNIVERSE_GRACE_MS: '0',
      BYBIT_REST_RATE_PER_SEC: '10',
      BYBIT_REST_MAX_IN_FLIGHT: '2',
      BYBIT_WS_CONNECTS_PER_5MIN: '100',
      BYBIT_CLOCK_SYNC_MS: '60000',
    });
    expect(c).toMatchObject({
      includeTradFi: true,
      universeGraceMs: 0,
      restBudget: { ratePerSec: 10, maxInFlight: 2 },
      wsConnectsPer5Min: 100,
      clockSyncMs: 60_000,
    });
    expect(() => loadAnalyzerConfig({ UNIVERSE_INCLUDE_TRADFI: 'yes' })).toThrow(/UNIVERSE_INCLUDE_TRADFI must be 0, 1, true or false/);
    expect(() => loadAnalyzerConfig({ BYBIT_REST_RATE_PER_SEC: '500' })).toThrow(/BYBIT_REST_RATE_PER_SEC must be 1-120/);
    expect(() => loadAnalyzerConfig({ BYBIT_WS_CONNECTS_PER_5MIN: '501' })).toThrow(/BYBIT_WS_CONNECTS_PER_5MIN must be 1-500/);
  });

  test('when SYMBOLS lists invalid names, then they are named in the error', () => {
    expect(() => loadAnalyzerConfig({ SYMBOLS: 'BTCUSDT,eth usdt,<x>' })).toThrow(/invalid symbol\(s\) ETH USDT, <X>/);
    expect(loadAnalyzerConfig({ SYMBOLS: 'btcusdt, ETHUSDT,BTCUSDT' }).symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
    // More symbols than one table may hold would publish tables every reader rejects.
    const many = Array.from({ length: 2001 }, (_, i) => `S${i}USDT`).join(',');
    expect(() => loadAnalyzerConfig({ SYMBOLS: many })).toThrow(/SYMBOLS lists 2001 symbols; at most 2000/);
  });

  test('when only one SASL credential is set, then it is a config error', () => {
    expect(() => loadWebConfig({ MEMCACHED_USERNAME: 'u' })).toThrow(/must be set together/);
  });

  test('when replay is chosen without a file, then it is a config error; REPLAY_SPEED=max means unbounded', () => {
    expect(() => loadAnalyzerConfig({ MARKET_SOURCE: 'replay' })).toThrow(/needs REPLAY_FILE/);
    expect(loadAnalyzerConfig({ MARKET_SOURCE: 'replay', REPLAY_FILE: __filename, REPLAY_SPEED: 'max' }).replaySpeed).toBe(Infinity);
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

  test('when a port is not plain decimal digits, then it is refused with the value named (both services)', () => {
    for (const bad of [' ', '0x50', '1e3', '80.0', '+80', '-1', '８０', '80 ', '99999']) {
      expect(() => loadWebConfig({ WEB_PORT: bad })).toThrow(/WEB_PORT must be/);
      expect(() => loadAnalyzerConfig({ ANALYZER_PORT: bad })).toThrow(/ANALYZER_PORT must be/);
    }
    expect(() => loadWebConfig({ WEB_PORT: '0x50' })).toThrow(/decimal digits, got "0x50"/);
    expect(loadWebConfig({ WEB_PORT: '80' }).port).toBe(80);
    expect(loadWebConfig({ WEB_PORT: '' }).port).toBe(8001);
    expect(loadAnalyzerConfig({ ANALYZER_PORT: '0' }).port).toBe(0);
    // The same rule for every whole-number setting.
    expect(() => loadWebConfig({ WEB_POLL_MS: '1e3' })).toThrow(/WEB_POLL_MS/);
    expect(() => loadAnalyzerConfig({ TOP_SYMBOLS: '0x10' })).toThrow(/TOP_SYMBOLS/);
  });

  test('when ANALYZER_SCORING_WORKERS is auto or unset, then the main thread scores on 2 cores or fewer and one worker per further core (at most 4) otherwise; a count is taken as is; anything else is refused', () => {
    expect([1, 2, 3, 4, 8, 64].map((c) => autoScoringWorkers(c))).toEqual([0, 0, 2, 3, 4, 4]);
    // With intake in a thread of its own, one core fewer is left for scoring workers.
    expect([1, 2, 3, 4, 5, 8].map((c) => autoScoringWorkers(c, true))).toEqual([0, 0, 1, 2, 3, 4]);
    const auto = autoScoringWorkers(os.availableParallelism(), autoIntakeThread(os.availableParallelism()));
    expect(loadAnalyzerConfig({}).scoringWorkers).toBe(auto);
    expect(loadAnalyzerConfig({ ANALYZER_SCORING_WORKERS: 'auto' }).scoringWorkers).toBe(auto);
    expect(loadAnalyzerConfig({ ANALYZER_INTAKE_THREAD: '0' }).scoringWorkers).toBe(autoScoringWorkers(os.availableParallelism(), false));
    expect(loadAnalyzerConfig({ ANALYZER_SCORING_WORKERS: '0' }).scoringWorkers).toBe(0);
    expect(loadAnalyzerConfig({ ANALYZER_SCORING_WORKERS: '3' }).scoringWorkers).toBe(3);
    expect(() => loadAnalyzerConfig({ ANALYZER_SCORING_WORKERS: '9' })).toThrow(/ANALYZER_SCORING_WORKERS must be 0-8 \(or "auto"\)/);
    expect(() => loadAnalyzerConfig({ ANALYZER_SCORING_WORKERS: 'many' })).toThrow(/ANALYZER_SCORING_WORKERS/);
  });

  test('when ANALYZER_INTAKE_THREAD is auto or unset, then the intake runs in its own thread wherever there is a second core; 0/1 force it; anything else is refused', () => {
    expect([1, 2, 4].map(autoIntakeThread)).toEqual([false, true, true]);
    const auto = autoIntakeThread(os.availableParallelism());
    expect(loadAnalyzerConfig({}).intakeThread).toBe(auto);
    expect(loadAnalyzerConfig({ ANALYZER_INTAKE_THREAD: 'auto' }).intakeThread).toBe(auto);
    expect(loadAnalyzerConfig({ ANALYZER_INTAKE_THREAD: '0' }).intakeThread).toBe(false);
    expect(loadAnalyzerConfig({ ANALYZER_INTAKE_THREAD: 'true' }).intakeThread).toBe(true);
    expect(() => loadAnalyzerConfig({ ANALYZER_INTAKE_THREAD: 'yes' })).toThrow(/ANALYZER_INTAKE_THREAD must be 0, 1, true, false or auto/);
  });

  test('when TOP_SYMBOLS is "all", then the universe takes every eligible instrument a table can hold; anything else is refused clearly', () => {
    for (const v of ['all', 'ALL', ' all ']) expect(loadAnalyzerConfig({ TOP_SYMBOLS: v }).topSymbols).toBe(LIMITS.rows);
    expect(loadAnalyzerConfig({ TOP_SYMBOLS: '40' }).topSymbols).toBe(40);
    expect(loadAnalyzerConfig({}).topSymbols).toBe(15);
    expect(() => loadAnalyzerConfig({ TOP_SYMBOLS: 'alll' })).toThrow(/TOP_SYMBOLS must be a whole number.*\(or "all"\)/);
    expect(() => loadAnalyzerConfig({ TOP_SYMBOLS: '1001' })).toThrow(/TOP_SYMBOLS must be 1-1000 \(or "all"\)/);
  });

  test('when a bind host is not an address or a host name, then it is refused (both services)', () => {
    for (const bad of [' ', 'exa mple', 'http://x', '127.0.0.1:80', '-x', 'a..b']) {
      expect(() => loadWebConfig({ WEB_HOST: bad })).toThrow(/WEB_HOST must be an IP address or a host name/);
      expect(() => loadAnalyzerConfig({ ANALYZER_HOST: bad })).toThrow(/ANALYZER_HOST must be an IP address or a host name/);
    }
    for (const good of ['0.0.0.0', '::', '::1', 'localhost', 'web.internal']) expect(loadWebConfig({ WEB_HOST: good }).host).toBe(good);
  });

  test('when the replay file is missing or a directory, then it is a config error naming it', () => {
    expect(() => loadAnalyzerConfig({ MARKET_SOURCE: 'replay', REPLAY_FILE: '/nonexistent/recording.jsonl' })).toThrow(
      /REPLAY_FILE "\/nonexistent\/recording.jsonl" does not exist/,
    );
    expect(() => loadAnalyzerConfig({ MARKET_SOURCE: 'replay', REPLAY_FILE: __dirname })).toThrow(/is not a file/);
  });

  test('when WEB_AUTH_TOKEN is only whitespace or holds spaces, then it is refused instead of turning auth off', () => {
    expect(() => loadWebConfig({ WEB_AUTH_TOKEN: '   ' })).toThrow(/only whitespace/);
    expect(() => loadWebConfig({ WEB_AUTH_TOKEN: '\t\n' })).toThrow(/only whitespace/);
    expect(() => loadWebConfig({ WEB_AUTH_TOKEN: ' a-long-enough-secret-token ' })).toThrow(/visible ASCII/);
    expect(loadWebConfig({ WEB_AUTH_TOKEN: '' }).authToken).toBeUndefined();
    expect(loadWebConfig({ WEB_AUTH_TOKEN: 'a-long-enough-secret-token' }).authToken).toBe('a-long-enough-secret-token');
  });

  test('when the stream caps, timeouts, proxy trust and host names are set, then they are validated', () => {
    const d = loadWebConfig({});
    expect(d).toMatchObject({
      sseMaxClients: 500,
      sseMaxPerIp: 20,
      sseHeartbeatMs: 15_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      trustProxy: false,
      allowedHosts: [],
      authFailuresPerMin: 20,
    });
    expect(() => loadWebConfig({ WEB_SSE_MAX_CLIENTS: '0' })).toThrow(/WEB_SSE_MAX_CLIENTS/);
    expect(() => loadWebConfig({ WEB_SSE_MAX_CLIENTS: '5', WEB_SSE_MAX_PER_IP: '6' })).toThrow(/WEB_SSE_MAX_PER_IP must not exceed/);
    expect(() => loadWebConfig({ WEB_HEADERS_TIMEOUT_MS: '40000' })).toThrow(/WEB_HEADERS_TIMEOUT_MS must not exceed WEB_REQUEST_TIMEOUT_MS/);
    expect(loadWebConfig({ WEB_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadWebConfig({ WEB_TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '::1']);
    expect(() => loadWebConfig({ WEB_TRUST_PROXY: 'true' })).toThrow(/WEB_TRUST_PROXY/);
    expect(() => loadWebConfig({ WEB_TRUST_PROXY: '10.0.0.0/99' })).toThrow(/WEB_TRUST_PROXY/);
    expect(loadWebConfig({ WEB_ALLOWED_HOSTS: 'Confluence.example.com, *.lan' }).allowedHosts).toEqual(['confluence.example.com', '*.lan']);
    expect(loadWebConfig({ WEB_ALLOWED_HOSTS: '*' }).allowedHosts).toEqual(['*']);
    expect(() => loadWebConfig({ WEB_ALLOWED_HOSTS: 'host:8001' })).toThrow(/WEB_ALLOWED_HOSTS/);
  });
});
