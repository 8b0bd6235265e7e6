import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }>;
};

/** Tools for benchmarks and tests: never installed into a production tree (`npm ci --omit=dev`). */
const DEV_ONLY = ['autocannon', 'jest', 'supertest', 'playwright-core', 'fast-check', 'typescript', '@biomejs/biome'];

describe('production dependencies', () => {
  test('when production dependencies are installed, then no benchmark or test tool is among them', () => {
    const workspaces = Object.entries(lock.packages).filter(([k]) => k === '' || !k.includes('node_modules/'));
    for (const [where, pkg] of workspaces) {
      const prod = Object.keys(pkg.dependencies ?? {});
      expect([where || '(root)', prod.filter((d) => DEV_ONLY.includes(d))]).toEqual([where || '(root)', []]);
    }
    for (const name of DEV_ONLY) expect([name, lock.packages[`node_modules/${name}`]?.dev]).toEqual([name, true]);
  });
});
