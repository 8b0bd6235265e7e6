// Symbol detail dialog: components with their sub-signals, confidence, order book, the last move, the band's
// track record and a score/price history chart. Refreshed while open, at most once a second.
import type { ApiEnvelope, ComponentDetail, HistoryData, SubSignalDetail, SymbolDetail } from './types.js';
import { COMPONENT_LABELS } from './types.js';
import { getJson } from './api.js';
import { h, setBarFill, setDivergingBar, setText } from './dom.js';
import { fmtAge, fmtCompact, fmtDelta, fmtFunding, fmtNumber, fmtPct, fmtPoints, fmtPrice, fmtScore, fmtShare, fundingDetail, fundingPer8h, plural } from './format.js';
import { ScoreChart } from './score-chart.js';
import { band, openInterestValue } from './table-model.js';

const DETAIL_MIN_INTERVAL_MS = 1_000;
const HISTORY_MIN_INTERVAL_MS = 20_000;
const DIR_ICON = { Bullish: '▲', Bearish: '▼', Neutral: '◆' } as const;
const TIMEFRAME_ORDER = ['1m', '5m', '30m', '4h'];

export interface DetailCallbacks {
  /** The user asked to close (button, Escape): the router decides what happens to the URL. */
  requestClose(): void;
  serverNow(): number;
}

function pricePrecision(p: number | null): number {
  if (p === null || p === 0) return 2;
  const a = Math.abs(p);
  if (a >= 1000) return 2;
  if (a >= 1) return 4;
  return Math.min(10, Math.max(4, 4 - Math.floor(Math.log10(a))));
}

function miniBar(score: number | null): HTMLElement {
  const fill = h('span', { class: 'mini-fill' });
  setDivergingBar(fill, score ?? 50);
  return h('span', { class: `mini-wrap ${score === null ? 'null' : band(score)}` }, h('span', { class: 'mini-num', text: score === null ? '—' : fmtScore(score) }), h('span', { class: 'mini', attrs: { 'aria-hidden': 'true' } }, fill));
}

function kv(label: string, value: string, cls = ''): HTMLElement {
  return h('div', { class: `kv-row ${cls}` }, h('dt', { text: label }), h('dd', { text: value }));
}

export class DetailView {
  private symbol: string | null = null;
  private detail: SymbolDetail | null = null;
  private chart: ScoreChart | null = null;
  private readonly openComponents = new Set<string>(['technical']);
  private readonly componentViews = new Map<string, { details: HTMLDetailsElement; summary: HTMLElement }>();
  private lastDetailFetch = 0;
  private lastHistoryFetch = 0;
  private refreshTimer: number | undefined;
  private requestSeq = 0;
  /** The request in flight, if any; a generation arriving meanwhile asks for one more refresh after it. */
  private abort: AbortController | null = null;
  private refreshAgain = false;

  private readonly title: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly message: HTMLElement;
  private readonly body: HTMLElement;
  private readonly rationale: HTMLElement;
  private readonly move: HTMLElement;
  private readonly chartBox: HTMLElement;
  private readonly chartNote: HTMLElement;
  private readonly components: HTMLElement;
  private readonly confidence: HTMLElement;
  private readonly book: HTMLElement;
  private readonly bandRecord: HTMLElement;
  private readonly contributors: HTMLElement;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly cb: DetailCallbacks,
  ) {
    this.title = h('h2', { class: 'detail-title', attrs: { id: 'detail-title' } });
    const close = h('button', { class: 'icon-btn detail-close', text: '✕', title: 'Close (Escape)', attrs: { type: 'button', 'aria-label': 'Close detail' } });
    close.addEventListener('click', () => this.cb.requestClose());
    this.summary = h('div', { class: 'detail-summary' });
    this.message = h('p', { class: 'detail-message', attrs: { role: 'status' } });
    this.rationale = h('p', { class: 'rationale' });
    this.move = h('div', { class: 'last-move' });
    this.chartBox = h('div', { class: 'chart-box', attrs: { id: 'detail-chart', role: 'img', 'aria-label': 'Score and price history' } });
    this.chartNote = h('span', { class: 'chart-note' });
    this.components = h('div', { class: 'components' });
    this.confidence = h('dl', { class: 'kv conf-parts' });
    this.book = h('dl', { class: 'kv' });
    this.bandRecord = h('div', { class: 'band-record' });
    this.contributors = h('ol', { class: 'contributors' });
    this.body = h(
      'div',
      { class: 'detail-body' },
      h(
        'div',
        { class: 'detail-main' },
        this.rationale,
        this.move,
        h(
          'section',
          { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-chart-h' } },
          h('h3', { attrs: { id: 'd-chart-h' } }, 'Score history ', h('span', { class: 'legend score', text: '— score (left, 0–100)' }), ' ', h('span', { class: 'legend price', text: '— price (right)' })),
          this.chartBox,
          h(
            'p',
            { class: 'chart-foot' },
            this.chartNote,
            h('a', { class: 'chart-credit', text: 'Chart: TradingView Lightweight Charts™', attrs: { href: 'https://www.tradingview.com/', target: '_blank', rel: 'noopener noreferrer' } }),
          ),
        ),
        h('section', { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-comp-h' } }, h('h3', { text: 'Components', attrs: { id: 'd-comp-h' } }), this.components),
      ),
      h(
        'div',
        { class: 'detail-side' },
        h('section', { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-conf-h' } }, h('h3', { text: 'Confidence', attrs: { id: 'd-conf-h' } }), this.confidence),
        h('section', { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-top-h' } }, h('h3', { text: 'Top contributors', attrs: { id: 'd-top-h' } }), this.contributors),
        h('section', { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-band-h' } }, h('h3', { text: 'Track record of this band', attrs: { id: 'd-band-h' } }), this.bandRecord),
        h('section', { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-book-h' } }, h('h3', { text: 'Order book', attrs: { id: 'd-book-h' } }), this.book),
      ),
    );
    dialog.replaceChildren(h('div', { class: 'detail-inner' }, h('header', { class: 'detail-head' }, this.title, this.summary, close), this.message, this.body));
    dialog.setAttribute('aria-labelledby', 'detail-title');
    // Escape closes through the router, so the URL and the back button stay in step.
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      this.cb.requestClose();
    });
    dialog.addEventListener('click', (e) => {
      if (e.target === dialog) this.cb.requestClose();
    });
  }

  get openSymbol(): string | null {
    return this.symbol;
  }

  open(symbol: string): void {
    if (this.symbol !== symbol) {
      this.symbol = symbol;
      this.detail = null;
      this.lastDetailFetch = 0;
      this.lastHistoryFetch = 0;
      setText(this.title, symbol);
      this.summary.replaceChildren();
      this.setMessage('Loading…');
      this.body.hidden = true;
      this.components.replaceChildren();
      this.componentViews.clear();
      this.chart?.destroy();
      this.chart = null;
    }
    if (!this.dialog.open) this.dialog.showModal();
    if (!this.chart && ScoreChart.available()) this.chart = new ScoreChart(this.chartBox);
    void this.refresh(true);
  }

  close(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.abort?.abort();
    this.abort = null;
    this.refreshAgain = false;
    this.symbol = null;
    this.detail = null;
    this.chart?.destroy();
    this.chart = null;
    if (this.dialog.open) this.dialog.close();
  }

  /** A new generation arrived: refresh the open detail, throttled to one fetch a second. */
  onGeneration(): void {
    if (!this.symbol || this.refreshTimer !== undefined) return;
    if (this.abort) {
      this.refreshAgain = true;
      return;
    }
    const wait = Math.max(0, this.lastDetailFetch + DETAIL_MIN_INTERVAL_MS - Date.now());
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh(false);
    }, wait);
  }

  /** Re-renders the ticking parts (ages). */
  tick(): void {
    if (this.detail) this.renderSummary(this.detail);
  }

  private setMessage(text: string): void {
    setText(this.message, text);
    this.message.hidden = text === '';
  }

  private async refresh(first: boolean): Promise<void> {
    const symbol = this.symbol;
    if (!symbol) return;
    const seq = ++this.requestSeq;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.lastDetailFetch = Date.now();
    const wantHistory = first || Date.now() - this.lastHistoryFetch >= HISTORY_MIN_INTERVAL_MS;
    if (wantHistory) this.lastHistoryFetch = Date.now();
    const enc = encodeURIComponent(symbol);
    try {
      const [detail, history] = await Promise.all([
        getJson<ApiEnvelope<SymbolDetail>>(`/api/symbols/${enc}`, abort.signal),
        wantHistory ? getJson<ApiEnvelope<HistoryData>>(`/api/symbols/${enc}/history`, abort.signal) : Promise.resolve(null),
      ]);
      if (seq !== this.requestSeq || this.symbol !== symbol) return;
      if (!detail.ok || !detail.body.data) {
        if (!this.detail) {
          this.body.hidden = true;
          if (detail.ok) this.setMessage(`No detail for ${symbol} yet — ${detail.body.status?.message ?? 'the analyzer has not published it'}`);
          else if (detail.code === 'unknown_symbol') this.setMessage(`${symbol} is not tracked by the analyzer.`);
          else this.setMessage(`Detail unavailable — ${detail.message}`);
        }
      } else {
        this.detail = detail.body.data;
        this.setMessage(detail.body.data.dataOk ? '' : 'Resyncing — the score is withheld until the order book and feed are consistent again.');
        this.body.hidden = false;
        this.render(detail.body.data);
      }
      if (history) this.renderHistory(history);
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      if (this.abort === abort) {
        this.abort = null;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.onGeneration();
        }
      }
    }
  }

  private renderHistory(res: Awaited<ReturnType<typeof getJson<ApiEnvelope<HistoryData>>>>): void {
    if (!this.chart) {
      setText(this.chartNote, 'Chart library not loaded.');
      return;
    }
    if (!res.ok || !res.body.data) {
      setText(this.chartNote, res.ok ? 'No history yet — a point is added about once a minute.' : `History unavailable — ${res.message}`);
      this.chart.setHistory([], 2);
      return;
    }
    const points = res.body.data.points;
    const scored = this.chart.setHistory(points, pricePrecision(this.detail?.price ?? points.at(-1)?.[2] ?? null));
    setText(
      this.chartNote,
      points.length === 0
        ? 'No history yet — a point is added about once a minute.'
        : `${plural(points.length, 'point')}${scored < points.length ? `, ${points.length - scored} without a score` : ''} · dashed lines mark the Bullish (60) and Bearish (40) thresholds`,
    );
  }

  private render(d: SymbolDetail): void {
    this.renderSummary(d);
    setText(this.rationale, d.rationale);
    this.rationale.hidden = d.rationale === '';

    if (d.lastMove) {
      const m = d.lastMove;
      this.move.replaceChildren(
        h(
          'p',
          { class: 'move-line' },
          h('span', { class: `move-delta ${m.delta >= 0 ? 'up' : 'down'}`, text: `${fmtScore(m.from)} → ${fmtScore(m.to)}` }),
          // The analyzer's summary may already start with "58 → 71:"; it is shown once, in the label.
          h('span', { class: 'move-sum', text: `: ${m.summary.replace(/^\s*[\d.]+\s*→\s*[\d.]+\s*:\s*/, '')}` }),
        ),
        h(
          'ul',
          { class: 'move-parts' },
          ...m.parts.map((p) => h('li', {}, h('span', { class: `part-delta ${p.delta >= 0 ? 'up' : 'down'}`, text: fmtDelta(p.delta) }), ` ${COMPONENT_LABELS[p.component].long}: `, p.cause)),
        ),
      );
      this.move.hidden = false;
    } else {
      this.move.replaceChildren();
      this.move.hidden = true;
    }

    this.renderComponents(d.components);

    const c = d.confidence;
    this.confidence.replaceChildren(
      ...([
        ['Confidence', c.value],
        ['Agreement', c.agreement],
        ['Completeness', c.completeness],
        ['Freshness', c.freshness],
      ] as const).map(([label, v]) => {
        const fill = h('span', { class: 'bar-fill conf' });
        setBarFill(fill, v * 100);
        return h('div', { class: 'kv-row' }, h('dt', { text: label }), h('dd', {}, h('span', { class: 'bar wide', attrs: { 'aria-hidden': 'true' } }, fill), h('span', { class: 'v', text: fmtShare(v) })));
      }),
    );

    const ob = d.orderbook;
    this.book.replaceChildren(
      kv('Best bid', fmtPrice(ob.bestBid), 'bull'),
      kv('Best ask', fmtPrice(ob.bestAsk), 'bear'),
      kv('Mid', fmtPrice(ob.mid)),
      kv('Spread', ob.spreadBps === null ? '—' : `${fmtNumber(ob.spreadBps, 2)} bps`),
      kv('Bid depth', fmtCompact(ob.bidDepth)),
      kv('Ask depth', fmtCompact(ob.askDepth)),
      kv('Levels', String(ob.levels)),
      kv('Synced', ob.synced ? 'yes' : 'no — resyncing', ob.synced ? '' : 'warn'),
    );

    const br = d.bandRecord;
    this.bandRecord.replaceChildren(
      br
        ? h(
            'p',
            {},
            `Score band ${br.band}, ${br.horizon} ahead: `,
            h('strong', { text: br.hitRate === null ? 'no hit rate yet' : `${fmtShare(br.hitRate)} hit rate` }),
            br.baseRate != null ? ` against a ${fmtShare(br.baseRate)} base rate` : '',
            ` over ${plural(br.samples, 'sample')}`,
            br.meanReturn === null ? '' : `, mean return ${fmtPct(br.meanReturn)}`,
            '. ',
            br.verdict === 'too_few' ? 'Too few samples to say whether it has skill.' : br.verdict === 'skill' ? 'Better than the base rate.' : br.verdict === 'anti' ? 'Worse than the base rate.' : br.verdict === 'none' ? 'No skill shown over the base rate.' : '',
          )
        : h('p', { class: 'muted', text: 'No track record for this band yet.' }),
    );

    this.contributors.replaceChildren(
      ...d.topContributors.map((t) => h('li', {}, h('span', { text: COMPONENT_LABELS[t.component].long }), h('span', { class: 'v', text: `${fmtPoints(t.contribution)} pts` }))),
    );
    if (d.topContributors.length === 0) this.contributors.replaceChildren(h('li', { class: 'muted', text: 'No component scored yet' }));
  }

  private renderSummary(d: SymbolDetail): void {
    const dir = d.direction;
    const age = this.cb.serverNow() - d.updatedAt;
    const items: Array<[string, HTMLElement]> = [
      ['Price', h('span', { class: 'v', text: fmtPrice(d.price) })],
      ['24h', h('span', { class: `v ${d.change24h === null ? '' : d.change24h >= 0 ? 'up' : 'down'}`, text: fmtPct(d.change24h) })],
      ['Score', h('span', { class: `v big ${band(d.score) ?? ''}`, text: fmtScore(d.score) })],
      [
        'Direction',
        h(
          'span',
          { class: `dir ${dir ? dir.toLowerCase() : 'none'}` },
          h('span', { class: 'dir-icon', text: dir ? DIR_ICON[dir] : '·', attrs: { 'aria-hidden': 'true' } }),
          h('span', { class: 'dir-word', text: dir ? `${d.strength === 'strong' && dir !== 'Neutral' ? 'Strong ' : ''}${dir}` : 'No score' }),
        ),
      ],
      ['Confidence', h('span', { class: 'v', text: fmtShare(d.confidence.value) })],
      [
        'Funding /8h',
        h(
          'span',
          { class: 'v funding' },
          h('span', { text: fmtFunding(fundingPer8h(d)) }),
          h('span', { class: 'sub funding-detail', text: fundingDetail(d, this.cb.serverNow()) }),
        ),
      ],
      // The same unit as the table's OI column (quote currency); the contract count is in the tooltip.
      ['OI', h('span', { class: 'v', text: fmtCompact(openInterestValue(d)), attrs: { title: `${fmtCompact(d.openInterest)} contracts` } })],
      ['Updated', h('span', { class: 'v', text: `${fmtAge(age)} ago` })],
    ];
    this.summary.replaceChildren(...items.map(([label, el]) => h('div', { class: 'sum-item' }, h('span', { class: 'sum-label', text: label }), el)));
  }

  /** Components keep their <details> and <summary> elements across refreshes, so open state and focus survive. */
  private renderComponents(components: readonly ComponentDetail[]): void {
    if (!this.components.firstElementChild) {
      this.components.appendChild(
        h(
          'div',
          { class: 'comp-head', attrs: { 'aria-hidden': 'true' } },
          ...['Component', 'Score', 'Weight', 'Contrib.', 'Reason'].map((t) => h('span', { text: t })),
        ),
      );
    }
    const seen = new Set<string>();
    let cursor = this.components.firstElementChild?.nextElementSibling ?? null;
    for (const c of components) {
      seen.add(c.name);
      let view = this.componentViews.get(c.name);
      if (!view) {
        const details = h('details', { class: 'comp', attrs: { 'data-component': c.name } });
        const summary = h('summary', { class: 'comp-row' });
        details.open = this.openComponents.has(c.name);
        details.addEventListener('toggle', () => {
          if (details.open) this.openComponents.add(c.name);
          else this.openComponents.delete(c.name);
        });
        details.append(summary, h('div'));
        view = { details, summary };
        this.componentViews.set(c.name, view);
      }
      const weight = Math.abs(c.weight - c.effectiveWeight) < 0.0005 ? fmtShare(c.weight) : `${fmtShare(c.weight)} → ${fmtShare(c.effectiveWeight)}`;
      view.details.classList.toggle('null', c.score === null);
      view.summary.replaceChildren(
        h('span', { class: 'comp-name', text: COMPONENT_LABELS[c.name].long }),
        miniBar(c.score),
        h('span', { class: 'num', text: weight, title: 'Configured weight → weight after renormalising over the components that could be computed' }),
        h('span', { class: 'num', text: c.contribution === null ? '—' : `${fmtPoints(c.contribution)} pts` }),
        h('span', { class: 'comp-reason', text: c.reason ?? '' }),
      );
      view.details.lastElementChild?.replaceWith(this.renderSubSignals(c));
      if (cursor === view.details) cursor = cursor.nextElementSibling;
      else this.components.insertBefore(view.details, cursor);
    }
    for (const [name, view] of this.componentViews) {
      if (!seen.has(name)) {
        view.details.remove();
        this.componentViews.delete(name);
      }
    }
  }

  private renderSubSignals(c: ComponentDetail): HTMLElement {
    if (c.subSignals.length === 0) return h('p', { class: 'muted sub-empty', text: 'No sub-signals.' });
    const table = h('table', { class: 'subs' });
    table.appendChild(
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Signal', 'Raw', 'Score', 'Weight', 'Contrib.', 'Note'].map((t, i) => h('th', { text: t, class: i > 0 && i < 5 ? 'num' : '', attrs: { scope: 'col' } })),
        ),
      ),
    );
    // Technical (and any timeframe-tagged signals) are grouped per timeframe.
    const groups = new Map<string, SubSignalDetail[]>();
    for (const s of c.subSignals) {
      const key = s.timeframe ?? '';
      const g = groups.get(key);
      if (g) g.push(s);
      else groups.set(key, [s]);
    }
    const keys = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : TIMEFRAME_ORDER.indexOf(a) - TIMEFRAME_ORDER.indexOf(b)));
    const grouped = keys.length > 1 || keys[0] !== '';
    for (const key of keys) {
      const tbody = h('tbody');
      if (grouped) tbody.appendChild(h('tr', { class: 'tf-row' }, h('th', { text: key === '' ? 'All timeframes' : key, attrs: { colspan: '6', scope: 'colgroup' } })));
      for (const s of groups.get(key) as SubSignalDetail[]) {
        tbody.appendChild(
          h(
            'tr',
            { class: s.score === null ? 'null' : '' },
            h('th', { text: s.label ?? s.name, attrs: { scope: 'row', title: s.name } }),
            h('td', { class: 'num', text: fmtNumber(s.raw) }),
            h('td', { class: `num ${band(s.score) ?? ''}`, text: fmtScore(s.score) }),
            h('td', { class: 'num', text: fmtNumber(s.weight, 2) }),
            h('td', { class: 'num', text: s.contribution === null ? '—' : fmtNumber(s.contribution, 2) }),
            h('td', { class: 'note', text: s.reason ?? '' }),
          ),
        );
      }
      table.appendChild(tbody);
    }
    return h('div', { class: 'subs-wrap' }, table);
  }
}
