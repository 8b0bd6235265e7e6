// The symbols table: keyed rows updated cell by cell, so a 500-row table costs only what changed each generation.
import type { ComponentName, SymbolRow } from './types.js';
import { COMPONENTS, COMPONENT_LABELS } from './types.js';
import { h, setBarWidth, setClass, setDivergingBar, setText, setTitle } from './dom.js';
import { fmtAge, fmtCompact, fmtDelta, fmtFunding, fmtPct, fmtPrice, fmtScore, fmtShare } from './format.js';
import type { SortKey, TableQuery } from './table-model.js';
import { applyQuery, band, crossedInto, defaultOrder, openInterestValue } from './table-model.js';

interface ColumnDef {
  key: SortKey;
  label: string;
  title: string;
  cls: string;
}

const COLUMNS: ColumnDef[] = [
  { key: 'symbol', label: 'Symbol', title: 'Symbol', cls: 'c-sym' },
  { key: 'price', label: 'Price', title: 'Last price', cls: 'c-price num' },
  { key: 'change24h', label: '24h', title: 'Price change over 24 hours', cls: 'c-chg num' },
  { key: 'score', label: 'Score', title: 'Confluence score, 0–100 (Bullish ≥ 60, Bearish ≤ 40)', cls: 'c-score' },
  { key: 'direction', label: 'Direction', title: 'Direction from the score', cls: 'c-dir' },
  { key: 'confidence', label: 'Conf', title: 'Confidence: agreement and completeness of the inputs', cls: 'c-conf num' },
  ...COMPONENTS.map((c) => ({ key: c as SortKey, label: COMPONENT_LABELS[c].short, title: `${COMPONENT_LABELS[c].long} component, 0–100`, cls: 'c-comp' })),
  { key: 'fundingRate', label: 'Funding', title: 'Funding rate per interval', cls: 'c-fund num' },
  { key: 'openInterest', label: 'OI', title: 'Open interest (USDT)', cls: 'c-oi num' },
  { key: 'turnover24h', label: 'Turnover', title: '24 h turnover (USDT)', cls: 'c-turn num' },
  { key: 'updatedAt', label: 'Upd', title: 'Time since the market data behind the row last changed', cls: 'c-age num' },
  { key: 'lastMove', label: 'Why it moved', title: 'The last score move and its largest causes', cls: 'c-why' },
];

export const COLUMN_COUNT = COLUMNS.length;

const DIRECTION_ICON = { Bullish: '▲', Bearish: '▼', Neutral: '◆' } as const;
const FLASH_MS = 4_000;

interface CompCell {
  td: HTMLTableCellElement;
  num: HTMLElement;
  fill: HTMLElement;
}

interface RowView {
  tr: HTMLTableRowElement;
  sym: HTMLElement;
  resync: HTMLElement;
  price: HTMLElement;
  change: HTMLElement;
  scoreNum: HTMLElement;
  scoreFill: HTMLElement;
  dir: HTMLElement;
  dirIcon: HTMLElement;
  dirWord: HTMLElement;
  dirStrength: HTMLElement;
  conf: HTMLElement;
  comps: Record<ComponentName, CompCell>;
  funding: HTMLElement;
  oi: HTMLElement;
  turnover: HTMLElement;
  age: HTMLElement;
  why: HTMLElement;
  row: SymbolRow | null;
  flashTimer: number | undefined;
}

export interface TableCallbacks {
  open(symbol: string): void;
  sortChanged(query: TableQuery): void;
}

export interface RenderStats {
  renders: number;
  lastRenderMs: number;
  maxRenderMs: number;
  rows: number;
}

function signClass(v: number | null): string {
  return v === null || v === 0 ? 'flat' : v > 0 ? 'up' : 'down';
}

export class SymbolsTable {
  private readonly views = new Map<string, RowView>();
  private readonly headers = new Map<SortKey, HTMLTableCellElement>();
  private rows: SymbolRow[] = [];
  private visible: RowView[] = [];
  private activeSymbol: string | null = null;
  readonly stats: RenderStats = { renders: 0, lastRenderMs: 0, maxRenderMs: 0, rows: 0 };

  constructor(
    private readonly table: HTMLTableElement,
    private readonly tbody: HTMLTableSectionElement,
    private query: TableQuery,
    private readonly cb: TableCallbacks,
  ) {
    this.buildHeader();
    tbody.addEventListener('click', (e) => {
      const tr = (e.target as Element).closest('tr[data-symbol]');
      if (tr) this.cb.open((tr as HTMLElement).dataset.symbol as string);
    });
    tbody.addEventListener('keydown', (e) => this.onKey(e));
    tbody.addEventListener('focusin', (e) => {
      const tr = (e.target as Element).closest('tr[data-symbol]');
      if (tr) this.setActive((tr as HTMLElement).dataset.symbol as string);
    });
  }

  get currentQuery(): TableQuery {
    return this.query;
  }

  get visibleCount(): number {
    return this.visible.length;
  }

  get totalCount(): number {
    return this.rows.length;
  }

  setQuery(query: TableQuery): void {
    this.query = query;
    this.updateHeaderSort();
    this.sync();
  }

  /** New rows of a generation (or of a time-travel minute). `animate` is false when the rows are not a continuation. */
  render(rows: SymbolRow[], animate: boolean): void {
    const t0 = performance.now();
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.symbol);
      let v = this.views.get(r.symbol);
      if (!v) {
        v = this.createRow(r.symbol);
        this.views.set(r.symbol, v);
      }
      this.updateRow(v, r, animate);
    }
    for (const [sym, v] of this.views) {
      if (!seen.has(sym)) {
        window.clearTimeout(v.flashTimer);
        v.tr.remove();
        this.views.delete(sym);
      }
    }
    this.rows = rows;
    this.sync();
    const ms = performance.now() - t0;
    this.stats.renders++;
    this.stats.lastRenderMs = ms;
    this.stats.maxRenderMs = Math.max(this.stats.maxRenderMs, ms);
    this.stats.rows = rows.length;
  }

  /** Re-computes the ticking age cells of the visible rows. */
  tick(now: number): void {
    for (const v of this.visible) if (v.row) setText(v.age, fmtAge(now - v.row.updatedAt));
  }

  focusActive(): void {
    const v = this.activeSymbol ? this.views.get(this.activeSymbol) : undefined;
    (v ?? this.visible[0])?.tr.focus();
  }

  focusSymbol(symbol: string): void {
    const v = this.views.get(symbol);
    if (v && v.tr.isConnected) {
      this.setActive(symbol);
      v.tr.focus({ preventScroll: false });
    }
  }

  private buildHeader(): void {
    const thead = this.table.tHead ?? this.table.createTHead();
    const tr = h('tr');
    for (const col of COLUMNS) {
      const btn = h('button', { class: 'sort-btn', text: col.label, title: `${col.title} — click to sort`, attrs: { type: 'button' } });
      btn.appendChild(h('span', { class: 'sort-ind', attrs: { 'aria-hidden': 'true' } }));
      btn.addEventListener('click', () => {
        const q = this.query;
        const order = q.sort === col.key ? (q.order === 'asc' ? 'desc' : 'asc') : defaultOrder(col.key);
        this.query = { ...q, sort: col.key, order };
        this.updateHeaderSort();
        this.sync();
        this.cb.sortChanged(this.query);
      });
      const th = h('th', { class: col.cls, attrs: { scope: 'col', 'data-key': col.key } }, btn);
      this.headers.set(col.key, th);
      tr.appendChild(th);
    }
    thead.replaceChildren(tr);
    this.updateHeaderSort();
  }

  private updateHeaderSort(): void {
    for (const [key, th] of this.headers) {
      if (key === this.query.sort) th.setAttribute('aria-sort', this.query.order === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  private createRow(symbol: string): RowView {
    const tr = h('tr', { class: 'row', attrs: { tabindex: '-1', 'data-symbol': symbol } });
    const sym = h('span', { class: 'sym', text: symbol });
    const resync = h('span', { class: 'tag tag-resync', text: 'resyncing', title: 'The order book or feed is resyncing: the score is withheld until it is consistent again' });
    resync.hidden = true;
    tr.appendChild(h('th', { class: 'c-sym', attrs: { scope: 'row' } }, sym, resync));
    const price = h('td', { class: 'c-price num' });
    const change = h('td', { class: 'c-chg num' });
    const scoreNum = h('span', { class: 'score-num' });
    const scoreFill = h('span', { class: 'bar-fill' });
    const scoreTd = h('td', { class: 'c-score' }, h('span', { class: 'score-cell' }, scoreNum, h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, scoreFill)));
    const dirIcon = h('span', { class: 'dir-icon', attrs: { 'aria-hidden': 'true' } });
    const dirWord = h('span', { class: 'dir-word' });
    const dirStrength = h('span', { class: 'dir-strength' });
    const dir = h('span', { class: 'dir' }, dirIcon, dirWord, dirStrength);
    const conf = h('td', { class: 'c-conf num' });
    tr.append(price, change, scoreTd, h('td', { class: 'c-dir' }, dir), conf);
    const comps = {} as Record<ComponentName, CompCell>;
    for (const c of COMPONENTS) {
      const num = h('span', { class: 'mini-num' });
      const fill = h('span', { class: 'mini-fill' });
      const td = h('td', { class: 'c-comp' }, num, h('span', { class: 'mini', attrs: { 'aria-hidden': 'true' } }, fill));
      comps[c] = { td, num, fill };
      tr.appendChild(td);
    }
    const funding = h('td', { class: 'c-fund num' });
    const oi = h('td', { class: 'c-oi num' });
    const turnover = h('td', { class: 'c-turn num' });
    const age = h('td', { class: 'c-age num' });
    const why = h('span', { class: 'why' });
    tr.append(funding, oi, turnover, age, h('td', { class: 'c-why' }, why));
    return { tr, sym, resync, price, change, scoreNum, scoreFill, dir, dirIcon, dirWord, dirStrength, conf, comps, funding, oi, turnover, age, why, row: null, flashTimer: undefined };
  }

  private updateRow(v: RowView, r: SymbolRow, animate: boolean): void {
    const p = v.row;
    if (!p || p.price !== r.price) setText(v.price, fmtPrice(r.price));
    if (!p || p.change24h !== r.change24h) {
      setText(v.change, fmtPct(r.change24h));
      setClass(v.change, `c-chg num ${signClass(r.change24h)}`);
    }
    if (!p || p.score !== r.score || p.dataOk !== r.dataOk) {
      const b = band(r.score);
      setText(v.scoreNum, r.score === null ? (r.dataOk ? '—' : 'held') : fmtScore(r.score));
      setBarWidth(v.scoreFill, r.score ?? 0);
      setClass(v.scoreFill, `bar-fill ${b ?? 'none'}`);
    }
    if (!p || p.direction !== r.direction || p.strength !== r.strength || p.dataOk !== r.dataOk) {
      const d = r.direction;
      setText(v.dirIcon, d ? DIRECTION_ICON[d] : '·');
      setText(v.dirWord, d ?? (r.dataOk ? 'No score' : 'Withheld'));
      setText(v.dirStrength, r.strength === 'strong' && d !== 'Neutral' ? 'strong' : '');
      setClass(v.dir, `dir ${d ? d.toLowerCase() : 'none'}${r.strength === 'strong' ? ' strong' : ''}`);
    }
    if (!p || p.confidence !== r.confidence) setText(v.conf, fmtShare(r.confidence));
    for (const c of COMPONENTS) {
      const val = r.components[c];
      if (p && p.components[c] === val && p.dataOk === r.dataOk) continue;
      const cell = v.comps[c];
      const label = COMPONENT_LABELS[c].long;
      if (val === null) {
        setText(cell.num, '—');
        setClass(cell.td, 'c-comp null');
        setDivergingBar(cell.fill, 50);
        setTitle(cell.td, r.dataOk ? `${label}: no score — its inputs are missing (open the detail for the reason)` : `${label}: withheld while the data resyncs`);
      } else {
        setText(cell.num, Math.round(val).toString());
        setClass(cell.td, `c-comp ${band(val)}`);
        setDivergingBar(cell.fill, val);
        setTitle(cell.td, `${label}: ${fmtScore(val)}`);
      }
    }
    if (!p || p.fundingRate !== r.fundingRate) {
      setText(v.funding, fmtFunding(r.fundingRate));
      setClass(v.funding, `c-fund num ${signClass(r.fundingRate)}`);
    }
    if (!p || p.openInterestValue !== r.openInterestValue || p.openInterest !== r.openInterest || (r.openInterestValue === null && p.price !== r.price)) {
      setText(v.oi, fmtCompact(openInterestValue(r)));
      setTitle(v.oi, r.openInterest !== null ? `${r.openInterest.toLocaleString('en-US')} contracts` : '');
    }
    if (!p || p.turnover24h !== r.turnover24h) setText(v.turnover, fmtCompact(r.turnover24h));
    if (!p || p.lastMove?.summary !== r.lastMove?.summary || p.lastMove?.delta !== r.lastMove?.delta) {
      const m = r.lastMove;
      setText(v.why, m ? m.summary : '');
      setClass(v.why, `why ${m ? signClass(m.delta) : ''}`);
      setTitle(v.why, m ? [`${fmtScore(m.from)} → ${fmtScore(m.to)} (${fmtDelta(m.delta)})`, ...m.parts.map((x) => `${x.component} ${fmtDelta(x.delta)}: ${x.cause}`)].join('\n') : '');
    }
    if (!p || p.dataOk !== r.dataOk) {
      v.resync.hidden = r.dataOk;
      v.tr.classList.toggle('resyncing', !r.dataOk);
    }
    if (animate && p) {
      const into = crossedInto(p.score, r.score);
      if (into) this.flash(v, into);
    }
    v.row = r;
  }

  private flash(v: RowView, into: string): void {
    window.clearTimeout(v.flashTimer);
    v.tr.classList.remove('flash-bull', 'flash-bear', 'flash-neutral');
    // Restart the CSS animation when a row crosses again while still highlighted.
    void v.tr.offsetWidth;
    v.tr.classList.add(`flash-${into}`);
    v.tr.dataset.crossed = into;
    v.flashTimer = window.setTimeout(() => {
      v.tr.classList.remove(`flash-${into}`);
      delete v.tr.dataset.crossed;
    }, FLASH_MS);
  }

  /** Puts the visible rows in order with the fewest DOM moves, keeping keyboard focus where it was. */
  private sync(): void {
    const focused = document.activeElement instanceof HTMLTableRowElement && this.tbody.contains(document.activeElement) ? document.activeElement : null;
    const ordered = applyQuery(this.rows, this.query);
    const want: RowView[] = [];
    for (const r of ordered) {
      const v = this.views.get(r.symbol);
      if (v) want.push(v);
    }
    const tb = this.tbody;
    let cursor = tb.firstElementChild;
    for (const v of want) {
      if (cursor === v.tr) {
        cursor = cursor.nextElementSibling;
      } else {
        tb.insertBefore(v.tr, cursor);
      }
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    this.visible = want;
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
    if (!this.activeSymbol || !this.views.get(this.activeSymbol)?.tr.isConnected) {
      this.setActive(want[0]?.row?.symbol ?? null);
    }
  }

  private setActive(symbol: string | null): void {
    if (symbol === this.activeSymbol && (symbol === null || this.views.get(symbol)?.tr.tabIndex === 0)) return;
    const prev = this.activeSymbol ? this.views.get(this.activeSymbol) : undefined;
    if (prev) prev.tr.tabIndex = -1;
    this.activeSymbol = symbol;
    const next = symbol ? this.views.get(symbol) : undefined;
    if (next) next.tr.tabIndex = 0;
  }

  private onKey(e: KeyboardEvent): void {
    const tr = (e.target as Element).closest('tr[data-symbol]') as HTMLTableRowElement | null;
    if (!tr) return;
    const i = this.visible.findIndex((v) => v.tr === tr);
    let target = -1;
    switch (e.key) {
      case 'ArrowDown':
        target = Math.min(this.visible.length - 1, i + 1);
        break;
      case 'ArrowUp':
        target = Math.max(0, i - 1);
        break;
      case 'PageDown':
        target = Math.min(this.visible.length - 1, i + 10);
        break;
      case 'PageUp':
        target = Math.max(0, i - 10);
        break;
      case 'Home':
        target = 0;
        break;
      case 'End':
        target = this.visible.length - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.cb.open(tr.dataset.symbol as string);
        return;
      default:
        return;
    }
    e.preventDefault();
    const v = this.visible[target];
    if (v) {
      this.setActive(v.row?.symbol ?? null);
      v.tr.focus();
    }
  }
}
