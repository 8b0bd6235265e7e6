import fs from 'node:fs';
import path from 'node:path';
import { ANALYZER_ENV_VARS, CONFIG_ENV_VARS, loadAnalyzerConfig, loadWebConfig, WEB_ENV_VARS, type Env } from '@confluence/config';

const README = path.resolve(__dirname, '../../../README.md');

/** The variable names in the first column of the first table under `## Configuration` in the root README. */
function readmeTableNames(markdown: string): string[] {
  const lines = markdown.split('\n');
  const heading = lines.findIndex((l) => /^## Configuration\s*$/.test(l));
  if (heading < 0) throw new Error('README.md has no "## Configuration" section');
  const names: string[] = [];
  let inTable = false;
  for (const line of lines.slice(heading + 1)) {
    if (/^#{1,2} /.test(line)) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const firstCell = line.split('|')[1] ?? '';
    if (/^\s*:?-+/.test(firstCell)) continue; // the separator row
    for (const m of firstCell.matchAll(/`([^`]+)`/g)) names.push(m[1]);
  }
  return names;
}

/** The names a loader actually looks up in the environment it is given. */
function namesRead(load: (env: Env) => unknown): string[] {
  const seen = new Set<string>();
  const env = new Proxy({} as Env, {
    get(_t, key) {
      if (typeof key === 'string') seen.add(key);
      return undefined;
    },
  });
  load(env);
  return [...seen].filter((k) => /^[A-Z][A-Z0-9_]*$/.test(k)).sort();
}

describe('configuration documentation', () => {
  test('the exported lists are exactly the variables each loader reads', () => {
    expect(namesRead(loadAnalyzerConfig)).toEqual([...ANALYZER_ENV_VARS].sort());
    expect(namesRead(loadWebConfig)).toEqual([...WEB_ENV_VARS].sort());
    expect(CONFIG_ENV_VARS).toEqual([...new Set([...ANALYZER_ENV_VARS, ...WEB_ENV_VARS])].sort());
  });

  test("the README's configuration table names every variable the config package reads, and nothing else", () => {
    const documented = readmeTableNames(fs.readFileSync(README, 'utf8'));
    const duplicates = documented.filter((n, i) => documented.indexOf(n) !== i);
    expect({ duplicates }).toEqual({ duplicates: [] });
    const missing = CONFIG_ENV_VARS.filter((n) => !documented.includes(n));
    const extra = documented.filter((n) => !CONFIG_ENV_VARS.includes(n));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  test('the table parser reads names from the first column only, several per row', () => {
    const md = [
      '# x',
      '## Configuration',
      'text `NOT_ME`',
      '',
      '| variable | default | meaning |',
      '|---|---|---|',
      '| `A_B` / `C` | `D_E` | `F` |',
      '',
      '| `LATER` |',
      '## Next',
    ].join('\n');
    expect(readmeTableNames(md)).toEqual(['A_B', 'C']);
  });
});
