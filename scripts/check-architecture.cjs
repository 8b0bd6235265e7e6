#!/usr/bin/env node
// Architecture checks run by `npm test` before any test. They read every workspace's shipped code (src, and for
// scripts/ its .cjs files), its tests, the scripts its package.json declares, the benchmarks (bench/, a workspace of
// its own) and the root test tree (test/: e2e, browser, ops):
//  1. imports point one way (services → packages; web never imports the engine or the analyzer; the engine and
//     the contracts stay pure; the Bybit wire contract imports nothing; the simulator stands alone beside the
//     services and keeps its market model apart from the wire encoding) — shipped code only;
//  2. one workspace reaches another only through its package name and a public entry point (`@confluence/x`, or a
//     subpath listed in x's package.json `exports`): no relative path into another workspace (or into test/), no
//     `dist/` or `src/` internals — a workspace's own tests may import its own src relatively;
//  3. every package a workspace's shipped code imports is in that workspace's `dependencies` (node builtins
//     excepted); tests, benchmarks and declared scripts may also use the workspace's devDependencies and the root's;
//  4. every dependency a workspace declares is imported somewhere in it (a `dependencies` entry by its shipped
//     code), but for the few in UNIMPORTED below, used without an import;
//  5. each workspace's tsconfig references match its @confluence/* dependencies in package.json (a workspace without
//     a tsconfig, like scripts/, declares none);
//  6. WORKSPACES below is exactly the root package.json's npm workspaces.
// dependency-cruiser would be the usual tool, but it parses TypeScript through the compiler's JS API, which
// TypeScript 7 no longer ships; import specifiers are simple enough to read with one regular expression.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const ROOT = path.resolve(__dirname, '..');
const WORKSPACES = [
  'packages/contracts',
  'packages/bybit-wire',
  'packages/cache',
  'packages/config',
  'packages/logger',
  'packages/confluence',
  'packages/testkit',
  'services/analyzer',
  'services/web',
  'services/simulator',
  'scripts',
  'bench',
];
/** The root test tree: not a workspace, it uses the root's devDependencies and the workspaces' public entries. */
const ROOT_TEST = 'test';
/** Shipped code per workspace, when it is not just `<workspace>/src`. */
const SHIPPED = {
  'services/web': ['services/web/src', 'services/web/client/src'],
  scripts: ['scripts/bootstrap.cjs', 'scripts/check-architecture.cjs', 'scripts/docker'],
  bench: [],
};
/** Code that is not shipped: tests, and bench's sources (benchmarks are tooling, like tests). */
const TOOLING = { bench: ['bench/src'] };
/**
 * Dependencies used without an import, [workspace, package, why]. Keep it tiny: anything here is a dependency the
 * check cannot see being used.
 */
const UNIMPORTED = [
  // The API and freshness benchmarks run services/web/dist/main.js as a process; the project reference builds it first.
  ['bench', '@confluence/web', 'bench starts the web as a process, it never imports it'],
];
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
const BUILTINS = new Set(builtinModules);

/** [from workspace (regex on path), forbidden @confluence package or path prefix, why] — shipped code only. */
const RULES = [
  [
    /^services\/web\//,
    /^@confluence\/(confluence|analyzer)$|^services\/analyzer\//,
    'the web only reads the shared store: it never scores or imports the analyzer',
  ],
  [/^services\/analyzer\//, /^@confluence\/web$|^services\/web\//, 'the analyzer never imports the web'],
  [/^packages\//, /^@confluence\/(analyzer|web)$|^services\//, 'packages never import services'],
  [/^packages\/contracts\//, /^@confluence\//, 'contracts import nothing of ours'],
  [/^packages\/confluence\//, /^@confluence\/(?!contracts$)/, 'the engine is pure: it imports only contracts'],
  [/^(packages\/(?!testkit)|services\/|scripts\/)/, /^@confluence\/testkit$/, 'the test harness is for tests and benchmarks, never for shipped code'],
  [/^packages\/bybit-wire\//, /^(?!packages\/bybit-wire\/)/, 'the Bybit wire contract is declarations only: it imports nothing'],
  [
    /^services\/simulator\//,
    /^@confluence\/(?!bybit-wire$)|^services\/(?!simulator\/)|^packages\/(?!bybit-wire\/)/,
    'the simulator stands in for Bybit: of ours it imports only the wire contract',
  ],
  [
    /^(services\/(?!simulator\/)|packages\/)/,
    /^@confluence\/simulator$|^services\/simulator\//,
    'only tests and benchmarks start the simulator; shipped code never imports it',
  ],
  [/^services\/web\//, /^@confluence\/bybit-wire$/, 'the web never talks to Bybit: it reads the shared store'],
  [
    /^services\/simulator\/src\/(book|candles|history|market|regimes|rng|symbol-market|instruments)\.ts$/,
    /^services\/simulator\/src\/(encoder|publisher|book-stream|rest|ws-server|simulator)$|^ws$|^node:(http|net|stream|fs)$/,
    'the market model produces typed values; encoder.ts and the transports turn them into wire frames',
  ],
];

const posix = (p) => p.split(path.sep).join('/');
const readJson = (p) => (fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')) : {});

function walk(p, out = []) {
  if (!fs.existsSync(p)) return out;
  if (fs.statSync(p).isFile()) {
    out.push(p);
    return out;
  }
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'fixtures') continue;
    const q = path.join(p, e.name);
    if (e.isDirectory()) walk(q, out);
    else if (/\.(ts|cts|mts|cjs|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(q);
  }
  return out;
}

/** Import specifiers of a file, with comments and double-quoted strings (code quoted inside tests) taken out. */
function specifiers(file) {
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
  return [...text.matchAll(IMPORT)].map((m) => m[1] || m[2] || m[3] || m[4]);
}

const packageName = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (spec) => spec.startsWith('node:') || BUILTINS.has(packageName(spec));

const rootPkg = readJson(path.join(ROOT, 'package.json'));
const rootDev = new Set(Object.keys(rootPkg.devDependencies || {}));
const pkgs = new Map(WORKSPACES.map((w) => [w, readJson(path.join(ROOT, w, 'package.json'))]));
const byName = new Map([...pkgs].map(([w, p]) => [p.name, w]));
const ownerOf = (rel) => WORKSPACES.find((w) => rel === w || rel.startsWith(`${w}/`)) || (rel.startsWith(`${ROOT_TEST}/`) ? ROOT_TEST : null);

/** Files of each workspace by role: shipped (src), tooling (tests, benchmarks, scripts its package.json runs). */
function filesOf(w) {
  const shipped = (SHIPPED[w] || [`${w}/src`]).flatMap((p) => walk(path.join(ROOT, p)));
  const scripts = Object.values(pkgs.get(w).scripts || {}).flatMap((s) => [...s.matchAll(/\bnode\s+(\S+\.c?js)\b/g)].map((m) => path.join(ROOT, w, m[1])));
  const tooling = [`${w}/test`, ...(TOOLING[w] || [])].flatMap((p) => walk(path.join(ROOT, p))).concat(scripts.filter((f) => fs.existsSync(f)));
  return { shipped, tooling };
}

/** Whether `@confluence/x[/sub]` is a public entry point: the package's `exports` lists it. */
function isPublic(spec) {
  const name = packageName(spec);
  const w = byName.get(name);
  if (!w) return true; // not one of ours
  const sub = spec === name ? '.' : `.${spec.slice(name.length)}`;
  const exp = pkgs.get(w).exports;
  return Boolean(exp && typeof exp === 'object' && Object.hasOwn(exp, sub));
}

const problems = [];
const used = new Map(WORKSPACES.map((w) => [w, { shipped: new Set(), any: new Set() }]));

function checkFile(file, owner, role) {
  const rel = posix(path.relative(ROOT, file));
  const pkg = owner === ROOT_TEST ? {} : pkgs.get(owner);
  const deps = new Set(Object.keys(pkg.dependencies || {}));
  const dev = new Set(Object.keys(pkg.devDependencies || {}));
  for (const spec of specifiers(file)) {
    let target = spec;
    if (spec.startsWith('.')) {
      target = posix(path.relative(ROOT, path.resolve(path.dirname(file), spec)));
      const into = ownerOf(target);
      const fromClient = rel.startsWith('services/web/client/') && into === 'services/web';
      if (into && into !== owner && !fromClient) {
        problems.push(`${rel}: imports ${spec} — reach another workspace through its package name and a public entry point, not a relative path`);
      }
    } else if (!isBuiltin(spec)) {
      const name = packageName(spec);
      if (owner !== ROOT_TEST) {
        used.get(owner).any.add(name);
        if (role === 'shipped') used.get(owner).shipped.add(name);
      }
      if (byName.has(name) && !isPublic(spec)) {
        problems.push(`${rel}: imports ${spec} — not a public entry point of ${name} (its package.json exports)`);
      }
      if (role === 'shipped') {
        if (!deps.has(name)) problems.push(`${rel}: imports ${name}, which ${owner}/package.json does not declare in dependencies`);
      } else if (!deps.has(name) && !dev.has(name) && !rootDev.has(name) && !byName.has(name)) {
        problems.push(
          `${rel}: imports ${name}, which ${owner === ROOT_TEST ? 'the root package.json does not declare' : `neither ${owner}/package.json nor the root package.json declares`}`,
        );
      }
    }
    if (role === 'shipped') {
      for (const [from, forbidden, why] of RULES) {
        if (from.test(rel) && forbidden.test(target)) problems.push(`${rel}: imports ${spec} — ${why}`);
      }
    }
  }
}

for (const w of WORKSPACES) {
  const { shipped, tooling } = filesOf(w);
  for (const f of shipped) checkFile(f, w, 'shipped');
  for (const f of tooling) checkFile(f, w, 'tooling');
}
for (const f of walk(path.join(ROOT, ROOT_TEST))) checkFile(f, ROOT_TEST, 'tooling');

for (const w of WORKSPACES) {
  const pkg = pkgs.get(w);
  const allowed = new Set(UNIMPORTED.filter(([ws]) => ws === w).map(([, name]) => name));
  const { shipped, any } = used.get(w);
  for (const d of Object.keys(pkg.dependencies || {})) {
    if (d.startsWith('@types/') || allowed.has(d)) continue;
    if (!shipped.has(d))
      problems.push(
        `${w}: declares ${d} in dependencies, but its shipped code never imports it${any.has(d) ? ' (only its tests or scripts do: a devDependency)' : ''}`,
      );
  }
  for (const d of Object.keys(pkg.devDependencies || {})) {
    if (d.startsWith('@types/') || allowed.has(d)) continue;
    if (!any.has(d)) problems.push(`${w}: declares ${d} in devDependencies, but nothing in it imports it`);
  }
  const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((d) => d.startsWith('@confluence/'))
    .map((d) => d.slice('@confluence/'.length))
    .sort();
  const tsconfigPath = path.join(ROOT, w, 'tsconfig.json');
  const tsconfig = readJson(tsconfigPath);
  const refs = (tsconfig.references || []).map((r) => path.basename(r.path)).sort();
  if (JSON.stringify(deps) !== JSON.stringify(refs))
    problems.push(`${w}: tsconfig references [${refs}] do not match package.json @confluence dependencies [${deps}]`);
}

// The list above is every npm workspace, so no workspace escapes the check.
const declared = (rootPkg.workspaces || []).flatMap((g) =>
  g.endsWith('/*')
    ? fs
        .readdirSync(path.join(ROOT, g.slice(0, -2)), { withFileTypes: true })
        .filter((e) => e.isDirectory() && fs.existsSync(path.join(ROOT, g.slice(0, -2), e.name, 'package.json')))
        .map((e) => `${g.slice(0, -2)}/${e.name}`)
    : [g],
);
for (const w of declared)
  if (!WORKSPACES.includes(w)) problems.push(`${w}: an npm workspace (root package.json) the check does not read: add it to WORKSPACES`);
for (const w of WORKSPACES)
  if (declared.length && !declared.includes(w)) problems.push(`${w}: in WORKSPACES but not an npm workspace of the root package.json`);

if (problems.length) {
  process.stderr.write(`architecture check failed:\n  - ${problems.join('\n  - ')}\n`);
  process.exit(1);
}
process.stdout.write(`architecture check: ok (${WORKSPACES.length} workspaces, bench and ${ROOT_TEST}/)\n`);
