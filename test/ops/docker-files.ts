// Readers for the deployment files, shared by the ops tests: the Dockerfile's stages and COPY lines,
// Compose variable interpolation, and .dockerignore matching. No Docker engine is needed.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '@confluence/testkit';

export { ROOT };

export interface DockerInstruction {
  op: string;
  args: string;
  line: number;
}

export interface DockerStage {
  base: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: DockerStage[];
  stage(name: string): DockerStage;
}

/** Parses a Dockerfile's instructions (continuation lines joined, comments dropped) into stages. */
export function readDockerfile(file = path.join(ROOT, 'Dockerfile')): Dockerfile {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const instructions: DockerInstruction[] = [];
  let pending = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/s.exec(full)!;
    instructions.push({ op: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ').trim(), line: start });
  });
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
      const base = m[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globalArgs[a ?? b] ?? '');
      stages.push({ base, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op === 'ARG') {
        const [k, v = ''] = ins.args.split('=');
        globalArgs[k] = v;
      }
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return {
    globalArgs,
    stages,
    stage(name) {
      const s = stages.find((st) => st.name === name);
      if (!s) throw new Error(`Dockerfile has no stage named ${name}`);
      return s;
    },
  };
}

/** The stage and all the stages it is built FROM, nearest first. */
export function stageChain(df: Dockerfile, name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let s: DockerStage | undefined = df.stage(name);
  while (s) {
    chain.push(s);
    const base: string = s.base;
    s = df.stages.find((st) => st.name === base);
  }
  return chain;
}

export interface CopyLine {
  from: string | undefined;
  sources: string[];
  dest: string;
  line: number;
}

export function copies(stage: DockerStage): CopyLine[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(' ');
      let from: string | undefined;
      const rest: string[] = [];
      for (const w of words) {
        const m = /^--from=(.+)$/.exec(w);
        if (m) from = m[1];
        else if (!w.startsWith('--')) rest.push(w);
      }
      return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1], line: i.line };
    });
}

/** ENV instructions of a stage and its bases (nearest wins). */
export function stageEnv(df: Dockerfile, name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of stageChain(df, name).reverse()) {
    for (const i of s.instructions.filter((x) => x.op === 'ENV')) {
      for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** The last instruction `op` in a stage or its bases, e.g. CMD, USER, ENTRYPOINT, WORKDIR. */
export function effective(df: Dockerfile, name: string, op: string): string | undefined {
  for (const s of stageChain(df, name)) {
    const found = s.instructions.filter((i) => i.op === op);
    if (found.length) return found[found.length - 1].args;
  }
  return undefined;
}

/** Exec-form (JSON array) argument of CMD / ENTRYPOINT. */
export function execForm(args: string | undefined): string[] {
  if (!args) return [];
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed)) throw new Error(`expected exec form, got ${args}`);
  return parsed.map(String);
}

/**
 * Compose variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $VAR and $$.
 * Unset variables without a default become '' (as Compose does, with a warning).
 */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)/g, (match, name, op, arg, bare) => {
    if (match === '$$') return '$';
    if (bare) return env[bare] ?? '';
    const v = env[name];
    if (op === ':-') return v === undefined || v === '' ? arg : v;
    if (op === '-') return v === undefined ? arg : v;
    if (op === ':?' || op === '?') {
      if (v === undefined || (op === ':?' && v === '')) throw new Error(`required variable ${name}: ${arg}`);
      return v;
    }
    return v ?? '';
  });
}

/** Every ${...} / $VAR reference in a string. */
export function variablesIn(value: string): Array<{ name: string; hasDefault: boolean }> {
  const out: Array<{ name: string; hasDefault: boolean }> = [];
  for (const m of value.matchAll(/\$\$|\$\{(\w+)(:?[-?])?[^}]*\}|\$(\w+)/g)) {
    if (m[0] === '$$') continue;
    out.push({ name: m[1] ?? m[3], hasDefault: m[2] === ':-' || m[2] === '-' });
  }
  return out;
}

/**
 * .dockerignore semantics, enough for this repo: one pattern a line, `#` comments, `!` exceptions,
 * `*` and `?` within one path segment, `**` across segments; a path is excluded when it or one of
 * its parent directories matches.
 */
export function dockerignore(file = path.join(ROOT, '.dockerignore')): (relPath: string) => boolean {
  const rules = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      const re = pattern
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '(?:.*)'
            : seg
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (relPath: string) => {
    const parts = path.posix.normalize(relPath).split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

/** Files under dir (relative to ROOT), skipping node_modules; for checking what the context holds. */
export function filesUnder(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [rel];
  const out: string[] = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...filesUnder(child));
    else out.push(child);
  }
  return out;
}
