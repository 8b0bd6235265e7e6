import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One line of the results table. `higherIsBetter` decides how `target` is compared. */
export interface Row {
  name: string;
  unit: string;
  value: number | null;
  baseline: number | null;
  baselineLabel: string;
  /** value / baseline, when both exist. */
  ratio: number | null;
  /** Human-readable target, e.g. "≥ 80 % of baseline", "≤ 5 ms"; empty for information only. */
  target: string;
  /** true = pass, false = miss, null = information only / not measured. */
  pass: boolean | null;
  note?: string;
}

export function row(r: Omit<Row, 'ratio'> & { ratio?: number | null }): Row {
  const ratio = r.ratio !== undefined ? r.ratio : r.value !== null && r.baseline !== null && r.baseline !== 0 ? r.value / r.baseline : null;
  return { ...r, ratio };
}

export function missing(name: string, target: string, reason: string): Row {
  return { name, unit: '', value: null, baseline: null, baselineLabel: '', ratio: null, target, pass: null, note: `NOT MEASURED: ${reason}` };
}

function fmt(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const s = abs >= 1000 ? Math.round(v).toLocaleString('en-US') : abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

export function formatRows(rows: readonly Row[]): string[][] {
  return rows.map((r) => [
    r.name,
    fmt(r.value, r.unit),
    r.baseline === null ? '—' : `${fmt(r.baseline, r.unit)}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`,
    r.ratio === null || !Number.isFinite(r.ratio) ? '—' : r.ratio >= 10 ? `${r.ratio.toFixed(1)}×` : `${r.ratio.toFixed(2)}×`,
    r.target || '—',
    r.pass === null ? (r.note?.startsWith('NOT MEASURED') ? 'n/a' : 'info') : r.pass ? 'pass' : 'MISS',
  ]);
}

const HEAD = ['benchmark', 'value', 'baseline (same run)', 'ratio', 'target', 'result'];

export function renderTable(rows: readonly Row[]): string {
  const cells = [HEAD, ...formatRows(rows)];
  const widths = HEAD.map((_, i) => Math.max(...cells.map((c) => [...c[i]].length)));
  const line = (c: string[]) => c.map((v, i) => v + ' '.repeat(widths[i] - [...v].length)).join(' | ');
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(HEAD), sep, ...cells.slice(1).map(line)].join('\n');
}

export function renderMarkdown(rows: readonly Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`, ...formatRows(rows).map((c) => `| ${c.map(esc).join(' | ')} |`)].join('\n');
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramBytes: number;
  ramGiB: number;
  node: string;
  platform: string;
  kernel: string;
  date: string;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews every figure. */
  loadAvgAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramBytes: os.totalmem(),
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    date: new Date().toISOString(),
    loadAvgAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'results');

export function writeResult(name: string, value: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}
