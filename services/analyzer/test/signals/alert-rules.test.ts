import fs from 'node:fs';
import path from 'node:path';
import { AlertRulesError, loadAlertRules, parseAlertRules, parseAlertRulesJson } from '../../src/signals/alert-rules';
import { tempDir } from './helpers';

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AlertRulesError);
    return (err as AlertRulesError).problems;
  }
  throw new Error('expected AlertRulesError');
}

describe('alert rules', () => {
  it('when no file or JSON is given, then the defaults apply', () => {
    const r = loadAlertRules();
    expect(r.rules).toEqual([
      { name: 'strong-bullish', side: 'Bullish', enter: 70, exit: 65, minConfidence: 0.5, minAgreeing: 3, cooldownMs: 900_000 },
      { name: 'strong-bearish', side: 'Bearish', enter: 30, exit: 35, minConfidence: 0.5, minAgreeing: 3, cooldownMs: 900_000 },
    ]);
    expect(r.maxDataAgeMs).toBe(5000);
    expect(r.agreeMargin).toBe(5);
  });

  it('when a rule overrides a gate, then only that rule uses the override', () => {
    const r = parseAlertRules({
      rules: [
        { name: 'a', enterAbove: 80, exitBelow: 75, minConfidence: 0.9, cooldownMs: 0 },
        { name: 'b', enterBelow: 20, exitAbove: 25 },
      ],
      minAgreeing: 4,
    });
    expect(r.rules[0]).toMatchObject({ minConfidence: 0.9, cooldownMs: 0, minAgreeing: 4 });
    expect(r.rules[1]).toMatchObject({ minConfidence: 0.5, cooldownMs: 900_000, minAgreeing: 4 });
  });

  it('when exit is not on the far side of enter, then the error says the rule has no hysteresis', () => {
    expect(problems(() => parseAlertRules({ rules: [{ name: 'x', enterAbove: 70, exitBelow: 70 }] }))).toEqual([
      'rules[0].exitBelow: must be below enterAbove (70) so the rule has hysteresis',
    ]);
    expect(problems(() => parseAlertRules({ rules: [{ name: 'y', enterBelow: 30, exitAbove: 25 }] }))).toEqual([
      'rules[0].exitAbove: must be above enterBelow (30) so the rule has hysteresis',
    ]);
  });

  it('when keys are unknown or values out of range, then every problem is listed readably', () => {
    const p = problems(() =>
      parseAlertRules({ rules: [{ name: 'x', enterAbvoe: 70, exitBelow: 60 }], minConfidence: 2, minAgreeing: 7, cooldownMs: -1, extra: true }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        '(top level): unknown key(s) "extra"',
        'rules[0]: unknown key(s) "enterAbvoe"',
        'minConfidence: must be between 0 and 1',
        'minAgreeing: must be between 0 and 6',
        'cooldownMs: must be ≥ 0',
      ]),
    );
  });

  it('when a rule mixes sides, lacks a threshold, or repeats a name, then that is said', () => {
    expect(problems(() => parseAlertRules({ rules: [{ name: 'x', enterAbove: 70, exitAbove: 60 }] }))).toEqual([
      'rules[0]: a rule is either bullish (enterAbove + exitBelow) or bearish (enterBelow + exitAbove), not both',
    ]);
    expect(problems(() => parseAlertRules({ rules: [{ name: 'x', enterAbove: 70 }] }))).toEqual(['rules[0].exitBelow: is required with enterAbove']);
    expect(
      problems(() =>
        parseAlertRules({
          rules: [
            { name: 'x', enterAbove: 70, exitBelow: 60 },
            { name: 'x', enterBelow: 30, exitAbove: 40 },
          ],
        }),
      ),
    ).toEqual(['rules[1].name: duplicate rule name "x"']);
    expect(problems(() => parseAlertRules({ rules: [{ name: 'Bad Name', enterAbove: 170, exitBelow: 60 }] }))).toEqual([
      'rules[0].name: must be 1-40 characters a-z, 0-9 or -, starting with a letter or digit',
      'rules[0].enterAbove: must be between 0 and 100',
    ]);
    expect(problems(() => parseAlertRules({ rules: [] }))).toEqual(['rules: needs at least one rule']);
  });

  it('when the file is missing or not JSON, then the error names the file', () => {
    const tmp = tempDir();
    try {
      const missing = path.join(tmp.dir, 'nope.json');
      expect(() => loadAlertRules({ file: missing })).toThrow(`invalid alert rules (${missing}):\n  - cannot read the file: it does not exist`);
      const bad = path.join(tmp.dir, 'bad.json');
      fs.writeFileSync(bad, '{ rules: ');
      expect(() => loadAlertRules({ file: bad })).toThrow(/bad\.json\):\n {2}- not valid JSON/);
      const good = path.join(tmp.dir, 'good.json');
      fs.writeFileSync(good, JSON.stringify({ rules: [{ name: 'hot', enterAbove: 80, exitBelow: 70 }], cooldownMs: 60000 }));
      expect(loadAlertRules({ file: good }).rules[0]).toMatchObject({ name: 'hot', enter: 80, exit: 70, cooldownMs: 60000 });
    } finally {
      tmp.cleanup();
    }
  });

  it('when rules come as JSON text (env), then they are validated the same way', () => {
    expect(parseAlertRulesJson('{"rules":[{"name":"a","enterBelow":20,"exitAbove":25}]}').rules[0].side).toBe('Bearish');
    expect(() => loadAlertRules({ json: '{"rules":[{"name":"a"}]}' })).toThrow(/ALERT_RULES.*\n {2}- rules\[0\]: needs enterAbove \+ exitBelow/);
  });
});
