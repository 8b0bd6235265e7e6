import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = path.join(__dirname, '..', 'fixtures', 'bybit');

/** Raw lines of a fixture file (one message per line), exactly as stored. */
export function fixtureLines(name: string): string[] {
  return fs
    .readFileSync(path.join(FIXTURES_DIR, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0);
}

export function fixtureJson<T = Record<string, unknown>>(name: string): T[] {
  return fixtureLines(name).map((l) => JSON.parse(l) as T);
}
