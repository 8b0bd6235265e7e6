#!/usr/bin/env node
// Architecture checks run by `npm test` before any test:
//  1. imports point one way (services → packages; web never imports the engine or the analyzer; the engine and
//     the contracts stay pure; the Bybit wire contract imports nothing; the simulator stands alone beside the
//     services and keeps its market model apart from the wire encoding; no relative path into another workspace's src);
//  2. each workspace's tsconfig references match its @confluence/* dependencies in package.json (a workspace without
//     a tsconfig, like scripts/, declares none).
// dependency-cruiser would be the usual tool, but it parses TypeScript through the compiler's JS API, which
// TypeScript 7 no longer ships; import specifiers are simple enough to read with one regular expression.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const WORKSPACES = ['packages/contracts', 'packages/bybit-wire', 'packages/cache', 'packages/config', 'packages/logger', 'packages/confluence', 'packages/testkit', 'services/analyzer', 'services/web', 'services/simulator', 'scripts'];
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** [from workspace (regex on path), forbidden @confluence package or path prefix, why] */
const RULES = [
  [/^services\/web\//, /^@confluence\/(confluence|analyzer)$|^services\/analyzer\//, 'the web only reads the shared store: it never scores or imports the analyzer'],
  [/^services\/analyzer\//, /^@confluence\/web$|^services\/web\//, 'the analyzer never imports the web'],
  [/^packages\//, /^@confluence\/(analyzer|web)$|^services\//, 'packages never import services'],
  [/^packages\/contracts\//, /^@confluence\//, 'contracts import nothing of ours'],
  [/^packages\/confluence\//, /^@confluence\/(?!contracts$)/, 'the engine is pure: it imports only contracts'],
  [/^(packages\/(?!testkit)|services\/|scripts\/)/, /^@confluence\/testkit$/, 'the test harness is for tests and benchmarks, never for shipped code'],
  [/^packages\/bybit-wire\//, /^(?!packages\/bybit-wire\/)/, 'the Bybit wire contract is declarations only: it imports nothing'],
  [/^services\/simulator\//, /^@confluence\/(?!bybit-wire$)|^services\/(?!simulator\/)|^packages\/(?!bybit-wire\/)/, 'the simulator stands in for Bybit: of ours it imports only the wire contract'],
  [/^(services\/(?!simulator\/)|packages\/)/, /^@confluence\/simulator$|^services\/simulator\//, 'only tests and benchmarks start the simulator; shipped code never imports it'],
  [/^services\/web\//, /^@confluence\/bybit-wire$/, 'the web never talks to Bybit: it reads the shared store'],
  [/^services\/simulator\/src\/(book|candles|history|market|regimes|rng|symbol-market|instruments)\.ts$/, /^services\/simulator\/src\/(encoder|publisher|book-stream|rest|ws-server|simulator)$|^ws$|^node:(http|net|stream|fs)$/, 'the market model produces typed values; encoder.ts and the transports turn them into wire frames'],
];

function walk(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|cjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const problems = [];
const srcDirs = WORKSPACES.map((w) => path.join(ROOT, w, 'src')).concat([path.join(ROOT, 'services/web/client/src')]);
for (const dir of srcDirs) {
  for (const file of walk(dir)) {
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] || m[2] || m[3] || m[4];
      let target = spec;
      if (spec.startsWith('.')) {
        target = path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
        const own = WORKSPACES.concat(['services/web/client']).find((w) => rel.startsWith(`${w}/`));
        const into = WORKSPACES.find((w) => target.startsWith(`${w}/`));
        if (into && own && into !== own && !(own === 'services/web/client' && into === 'services/web')) {
          problems.push(`${rel}: imports ${spec} — reach another workspace through its package name, not a relative path`);
        }
      }
      for (const [from, forbidden, why] of RULES) {
        if (from.test(rel) && forbidden.test(target)) problems.push(`${rel}: imports ${spec} — ${why}`);
      }
    }
  }
}

for (const w of WORKSPACES) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, w, 'package.json'), 'utf8'));
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => d.startsWith('@confluence/')).map((d) => d.slice('@confluence/'.length)).sort();
  const tsconfigPath = path.join(ROOT, w, 'tsconfig.json');
  const tsconfig = fs.existsSync(tsconfigPath) ? JSON.parse(fs.readFileSync(tsconfigPath, 'utf8')) : {};
  const refs = (tsconfig.references || []).map((r) => path.basename(r.path)).sort();
  if (JSON.stringify(deps) !== JSON.stringify(refs)) problems.push(`${w}: tsconfig references [${refs}] do not match package.json @confluence dependencies [${deps}]`);
}

if (problems.length) {
  process.stderr.write(`architecture check failed:\n  - ${problems.join('\n  - ')}\n`);
  process.exit(1);
}
process.stdout.write(`architecture check: ok (${WORKSPACES.length} workspaces)\n`);
