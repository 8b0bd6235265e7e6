// Market overview: breadth and the mover lists. Small, so each list is rebuilt only when its content changed.
import type { Mover, OverviewData, SymbolRow } from './types.js';
import { h, setBarWidth, setText } from './dom.js';
import { fmtCompact, fmtDelta, fmtFunding, fmtPct, fmtScore, plural } from './format.js';
import { band } from './table-model.js';

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
  return { text: `${m.direction ? DIR_ICON[m.direction] : ''} ${fmtScore(m.score)}`.trim(), cls: band(m.score) ?? 'flat' };
}

const anyChange = (rows: readonly SymbolRow[]): boolean => rows.some((r) => r.change24h !== null);
const noScores = (_rows: readonly SymbolRow[], pending: number): string => (pending > 0 ? `No symbol scored yet — ${plural(pending, 'symbol')} warming up` : 'No symbol has a score yet');
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
    title: 'Score movers',
    value: (m) => ({ text: fmtDelta(m.scoreDelta), cls: sign(m.scoreDelta) }),
    emptyWithData: () => 'No score has moved since the analyzer started',
  },
  { key: 'fundingHighest', title: 'Highest funding /8h', value: (m) => ({ text: fmtFunding(m.funding8h ?? m.fundingRate), cls: sign(m.funding8h ?? m.fundingRate) }), emptyWithData: noFunding },
  { key: 'fundingLowest', title: 'Lowest funding /8h', value: (m) => ({ text: fmtFunding(m.funding8h ?? m.fundingRate), cls: sign(m.funding8h ?? m.fundingRate) }), emptyWithData: noFunding },
];

interface ListView {
  def: ListDef;
  list: HTMLOListElement;
  empty: HTMLElement;
  signature: string;
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
        h('div', { class: 'kv-row bull' }, h('dt', {}, h('span', { class: 'dir-icon', text: '▲', attrs: { 'aria-hidden': 'true' } }), ' Bullish'), h('dd', {}, this.bullN)),
        h('div', { class: 'kv-row neutral' }, h('dt', {}, h('span', { class: 'dir-icon', text: '◆', attrs: { 'aria-hidden': 'true' } }), ' Neutral'), h('dd', {}, this.neutralN)),
        h('div', { class: 'kv-row bear' }, h('dt', {}, h('span', { class: 'dir-icon', text: '▼', attrs: { 'aria-hidden': 'true' } }), ' Bearish'), h('dd', {}, this.bearN)),
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
      container.appendChild(h('section', { class: `card movers-card ${def.key}`, attrs: { 'aria-labelledby': id, 'data-list': def.key } }, h('h3', { text: def.title, attrs: { id } }), list, empty));
      this.lists.push({ def, list, empty, signature: '' });
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
    setBarWidth(this.bull, scored ? (b!.bullish / scored) * 100 : 0);
    setBarWidth(this.neutral, scored ? (b!.neutral / scored) * 100 : 0);
    setBarWidth(this.bear, scored ? (b!.bearish / scored) * 100 : 0);
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
      const signature = JSON.stringify([movers, emptyText]);
      if (signature === lv.signature) continue;
      lv.signature = signature;
      lv.list.replaceChildren(
        ...movers.map((m) => {
          const v = lv.def.value(m);
          return h(
            'li',
            {},
            h('button', { class: 'mover-sym', text: m.symbol, title: `Open ${m.symbol}`, attrs: { type: 'button', 'data-symbol': m.symbol } }),
            h('span', { class: `mover-val ${v.cls}`, text: v.text }),
          );
        }),
      );
      setText(lv.empty, emptyText);
      lv.empty.hidden = emptyText === '';
    }
  }
}
