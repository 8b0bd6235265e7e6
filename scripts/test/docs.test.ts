import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.data', 'results', 'recordings']);
const TEXT = /\.(ts|cjs|js|mjs|md|json|ya?ml|html|css|sh)$|^(Dockerfile|run)$/;

function* textFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* textFiles(path.join(dir, entry.name));
    } else if (TEXT.test(entry.name) && entry.name !== 'package-lock.json') {
      yield path.join(dir, entry.name);
    }
  }
}

// Spelled in pieces so this file does not match itself.
const OUTSIDE = [
  ['DESIGN', '(\\.md|\\s*§)'],
  ['BYBIT', '\\.md'],
  ['CONVENTIONS', '\\.md'],
  ['/wo', 'rk/'],
  ['\\.\\./sha', 'red'],
].map(([a, b]) => new RegExp(a + b));

describe('the docs stand on their own', () => {
  test('no source file or doc cites a document outside the repository', () => {
    const hits: string[] = [];
    for (const file of textFiles(ROOT)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (OUTSIDE.some((re) => re.test(line))) hits.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(hits).toEqual([]);
  });

  test('every workspace has a README', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const workspaces = pkg.workspaces.flatMap((w) =>
      w.endsWith('/*')
        ? fs
            .readdirSync(path.join(ROOT, w.slice(0, -2)), { withFileTypes: true })
            .filter((d) => d.isDirectory() && fs.existsSync(path.join(ROOT, w.slice(0, -2), d.name, 'package.json')))
            .map((d) => `${w.slice(0, -2)}/${d.name}`)
        : [w],
    );
    expect(workspaces.length).toBeGreaterThanOrEqual(9);
    expect(workspaces.filter((w) => !fs.existsSync(path.join(ROOT, w, 'README.md')))).toEqual([]);
  });
});
