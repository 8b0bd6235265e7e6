import fs from 'node:fs';
import { z } from 'zod';

/**
 * Alert rules: band crossings with hysteresis. A bullish rule (`enterAbove`/`exitBelow`) is entered when the score
 * reaches enterAbove (score ≥ enterAbove) and left only when it falls below exitBelow (score < exitBelow); a bearish
 * rule (`enterBelow`/`exitAbove`) is entered at score ≤ enterBelow and left at score > exitAbove. The gap between
 * the two thresholds is what stops flip-flopping around one number.
 *
 * Gates, each overridable per rule: `minConfidence` (row confidence ≥), `minAgreeing` (components on the alert's
 * side of 50 by more than `agreeMargin`: > 55 for bullish, < 45 for bearish with the default 5), `cooldownMs`
 * (since the last alert of the same symbol and rule, market time), `maxDataAgeMs` (now − row.updatedAt).
 */
export const DEFAULT_ALERT_RULES_INPUT = {
  rules: [
    { name: 'strong-bullish', enterAbove: 70, exitBelow: 65 },
    { name: 'strong-bearish', enterBelow: 30, exitAbove: 35 },
  ],
  minConfidence: 0.5,
  minAgreeing: 3,
  agreeMargin: 5,
  cooldownMs: 15 * 60_000,
  maxDataAgeMs: 5_000,
};

export class AlertRulesError extends Error {
  readonly code = 'alert_rules_invalid';
  constructor(
    readonly origin: string,
    readonly problems: string[],
  ) {
    super(`invalid alert rules (${origin}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'AlertRulesError';
  }
}

const threshold = z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');
const confidence = z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const agreeing = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be between 0 and 6').max(6, 'must be between 0 and 6');
const durationMs = (max: number) =>
  z.number({ error: 'must be a number of milliseconds' }).int('must be whole milliseconds').min(0, 'must be ≥ 0').max(max, `must be ≤ ${max}`);

const ruleSchema = z
  .strictObject({
    name: z.string({ error: 'must be a string' }).regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 characters a-z, 0-9 or -, starting with a letter or digit'),
    enterAbove: threshold.optional(),
    exitBelow: threshold.optional(),
    enterBelow: threshold.optional(),
    exitAbove: threshold.optional(),
    minConfidence: confidence.optional(),
    minAgreeing: agreeing.optional(),
    cooldownMs: durationMs(7 * 24 * 3_600_000).optional(),
  })
  .superRefine((r, ctx) => {
    const bull = r.enterAbove !== undefined || r.exitBelow !== undefined;
    const bear = r.enterBelow !== undefined || r.exitAbove !== undefined;
    if (bull && bear) {
      ctx.addIssue({ code: 'custom', message: 'a rule is either bullish (enterAbove + exitBelow) or bearish (enterBelow + exitAbove), not both' });
      return;
    }
    if (!bull && !bear) {
      ctx.addIssue({ code: 'custom', message: 'needs enterAbove + exitBelow (bullish) or enterBelow + exitAbove (bearish)' });
      return;
    }
    if (bull) {
      if (r.enterAbove === undefined) ctx.addIssue({ code: 'custom', path: ['enterAbove'], message: 'is required with exitBelow' });
      else if (r.exitBelow === undefined) ctx.addIssue({ code: 'custom', path: ['exitBelow'], message: 'is required with enterAbove' });
      else if (!(r.exitBelow < r.enterAbove))
        ctx.addIssue({ code: 'custom', path: ['exitBelow'], message: `must be below enterAbove (${r.enterAbove}) so the rule has hysteresis` });
    } else {
      if (r.enterBelow === undefined) ctx.addIssue({ code: 'custom', path: ['enterBelow'], message: 'is required with exitAbove' });
      else if (r.exitAbove === undefined) ctx.addIssue({ code: 'custom', path: ['exitAbove'], message: 'is required with enterBelow' });
      else if (!(r.exitAbove > r.enterBelow))
        ctx.addIssue({ code: 'custom', path: ['exitAbove'], message: `must be above enterBelow (${r.enterBelow}) so the rule has hysteresis` });
    }
  });

export const alertRulesSchema = z
  .strictObject({
    rules: z.array(ruleSchema, { error: 'must be a list of rules' }).min(1, 'needs at least one rule').max(20, 'at most 20 rules'),
    minConfidence: confidence.default(DEFAULT_ALERT_RULES_INPUT.minConfidence),
    minAgreeing: agreeing.default(DEFAULT_ALERT_RULES_INPUT.minAgreeing),
    agreeMargin: z
      .number({ error: 'must be a number' })
      .min(0, 'must be between 0 and 50')
      .max(50, 'must be between 0 and 50')
      .default(DEFAULT_ALERT_RULES_INPUT.agreeMargin),
    cooldownMs: durationMs(7 * 24 * 3_600_000).default(DEFAULT_ALERT_RULES_INPUT.cooldownMs),
    maxDataAgeMs: durationMs(3_600_000)
      .refine((v) => v > 0, 'must be > 0')
      .default(DEFAULT_ALERT_RULES_INPUT.maxDataAgeMs),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name ${JSON.stringify(r.name)}` });
      seen.add(r.name);
    });
  });

/** One rule with its gates resolved. */
export interface AlertRule {
  readonly name: string;
  readonly side: 'Bullish' | 'Bearish';
  readonly enter: number;
  readonly exit: number;
  readonly minConfidence: number;
  readonly minAgreeing: number;
  readonly cooldownMs: number;
}

export interface AlertRules {
  readonly rules: readonly AlertRule[];
  readonly agreeMargin: number;
  readonly maxDataAgeMs: number;
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const where = i.path.length
      ? i.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(top level)';
    if (i.code === 'unrecognized_keys') return `${where}: unknown key(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    return `${where}: ${i.message}`;
  });
}

/** Validates parsed rules JSON; throws AlertRulesError listing every problem. */
export function parseAlertRules(input: unknown, origin = 'alert rules'): AlertRules {
  const result = alertRulesSchema.safeParse(input);
  if (!result.success) throw new AlertRulesError(origin, problemsOf(result.error));
  const c = result.data;
  return {
    agreeMargin: c.agreeMargin,
    maxDataAgeMs: c.maxDataAgeMs,
    rules: c.rules.map((r) => {
      const bullish = r.enterAbove !== undefined;
      const enter = bullish ? r.enterAbove : r.enterBelow;
      const exit = bullish ? r.exitBelow : r.exitAbove;
      // The schema's refinement requires both thresholds of one side; this only tells the compiler.
      if (enter === undefined || exit === undefined) throw new AlertRulesError(origin, [`${r.name}: needs enterAbove + exitBelow or enterBelow + exitAbove`]);
      return {
        name: r.name,
        side: bullish ? 'Bullish' : 'Bearish',
        enter,
        exit,
        minConfidence: r.minConfidence ?? c.minConfidence,
        minAgreeing: r.minAgreeing ?? c.minAgreeing,
        cooldownMs: r.cooldownMs ?? c.cooldownMs,
      };
    }),
  };
}

export function parseAlertRulesJson(text: string, origin = 'alert rules'): AlertRules {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AlertRulesError(origin, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseAlertRules(parsed, origin);
}

/** Rules from a JSON file (ALERT_RULES_FILE), else from JSON text (e.g. an env variable), else the defaults. */
export function loadAlertRules(source: { file?: string; json?: string } = {}): AlertRules {
  if (source.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(source.file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new AlertRulesError(source.file, [`cannot read the file: ${e.code === 'ENOENT' ? 'it does not exist' : e.message}`]);
    }
    return parseAlertRulesJson(text, source.file);
  }
  if (source.json !== undefined) return parseAlertRulesJson(source.json, 'ALERT_RULES');
  return parseAlertRules(DEFAULT_ALERT_RULES_INPUT, 'defaults');
}
