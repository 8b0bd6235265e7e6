// Which external programs a source file starts or looks for, read from the text: the first argument of
// spawn/execFile/exec (and their Sync forms, and the container test's runProgram) when it is a literal, a
// default beside the variable that overrides it (process.env.X_BIN || 'x'), a `command:` option, `command -v NAME`,
// and literal paths into a bin directory (/usr/bin/x, /usr/local/sbin/x, /opt/homebrew/bin/x, /bin/x).
// test/ops/required-binaries.test.ts compares what the tests need with what the bootstrap installs.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './docker-files';

export interface ProgramUse {
  program: string;
  line: number;
  text: string;
}

const PATTERNS: RegExp[] = [
  // spawn('x' …), cp.execFileSync("x" …), exec(`x --flag` …): the program is the first word of the literal
  // (a method named exec, as in db.exec('…') or re.exec('…'), is not child_process's).
  /\b(?:spawn|spawnSync|execFile|execFileSync|execSync|runProgram)\(\s*['"`]([^'"`\s]+)/g,
  /(?<![.\w$])exec\(\s*['"`]([^'"`\s]+)/g,
  // startProcess(…, { command: 'x' }) and the like.
  /\bcommand:\s*['"`]([^'"`\s]+)/g,
  // A program's default beside the variable that overrides it: process.env.DOCKER_BIN || 'docker'.
  /_(?:BIN|PATH)\s*(?:\|\||\?\?)\s*['"`]([^'"`\s]+)/g,
  // A shell lookup: command -v x.
  /\bcommand -v ([\w.+-]+)/g,
  // A literal path into a bin directory.
  /['"`]((?:\/usr\/local|\/usr|\/opt\/homebrew)?\/s?bin\/[\w.+-]+)['"`]/g,
];

/** The programs one source text uses, with the line each use is on. */
export function programsIn(source: string): ProgramUse[] {
  const uses: ProgramUse[] = [];
  const lines = source.split('\n');
  lines.forEach((text, i) => {
    const code = text.trim();
    if (code.startsWith('//') || code.startsWith('*') || code.startsWith('#')) return;
    const onLine = new Set<string>();
    for (const re of PATTERNS) for (const m of text.matchAll(re)) onLine.add(path.posix.basename(m[1]));
    for (const program of onLine) uses.push({ program, line: i + 1, text: code });
  });
  return uses;
}

/** Source files (.ts, .js, .cjs, .mjs) under dir, relative to ROOT, skipping node_modules and dist. */
export function sourcesUnder(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...sourcesUnder(child));
    else if (/\.(ts|js|cjs|mjs)$/.test(e.name)) out.push(child);
  }
  return out;
}

/** Every directory whose code runs during `npm test` or `npm run test:containers`: the suites and the testkit. */
export function testSourceDirs(): string[] {
  const dirs = ['test', 'scripts/test', 'packages/testkit/src'];
  for (const parent of ['packages', 'services']) {
    for (const name of fs.readdirSync(path.join(ROOT, parent))) if (fs.existsSync(path.join(ROOT, parent, name, 'test'))) dirs.push(`${parent}/${name}/test`);
  }
  return dirs;
}
