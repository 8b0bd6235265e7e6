import { createRateLimitedLog, redact, type Logger, type LogMeta } from '@confluence/logger';

describe('logger', () => {
  test('when meta carries secrets, then their values never reach the log', () => {
    const out = redact({
      password: 'hunter2',
      MEMCACHED_PASSWORD: 'x',
      token: 'abc',
      authorization: 'Bearer t',
      nested: { apiKey: 'k', ok: 1 },
      user: 'alice',
      empty: '',
    });
    expect(out).toEqual({
      password: '[redacted]',
      MEMCACHED_PASSWORD: '[redacted]',
      token: '[redacted]',
      authorization: '[redacted]',
      nested: { apiKey: '[redacted]', ok: 1 },
      user: 'alice',
      empty: '',
    });
  });

  test('when a flood of the same problem arrives, then one line per interval is logged with the count suppressed', () => {
    const lines: Array<[string, LogMeta | undefined]> = [];
    const sink: Logger = {
      error: () => {},
      warn: (m, meta) => void lines.push([m, meta]),
      info: () => {},
      debug: () => {},
      child: () => sink,
    };
    let now = 0;
    const log = createRateLimitedLog(sink, 10_000, () => now);
    for (let i = 0; i < 1000; i++) log('warn', 'malformed', 'malformed frame', { reason: 'invalid_json' });
    now = 10_000;
    log('warn', 'malformed', 'malformed frame', { reason: 'invalid_json' });
    expect(lines).toEqual([
      ['malformed frame', { reason: 'invalid_json' }],
      ['malformed frame', { reason: 'invalid_json', suppressedSinceLast: 999 }],
    ]);
  });
});
