// Market overview: breadth and the mover lists. List items are kept and only their text changes, so a symbol
// button that has keyboard focus keeps it across generations.
import type { Mover, OverviewData, SymbolRow } from './types.js';
import { h, setClass, setSegment, setText, setTitle } from './dom.js';
import { fmtCompact, fmtDelta, fmtFunding, fmtPct, fmtScore, plural } from './format.js';
import { toneOf } from './table-model.js';

type ListKey = 'gainers' | 'losers' | 'strongest' | 'weakest' | 'scoreMovers' | 'fundingHighest' | 'fundingLowest';

interface ListDef {
  key: ListKey;
  title: string;
  value(m: Mover): { text: string; cls: string };
  /** Why the list is empty although the table has rows. */
  emptyWithData(rows: readonly SymbolRow[], pending: number): string;
}

const DIR_ICON = { Bullish: '▲', Bearish: '▼', Neutral: '◆' } as const;

function sign(v: number | null): string {
  return v === null || v === 0 ? 'flat' : v > 0 ? 'up' : 'down';
}

function scoreValue(m: Mover): { text: string; cls: string } {
  return { text: `${m.direction ? DIR_ICON[m.direction] : ''} ${fmtScore(m.score)}`.trim(), cls: toneOf(m.direction) ?? 'flat' };
}

const anyChange = (rows: readonly SymbolRow[]): boolean => rows.some((r) => r.change24h !== null);
const noScores = (_rows: readonly SymbolRow[], pending: number): string =>
  pending > 0 ? `No symbol scored yet — ${plural(pending, 'symbol')} warming up` : 'No symbol has a score yet';
const noFunding = (): string => 'No funding rate received yet';

const LISTS: ListDef[] = [
  {
    key: 'gainers',
    title: 'Top gainers 24h',
    value: (m) => ({ text: fmtPct(m.change24h), cls: sign(m.change24h) }),
    emptyWithData: (rows) => (anyChange(rows) ? 'No symbol is up over 24 h' : 'No 24 h change received yet'),
  },
  {
    key: 'losers',
    title: 'Top losers 24h',
    value: (m) => ({ text: fmtPct(m.change24h), cls: sign(m.change24h) }),
    emptyWithData: (rows) => (anyChange(rows) ? 'No symbol is down over 24 h' : 'No 24 h change received yet'),
  },
  { key: 'strongest', title: 'Strongest scores', value: scoreValue, emptyWithData: noScores },
  { key: 'weakest', title: 'Weakest scores', value: scoreValue, emptyWithData: noScores },
  {
    key: 'scoreMovers',
    title: 'Score movers 15m',
    value: (m) => ({ text: fmtDelta(m.scoreDelta), cls: sign(m.scoreDelta) }),
    emptyWithData: (rows) =>
      rows.some((r) => r.scoreChange15m !== undefined && r.scoreChange15m !== null)
        ? 'No score has moved over the last 15 minutes'
        : 'Not known yet — the score history is younger than 15 minutes',
  },
  {
    key: 'fundingHighest',
    title: 'Highest funding /8h',
    value: (m) => ({ text: fmtFunding(m.funding8h ?? m.fundingRate), cls: sign(m.funding8h ?? m.fundingRate) }),
    emptyWithData: noFunding,
  },
  {
    key: 'fundingLowest',
    title: 'Lowest funding /8h',
    value: (m) => ({ text: fmtFunding(m.funding8h ?? m.fundingRate), cls: sign(m.funding8h ?? m.fundingRate) }),
    emptyWithData: noFunding,
  },
];

interface ItemView {
  li: HTMLLIElement;
  btn: HTMLButtonElement;
  val: HTMLElement;
}

interface ListView {
  def: ListDef;
  list: HTMLOListElement;
  empty: HTMLElement;
  items: ItemView[];
}

export class OverviewPanel {
  private readonly lists: ListView[] = [];
  private readonly bull: HTMLElement;
  private readonly neutral: HTMLElement;
  private readonly bear: HTMLElement;
  private readonly bullN: HTMLElement;
  private readonly neutralN: HTMLElement;
  private readonly bearN: HTMLElement;
  private readonly mean: HTMLElement;
  private readonly scored: HTMLElement;
  private readonly turnover: HTMLElement;
  private readonly breadthEmpty: HTMLElement;

  constructor(container: HTMLElement, open: (symbol: string) => void) {
    this.bull = h('span', { class: 'breadth-seg bull' });
    this.neutral = h('span', { class: 'breadth-seg neutral' });
    this.bear = h('span', { class: 'breadth-seg bear' });
    this.bullN = h('span', { class: 'v' });
    this.neutralN = h('span', { class: 'v' });
    this.bearN = h('span', { class: 'v' });
    this.mean = h('span', { class: 'v' });
    this.scored = h('span', { class: 'v' });
    this.turnover = h('span', { class: 'v' });
    this.breadthEmpty = h('p', { class: 'empty' });
    const breadth = h(
      'section',
      { class: 'card breadth', attrs: { 'aria-labelledby': 'breadth-h' } },
      h('h3', { text: 'Breadth', attrs: { id: 'breadth-h' } }),
      h('div', { class: 'breadth-bar', attrs: { 'aria-hidden': 'true' } }, this.bull, this.neutral, this.bear),
      h(
        'dl',
        { class: 'kv' },
        h(
          'div',
          { class: 'kv-row bull' },
          h('dt', {}, h('span', { class: 'dir-icon', text: '▲', attrs: { 'aria-hidden': 'true' } }), ' Bullish'),
          h('dd', {}, this.bullN),
        ),
        h(
          'div',
          { class: 'kv-row neutral' },
          h('dt', {}, h('span', { class: 'dir-icon', text: '◆', attrs: { 'aria-hidden': 'true' } }), ' Neutral'),
          h('dd', {}, this.neutralN),
        ),
        h(
          'div',
          { class: 'kv-row bear' },
          h('dt', {}, h('span', { class: 'dir-icon', text: '▼', attrs: { 'aria-hidden': 'true' } }), ' Bearish'),
          h('dd', {}, this.bearN),
        ),
        h('div', { class: 'kv-row' }, h('dt', { text: 'Mean score' }), h('dd', {}, this.mean)),
        h('div', { class: 'kv-row' }, h('dt', { text: 'Scored' }), h('dd', {}, this.scored)),
        h('div', { class: 'kv-row' }, h('dt', { text: 'Turnover 24h' }), h('dd', {}, this.turnover)),
      ),
      this.breadthEmpty,
    );
    container.appendChild(breadth);
    for (const def of LISTS) {
      const id = `ov-${def.key}-h`;
      const list = h('ol', { class: 'movers' });
      const empty = h('p', { class: 'empty' });
      container.appendChild(
        h(
          'section',
          { class: `card movers-card ${def.key}`, attrs: { 'aria-labelledby': id, 'data-list': def.key } },
          h('h3', { text: def.title, attrs: { id } }),
          list,
          empty,
        ),
      );
      this.lists.push({ def, list, empty, items: [] });
    }
    container.addEventListener('click', (e) => {
      const btn = (e.target as Element).closest('button[data-symbol]');
      if (btn) open((btn as HTMLElement).dataset.symbol as string);
    });
  }

  /** `noDataReason` is shown everywhere when there is no overview at all. */
  render(overview: OverviewData | null, rows: readonly SymbolRow[], pending: number, noDataReason: string): void {
    const hasData = overview !== null && overview.symbolCount > 0;
    const b = overview?.breadth;
    const scored = b ? b.bullish + b.bearish + b.neutral : 0;
    const bullPct = b && scored ? (b.bullish / scored) * 100 : 0;
    const neutralPct = b && scored ? (b.neutral / scored) * 100 : 0;
    setSegment(this.bull, 0, bullPct);
    setSegment(this.neutral, bullPct, neutralPct);
    setSegment(this.bear, bullPct + neutralPct, b && scored ? (b.bearish / scored) * 100 : 0);
    setText(this.bullN, b ? String(b.bullish) : '—');
    setText(this.neutralN, b ? String(b.neutral) : '—');
    setText(this.bearN, b ? String(b.bearish) : '—');
    setText(this.mean, fmtScore(b?.meanScore ?? null));
    setText(this.scored, overview ? `${overview.scoredCount}/${overview.symbolCount}` : '—');
    setText(this.turnover, overview ? fmtCompact(overview.totalTurnover24h, '$') : '—');
    setText(this.breadthEmpty, hasData ? '' : noDataReason);
    this.breadthEmpty.hidden = hasData;

    for (const lv of this.lists) {
      const movers = overview ? overview[lv.def.key] : [];
      const emptyText = movers.length > 0 ? '' : hasData ? lv.def.emptyWithData(rows, pending) : noDataReason;
      movers.forEach((m, i) => {
        let item = lv.items[i];
        if (!item) {
          const btn = h('button', { class: 'mover-sym', attrs: { type: 'button' } });
          const val = h('span', { class: 'mover-val' });
          item = { li: h('li', {}, btn, val), btn, val };
          lv.items.push(item);
          lv.list.appendChild(item.li);
        }
        const v = lv.def.value(m);
        setText(item.btn, m.symbol);
        if (item.btn.dataset.symbol !== m.symbol) item.btn.dataset.symbol = m.symbol;
        setTitle(item.btn, `Open ${m.symbol}`);
        setText(item.val, v.text);
        setClass(item.val, `mover-val ${v.cls}`);
      });
      for (const item of lv.items.splice(movers.length)) item.li.remove();
      setText(lv.empty, emptyText);
      lv.empty.hidden = emptyText === '';
    }
  }
}
