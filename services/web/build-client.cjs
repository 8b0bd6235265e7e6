#!/usr/bin/env node
// Bundles the browser client (client/src/main.ts and what it imports, shared rules included) with esbuild into
// content-hashed modules under dist/public/js, and writes dist/public/index.html from client/index.html with the
// hashed entry's name. A deploy therefore never mixes old and new modules: every name changes with its content,
// so the web serves them as immutable, and only index.html (no-cache) says which ones belong together.
// Runs after `tsc -b` (it bundles the compiled workspace packages): `npm run build` does both.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const WEB = __dirname;
const OUT = path.join(WEB, 'dist', 'public');
const JS_OUT = path.join(OUT, 'js');
const ENTRY = path.join(WEB, 'client', 'src', 'main.ts');
const TEMPLATE = path.join(WEB, 'client', 'index.html');
/** The template names the entry as it is written; the build puts the hashed name in its place. */
const ENTRY_TAG = '<script type="module" src="/js/main.js"></script>';

async function main() {
  const template = fs.readFileSync(TEMPLATE, 'utf8');
  if (template.split(ENTRY_TAG).length !== 2) throw new Error(`${path.relative(process.cwd(), TEMPLATE)} must hold ${ENTRY_TAG} exactly once`);
  fs.rmSync(OUT, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    tsconfig: path.join(WEB, 'client', 'tsconfig.json'),
    bundle: true,
    // Split chunks for anything imported on demand; the chart library itself stays on its /vendor route.
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outdir: JS_OUT,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint && path.resolve(o.entryPoint) === ENTRY);
  if (!entry) throw new Error('esbuild produced no output for the client entry');
  const src = `/js/${path.basename(entry[0])}`;
  fs.writeFileSync(path.join(OUT, 'index.html'), template.replace(ENTRY_TAG, `<script type="module" src="${src}"></script>`));
  const files = Object.keys(result.metafile.outputs).map((f) => `${path.basename(f)} ${(fs.statSync(f).size / 1024).toFixed(1)} KiB`);
  process.stdout.write(`client bundle: ${files.join(', ')}\n`);
}

main().catch((err) => {
  process.stderr.write(`client build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
