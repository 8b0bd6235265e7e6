// docker-compose.yml (and the demo file laid over it) as the ops tests and the container test read it:
// parsed with `yaml` (merge keys on), merged the way Compose merges several -f files, for the subset of
// keys these files use. No Docker engine or Compose binary is needed.
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ROOT, interpolate } from './docker-files';

export type Dict = Record<string, unknown>;
export interface Healthcheck {
  test: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}
export interface Service {
  image?: string;
  build?: { context?: string; target?: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: unknown[];
  expose?: unknown[];
  profiles?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  user?: string;
  mem_limit?: string | number;
  deploy?: { resources?: { limits?: { memory?: string } } };
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
  read_only?: boolean;
  tmpfs?: string[] | string;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
  logging?: { driver?: string; options?: Record<string, string> };
}
export interface Compose {
  name?: string;
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean; driver_opts?: Record<string, string> } | null>;
  volumes?: Record<string, unknown>;
}

export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
export const DEMO_FILE = path.join(ROOT, 'docker-compose.demo.yml');

/** One compose file, parsed; extension fields (x-…) are dropped as Compose does. */
export function readComposeFile(file: string): Compose {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
  if (doc.errors.length) throw new Error(`${path.basename(file)} does not parse:\n${doc.errors.map(String).join('\n')}`);
  if (doc.warnings.length) throw new Error(`${path.basename(file)} parses with warnings:\n${doc.warnings.map(String).join('\n')}`);
  const js = doc.toJS() as Dict;
  for (const k of Object.keys(js)) if (k.startsWith('x-')) delete js[k];
  return js as unknown as Compose;
}

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A volume entry's mount point (short `src:dst[:mode]` or long syntax). */
const volumeTarget = (v: unknown): string => (typeof v === 'string' ? (v.split(':')[1] ?? v) : String((v as { target: string }).target));

/** Compose's merge of one service over another: mappings merge key by key; sequences per the spec's rules. */
function mergeService(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (key === 'volumes' && Array.isArray(prev) && Array.isArray(value)) {
      // Merged by mount point: the later file's entry for the same target wins.
      const byTarget = new Map<string, unknown>(prev.map((v) => [volumeTarget(v), v]));
      for (const v of value) byTarget.set(volumeTarget(v), v);
      out[key] = [...byTarget.values()];
    } else if (['ports', 'expose', 'cap_add', 'cap_drop', 'security_opt', 'tmpfs', 'dns'].includes(key) && Array.isArray(prev) && Array.isArray(value)) {
      out[key] = [...new Set([...prev, ...value].map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as unknown);
    } else if (key === 'networks' && Array.isArray(prev) && Array.isArray(value)) {
      out[key] = [...new Set([...prev, ...value])];
    } else if (isDict(prev) && isDict(value) && !['healthcheck'].includes(key)) {
      out[key] = mergeDicts(prev, value);
    } else if (key === 'healthcheck' && isDict(prev) && isDict(value)) {
      out[key] = { ...prev, ...value };
    } else {
      // Scalars and the remaining sequences (command, entrypoint, healthcheck.test, profiles): replaced.
      out[key] = value;
    }
  }
  return out;
}

function mergeDicts(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isDict(out[k]) && isDict(v) ? mergeDicts(out[k] as Dict, v) : v;
  return out;
}

/** Several compose files merged in order, as `docker compose -f a -f b` does. */
export function loadCompose(files: string[] = [COMPOSE_FILE]): Compose {
  const [first, ...rest] = files.map(readComposeFile);
  const merged: Compose = JSON.parse(JSON.stringify(first)) as Compose;
  for (const over of rest) {
    for (const [name, s] of Object.entries(over.services ?? {})) {
      merged.services[name] = merged.services[name] ? (mergeService(merged.services[name] as Dict, s as Dict) as Service) : s;
    }
    if (over.networks) merged.networks = mergeDicts((merged.networks ?? {}) as Dict, over.networks as Dict) as Compose['networks'];
    if (over.volumes) merged.volumes = mergeDicts((merged.volumes ?? {}) as Dict, over.volumes as Dict);
  }
  return merged;
}

export const networksOf = (s: Service): string[] => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));

/** A service's environment as the container sees it, with `shell` as the variables set in the shell or .env. */
export const resolvedEnv = (s: Service, shell: Record<string, string> = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''), shell)]));

/** The services `up` starts with the profiles given (those without profiles always). */
export const activeServices = (c: Compose, profiles: string[] = []): string[] =>
  Object.entries(c.services)
    .filter(([, s]) => !s.profiles || s.profiles.some((p) => profiles.includes(p)))
    .map(([n]) => n);

/** Services in an order where each comes after what it depends on. */
export function startOrder(c: Compose, names: string[]): string[] {
  const out: string[] = [];
  const visit = (n: string, seen: string[]) => {
    if (out.includes(n)) return;
    if (seen.includes(n)) throw new Error(`dependency cycle: ${[...seen, n].join(' → ')}`);
    const deps = c.services[n]?.depends_on;
    for (const d of Array.isArray(deps) ? deps : Object.keys(deps ?? {})) visit(d, [...seen, n]);
    out.push(n);
  };
  for (const n of names) visit(n, []);
  return out;
}
