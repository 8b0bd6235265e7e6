// The symbols table: keyed rows updated cell by cell, so a 500-row table costs only what changed each generation.
// Rows are ARIA table rows built from divs, not <tr>: only block rows can use `content-visibility: auto`, which lets
// the browser skip style, layout and paint for the hundreds of rows scrolled out of view.
import type { ComponentName, SymbolRow } from './types.js';
import { COMPONENTS, COMPONENT_LABELS } from './types.js';
import { Txt, h, setBarFill, setClass, setDivergingBar, setTitle } from './dom.js';
import { fmtAgeShort, fmtCompact, fmtDelta, fmtFunding, fmtPct, fmtPrice, fmtScore, fmtShare, fundingDetail, fundingPer8h } from './format.js';
import type { Band, SortKey, TableQuery } from './table-model.js';
import { applyQuery, band, crossedInto, defaultOrder, openInterestValue, toneOf } from './table-model.js';

/** One column's cells in one row: built once, then given each new version of the row. */
interface CellView {
  update(r: SymbolRow, prev: SymbolRow | null, now: number): void;
  /** Re-computes a cell that shows a time since something, every second. */
  tick?(r: SymbolRow, now: number): void;
}

/**
 * A column of the table: its header (label, tooltip), its sort key (the shared rule that ranks rows by it, for the
 * table and the API alike), its class and how its cells are drawn. The header, the cells, sorting and the tooltips
 * all come from this list: adding a column is adding one entry (and, for a new sort key, its rule in
 * `@confluence/contracts/rules`).
 */
interface Column {
  readonly key: SortKey;
  readonly label: string;
  readonly title: string;
  readonly cls: string;
  readonly rowHeader?: boolean;
  cell(td: HTMLElement, symbol: string): CellView;
}

const NULL_TITLE = 'no score — its inputs are missing (open the detail for the reason)';
const WITHHELD_TITLE = 'withheld while the data resyncs';
const DIRECTION_ICON = { Bullish: '▲', Bearish: '▼', Neutral: '◆' } as const;

function signClass(v: number | null): string {
  return v === null || v === 0 ? 'flat' : v > 0 ? 'up' : 'down';
}

/** A cell of plain text, redrawn when `changed` says its inputs moved. */
function textCell(text: (r: SymbolRow) => string, changed: (r: SymbolRow, p: SymbolRow) => boolean) {
  return (td: HTMLElement): CellView => {
    const t = new Txt(td);
    return { update: (r, p) => (!p || changed(r, p) ? t.set(text(r)) : undefined) };
  };
}

/** A number coloured by its sign (up, down, flat), with an optional tooltip. */
function signedCell(
  cls: string,
  value: (r: SymbolRow) => number | null,
  text: (v: number | null) => string,
  changed: (r: SymbolRow, p: SymbolRow) => boolean,
  title?: (r: SymbolRow) => string,
) {
  return (td: HTMLElement): CellView => {
    const t = new Txt(td);
    return {
      update(r, p) {
        if (p && !changed(r, p)) return;
        const v = value(r);
        t.set(text(v));
        setClass(td, `cell ${cls} ${signClass(v)}`);
        if (title) setTitle(td, title(r));
      },
    };
  };
}

/** A time since something, recomputed every tick. */
function ageCell(since: (r: SymbolRow) => number | null | undefined) {
  return (td: HTMLElement): CellView => {
    const t = new Txt(td);
    const draw = (r: SymbolRow, now: number) => {
      const at = since(r);
      t.set(at === null || at === undefined ? '—' : fmtAgeShort(now - at));
    };
    return { update: (r, _p, now) => draw(r, now), tick: draw };
  };
}

function scoreCell(td: HTMLElement): CellView {
  const numEl = h('span', { class: 'score-num' });
  const fill = h('span', { class: 'bar-fill' });
  td.appendChild(h('span', { class: 'score-cell' }, numEl, h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, fill)));
  const num = new Txt(numEl);
  return {
    update(r, p) {
      if (!p || p.score !== r.score || p.dataOk !== r.dataOk) {
        num.set(r.score === null ? (r.dataOk ? '—' : 'held') : fmtScore(r.score));
        setBarFill(fill, r.score ?? 0);
      }
      if (!p || p.direction !== r.direction) setClass(fill, `bar-fill ${toneOf(r.direction) ?? 'none'}`);
    },
  };
}

function directionCell(td: HTMLElement): CellView {
  const iconEl = h('span', { class: 'dir-icon', attrs: { 'aria-hidden': 'true' } });
  const wordEl = h('span', { class: 'dir-word' });
  const strengthEl = h('span', { class: 'dir-strength' });
  const dir = h('span', { class: 'dir' }, iconEl, wordEl, strengthEl);
  td.appendChild(dir);
  const [icon, word, strength] = [new Txt(iconEl), new Txt(wordEl), new Txt(strengthEl)];
  return {
    update(r, p) {
      if (!p || p.direction !== r.direction || p.strength !== r.strength || p.dataOk !== r.dataOk) {
        const d = r.direction;
        icon.set(!r.dataOk ? '↻' : d ? DIRECTION_ICON[d] : '·');
        word.set(!r.dataOk ? 'Resyncing' : (d ?? 'No score'));
        strength.set(r.dataOk && r.strength === 'strong' && d !== 'Neutral' ? 'strong' : '');
        setClass(dir, !r.dataOk ? 'dir resync' : `dir ${d ? d.toLowerCase() : 'none'}${r.strength === 'strong' ? ' strong' : ''}`);
      }
      if (!p || p.dataOk !== r.dataOk) setTitle(dir, r.dataOk ? '' : 'The order book or feed is resyncing: the score is withheld until it is consistent again');
    },
  };
}

function componentCell(c: ComponentName) {
  return (td: HTMLElement): CellView => {
    const numEl = h('span', { class: 'mini-num' });
    const fill = h('span', { class: 'mini-fill' });
    td.append(numEl, h('span', { class: 'mini', attrs: { 'aria-hidden': 'true' } }, fill));
    const num = new Txt(numEl);
    const label = COMPONENT_LABELS[c].long;
    return {
      update(r, p) {
        const val = r.components[c];
        if (p && p.components[c] === val && p.dataOk === r.dataOk) return;
        if (val === null) {
          num.set('—');
          setClass(td, 'cell c-comp null');
          setDivergingBar(fill, 50);
          setTitle(td, `${label}: ${r.dataOk ? NULL_TITLE : WITHHELD_TITLE}`);
        } else {
          num.set(Math.round(val).toString());
          setClass(td, `cell c-comp ${band(val)}`);
          setDivergingBar(fill, val);
          // The value is on screen; a title is only needed to explain a missing one.
          if (p && p.components[c] === null) setTitle(td, '');
        }
      },
    };
  };
}

const COLUMNS: readonly Column[] = [
  {
    key: 'symbol',
    label: 'Symbol',
    title: 'Symbol',
    cls: 'c-sym',
    rowHeader: true,
    cell: (td, symbol) => {
      td.appendChild(h('span', { class: 'sym', text: symbol }));
      return { update: () => undefined };
    },
  },
  {
    key: 'price',
    label: 'Price',
    title: 'Last price',
    cls: 'c-price num',
    cell: textCell(
      (r) => fmtPrice(r.price, r.tickSize),
      (r, p) => p.price !== r.price || p.tickSize !== r.tickSize,
    ),
  },
  {
    key: 'change24h',
    label: '24h',
    title: 'Price change over 24 hours',
    cls: 'c-chg num',
    cell: signedCell(
      'c-chg num',
      (r) => r.change24h,
      (v) => fmtPct(v),
      (r, p) => p.change24h !== r.change24h,
    ),
  },
  { key: 'score', label: 'Score', title: 'Confluence score, 0–100 (Bullish ≥ 60, Bearish ≤ 40)', cls: 'c-score', cell: scoreCell },
  {
    key: 'direction',
    label: 'Direction',
    title: 'The published direction label: Bullish from 60 (held down to 57), Bearish from 40 (held up to 43), Neutral without enough data or agreement',
    cls: 'c-dir',
    cell: directionCell,
  },
  {
    key: 'confidence',
    label: 'Conf',
    title: 'Confidence: agreement and completeness of the inputs',
    cls: 'c-conf num',
    cell: textCell(
      (r) => fmtShare(r.confidence),
      (r, p) => p.confidence !== r.confidence,
    ),
  },
  ...COMPONENTS.map(
    (c): Column => ({ key: c, label: COMPONENT_LABELS[c].short, title: `${COMPONENT_LABELS[c].long} component, 0–100`, cls: 'c-comp', cell: componentCell(c) }),
  ),
  {
    key: 'fundingRate',
    label: 'Funding /8h',
    title:
      'Funding rate per 8 hours: the printed rate × 8 h ÷ the contract’s funding interval, so 1 h and 4 h contracts compare with 8 h ones. Hover a cell for the printed rate, the interval and the next funding time',
    cls: 'c-fund num',
    cell: signedCell(
      'c-fund num',
      fundingPer8h,
      fmtFunding,
      (r, p) => p.fundingRate !== r.fundingRate || p.funding?.rate8h !== r.funding?.rate8h || p.funding?.nextFundingTime !== r.funding?.nextFundingTime,
      (r) => fundingDetail(r, Date.now()),
    ),
  },
  {
    key: 'openInterest',
    label: 'OI',
    title: 'Open interest (USDT)',
    cls: 'c-oi num',
    cell: textCell(
      (r) => fmtCompact(openInterestValue(r)),
      (r, p) => p.openInterestValue !== r.openInterestValue || p.openInterest !== r.openInterest || (r.openInterestValue === null && p.price !== r.price),
    ),
  },
  {
    key: 'turnover24h',
    label: 'Turnover',
    title: '24 h turnover (USDT)',
    cls: 'c-turn num',
    cell: textCell(
      (r) => fmtCompact(r.turnover24h),
      (r, p) => p.turnover24h !== r.turnover24h,
    ),
  },
  { key: 'updatedAt', label: 'Upd', title: 'Time since the market data behind the row last changed', cls: 'c-age num', cell: ageCell((r) => r.updatedAt) },
  {
    key: 'change15m',
    label: 'Δ15m',
    title: 'Score change over the last 15 minutes (points)',
    cls: 'c-d15 num',
    cell: signedCell(
      'c-d15 num',
      (r) => r.scoreChange15m ?? null,
      fmtDelta,
      (r, p) => p.scoreChange15m !== r.scoreChange15m,
    ),
  },
  {
    key: 'change1h',
    label: 'Δ1h',
    title: 'Score change over the last hour (points)',
    cls: 'c-d1h num',
    cell: signedCell(
      'c-d1h num',
      (r) => r.scoreChange1h ?? null,
      fmtDelta,
      (r, p) => p.scoreChange1h !== r.scoreChange1h,
    ),
  },
  {
    key: 'directionSince',
    label: 'Held',
    title: 'How long the row has had its current direction label (open the row for what changed)',
    cls: 'c-held num',
    cell: ageCell((r) => r.directionSince),
  },
];

export const COLUMN_COUNT = COLUMNS.length;

const FLASH_MS = 4_000;
/** With reduced motion the table re-sorts by itself at most this often (the user's own sorts apply at once), and never flashes. */
export const REDUCED_MOTION_RESORT_MS = 30_000;

/** Why the row order is held still, if it is. */
export type FreezeReason = 'paused' | 'pointer' | 'focus' | 'reduced-motion';

export interface OrderState {
  frozen: FreezeReason | null;
  /** The live order differs from the one on screen (it applies when the freeze ends). */
  pending: boolean;
}

interface RowView {
  tr: HTMLElement;
  /** One per column, in COLUMNS order. */
  cells: CellView[];
  row: SymbolRow | null;
  flashTimer: number | undefined;
}

export interface TableCallbacks {
  open(symbol: string): void;
  sortChanged(query: TableQuery): void;
  orderChanged?(state: OrderState): void;
}

export interface RenderStats {
  renders: number;
  lastRenderMs: number;
  maxRenderMs: number;
  rows: number;
  /** Syncs that moved at least one row. */
  reorders: number;
}

export class SymbolsTable {
  private readonly views = new Map<string, RowView>();
  private readonly headers = new Map<SortKey, HTMLElement>();
  private rows: SymbolRow[] = [];
  private visible: RowView[] = [];
  private activeSymbol: string | null = null;
  /** Sort values each row is placed by: they follow the live ones only past the noise (see stableSortRows). */
  private held = new Map<string, number | string | null>();
  private heldFor = '';
  private pointerInside = false;
  private focusInside = false;
  private paused = false;
  private pending = false;
  private lastAutoSort = 0;
  private lastOrderState = '';
  private readonly reducedMotion: MediaQueryList | null = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
  readonly stats: RenderStats = { renders: 0, lastRenderMs: 0, maxRenderMs: 0, rows: 0, reorders: 0 };

  constructor(
    private readonly thead: HTMLElement,
    private readonly tbody: HTMLElement,
    private query: TableQuery,
    private readonly cb: TableCallbacks,
  ) {
    this.buildHeader();
    tbody.addEventListener('click', (e) => {
      const tr = (e.target as Element).closest('.row[data-symbol]');
      if (tr) this.cb.open((tr as HTMLElement).dataset.symbol as string);
    });
    tbody.addEventListener('keydown', (e) => this.onKey(e));
    tbody.addEventListener('focusin', (e) => {
      const tr = (e.target as Element).closest('.row[data-symbol]');
      if (tr) this.setActive((tr as HTMLElement).dataset.symbol as string);
      this.focusInside = true;
      this.orderStateChanged();
    });
    tbody.addEventListener('focusout', (e) => {
      const next = (e as FocusEvent).relatedTarget;
      if (next instanceof Node && tbody.contains(next)) return;
      this.focusInside = false;
      this.thaw();
    });
    // The order holds still while the pointer is over the rows (mouse, pen or a finger), so a row never moves under it.
    const area = (tbody.closest('.table-wrap') as HTMLElement | null) ?? tbody;
    area.addEventListener('pointerenter', () => {
      this.pointerInside = true;
      this.orderStateChanged();
    });
    area.addEventListener('pointerleave', () => {
      this.pointerInside = false;
      this.thaw();
    });
  }

  /** Why the order is held, if it is: the user's pause first, then the pointer, then keyboard focus. */
  get freezeReason(): FreezeReason | null {
    if (this.paused) return 'paused';
    if (this.pointerInside) return 'pointer';
    if (this.focusInside) return 'focus';
    return null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.thaw();
  }

  private thaw(): void {
    if (this.freezeReason === null && this.pending) this.sync(true);
    this.orderStateChanged();
  }

  private orderStateChanged(): void {
    const reduced = this.reducedMotion?.matches === true;
    const state: OrderState = { frozen: this.freezeReason ?? (reduced && this.pending ? 'reduced-motion' : null), pending: this.pending };
    const sig = `${state.frozen}:${state.pending}`;
    if (sig === this.lastOrderState) return;
    this.lastOrderState = sig;
    this.cb.orderChanged?.(state);
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

  /** A sort or filter the user chose applies at once, even while the order is held. */
  setQuery(query: TableQuery): void {
    this.query = query;
    this.updateHeaderSort();
    this.sync(true);
  }

  /** New rows of a generation (or of a time-travel minute). `animate` is false when the rows are not a continuation. */
  render(rows: SymbolRow[], animate: boolean, now: number): void {
    const t0 = performance.now();
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.symbol);
      let v = this.views.get(r.symbol);
      if (!v) {
        v = this.createRow(r.symbol);
        this.views.set(r.symbol, v);
      }
      const into = animate && v.row && this.reducedMotion?.matches !== true ? crossedInto(v.row.direction, r.direction) : null;
      this.updateRow(v, r, now);
      if (into) this.flash(v, into);
    }
    for (const [sym, v] of this.views) {
      if (!seen.has(sym)) {
        window.clearTimeout(v.flashTimer);
        v.tr.remove();
        this.views.delete(sym);
      }
    }
    this.rows = rows;
    // A new generation re-sorts by itself unless the order is held; rows of another minute (animate false) always do.
    this.sync(!animate);
    const ms = performance.now() - t0;
    this.stats.renders++;
    this.stats.lastRenderMs = ms;
    this.stats.maxRenderMs = Math.max(this.stats.maxRenderMs, ms);
    this.stats.rows = rows.length;
  }

  /** Re-computes the ticking age cells of the visible rows. */
  tick(now: number): void {
    for (const v of this.visible) {
      const r = v.row;
      if (!r) continue;
      for (const c of v.cells) c.tick?.(r, now);
    }
  }

  focusActive(): void {
    const v = this.activeSymbol ? this.views.get(this.activeSymbol) : undefined;
    (v ?? this.visible[0])?.tr.focus();
  }

  focusSymbol(symbol: string): void {
    const v = this.views.get(symbol);
    if (v?.tr.isConnected) {
      this.setActive(symbol);
      v.tr.focus({ preventScroll: false });
    }
  }

  private buildHeader(): void {
    const tr = h('div', { class: 'row head', attrs: { role: 'row' } });
    for (const col of COLUMNS) {
      const btn = h('button', { class: 'sort-btn', text: col.label, title: `${col.title} — click to sort`, attrs: { type: 'button' } });
      btn.appendChild(h('span', { class: 'sort-ind', attrs: { 'aria-hidden': 'true' } }));
      btn.addEventListener('click', () => {
        const q = this.query;
        const order = q.sort === col.key ? (q.order === 'asc' ? 'desc' : 'asc') : defaultOrder(col.key);
        this.query = { ...q, sort: col.key, order };
        this.updateHeaderSort();
        this.sync(true);
        this.cb.sortChanged(this.query);
      });
      const th = h('div', { class: `cell ${col.cls}`, attrs: { role: 'columnheader', 'data-key': col.key } }, btn);
      this.headers.set(col.key, th);
      tr.appendChild(th);
    }
    this.thead.replaceChildren(tr);
    this.updateHeaderSort();
  }

  private updateHeaderSort(): void {
    for (const [key, th] of this.headers) {
      if (key === this.query.sort) th.setAttribute('aria-sort', this.query.order === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  private createRow(symbol: string): RowView {
    const tr = h('div', { class: 'row', attrs: { role: 'row', tabindex: '-1', 'data-symbol': symbol } });
    const cells = COLUMNS.map((col) =>
      col.cell(tr.appendChild(h('div', { class: `cell ${col.cls}`, attrs: { role: col.rowHeader ? 'rowheader' : 'cell' } })), symbol),
    );
    return { tr, cells, row: null, flashTimer: undefined };
  }

  private updateRow(v: RowView, r: SymbolRow, now: number): void {
    const p = v.row;
    for (const c of v.cells) c.update(r, p, now);
    if (!p || p.dataOk !== r.dataOk) v.tr.classList.toggle('resyncing', !r.dataOk);
    v.row = r;
  }

  private flash(v: RowView, into: Band): void {
    window.clearTimeout(v.flashTimer);
    // A different class name restarts the CSS animation by itself: no forced reflow of a 500-row table.
    for (const b of ['bull', 'bear', 'neutral']) if (b !== into) v.tr.classList.remove(`flash-${b}`);
    v.tr.classList.add(`flash-${into}`);
    v.tr.dataset.crossed = into;
    v.flashTimer = window.setTimeout(() => {
      v.tr.classList.remove(`flash-${into}`);
      delete v.tr.dataset.crossed;
    }, FLASH_MS);
  }

  /**
   * Puts the visible rows in order with the fewest DOM moves (rows on a longest increasing run stay put). `force`
   * is a user action (sort, filter, another minute): it re-sorts even while the order is held.
   */
  private sync(force = false): void {
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && active.parentElement === this.tbody ? active : null;
    const sortKey = `${this.query.sort}:${this.query.order}`;
    if (sortKey !== this.heldFor) {
      this.held = new Map();
      this.heldFor = sortKey;
    }
    const ordered = applyQuery(this.rows, this.query, this.held);
    let want: RowView[] = [];
    for (const r of ordered) {
      const v = this.views.get(r.symbol);
      if (v) want.push(v);
    }
    const reduced = this.reducedMotion?.matches === true;
    const hold = !force && (this.freezeReason !== null || (reduced && performance.now() - this.lastAutoSort < REDUCED_MOTION_RESORT_MS));
    if (hold) {
      // Held: rows keep the places they have; rows new to the view go to the end until the order is released.
      const rank = new Map<RowView, number>();
      this.visible.forEach((v, i) => {
        rank.set(v, i);
      });
      const kept = want.filter((v) => rank.has(v)).sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number));
      const fresh = want.filter((v) => !rank.has(v));
      const next = [...kept, ...fresh];
      this.pending = next.some((v, i) => v !== want[i]);
      want = next;
    } else {
      this.pending = false;
      if (!force) this.lastAutoSort = performance.now();
    }
    const wanted = new Set<Element>(want.map((v) => v.tr));
    const current: Element[] = [];
    for (const el of Array.from(this.tbody.children)) {
      if (wanted.has(el)) current.push(el);
      else el.remove();
    }
    const position = new Map<Element, number>();
    current.forEach((el, i) => {
      position.set(el, i);
    });
    const stay = stableRows(want.map((v) => position.get(v.tr) ?? -1));
    let next: Element | null = null;
    let moved = false;
    for (let i = want.length - 1; i >= 0; i--) {
      const tr = want[i].tr;
      if (!stay.has(i)) {
        this.tbody.insertBefore(tr, next);
        moved = true;
      }
      next = tr;
    }
    if (moved) this.stats.reorders++;
    this.visible = want;
    this.orderStateChanged();
    if (focused?.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
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
    const tr = (e.target as Element).closest('.row[data-symbol]') as HTMLElement | null;
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

/**
 * Indexes (into `positions`) of a longest strictly increasing subsequence, ignoring -1 (rows not yet in the DOM):
 * those rows are already in the right relative order, so only the others have to move.
 */
export function stableRows(positions: readonly number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(positions.length).fill(-1);
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i];
    if (p < 0) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (positions[tails[mid]] < p) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) out.add(i);
  return out;
}
