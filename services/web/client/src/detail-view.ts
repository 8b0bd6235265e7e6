// Symbol detail dialog: what changed, components with their sub-signals, confidence, order book, the band's track
// record and a score/price history chart. The header and "what changed" follow the live stream every generation; the
// full breakdown is fetched at most every few seconds and only the parts whose content changed are rebuilt, so the
// dialog's node count stays flat however long it is open.
import type { Alert, ApiEnvelope, ComponentDetail, HistoryData, HistoryPoint, SubSignalDetail, SymbolDetail, SymbolRow } from './types.js';
import { COMPONENT_LABELS, subSignalLabel, subSignalNote } from './types.js';
import { getJson } from './api.js';
import { h, setBarFill, setClass, setDivergingBar, setText, setTitle } from './dom.js';
import {
  fmtAge,
  fmtClock,
  fmtCompact,
  fmtDelta,
  fmtFunding,
  fmtNumber,
  fmtPct,
  fmtPoints,
  fmtPrice,
  fmtScore,
  fmtShare,
  fundingDetail,
  fundingPer8h,
  plural,
} from './format.js';
import { ScoreChart, loadChartLibrary, summarizeHistory } from './score-chart.js';
import type { ChartReadout } from './score-chart.js';
import { band, openInterestValue, toneOf } from './table-model.js';

/** The full breakdown is fetched at most this often while the detail is open (the header follows every generation). */
export const DETAIL_REFRESH_MS = 2_000;
/** History points are added about once a minute. */
const HISTORY_REFRESH_MS = 30_000;
const DIR_ICON = { Bullish: '▲', Bearish: '▼', Neutral: '◆' } as const;
const TIMEFRAME_ORDER = ['1m', '5m', '30m', '4h'];

export interface DetailCallbacks {
  /** The user asked to close (button, Escape): the router decides what happens to the URL. */
  requestClose(): void;
  serverNow(): number;
}

/** What the rest of the page knows that the detail must say too. */
export interface DetailContext {
  /** Why the data is not live (the banner's sentence), null when it is. */
  notLive: string | null;
  /** The recorded minute the table shows, in time travel. */
  viewingMinute: number | null;
  alerts: readonly Alert[];
}

function miniBar(score: number | null): HTMLElement {
  const fill = h('span', { class: 'mini-fill' });
  setDivergingBar(fill, score ?? 50);
  return h(
    'span',
    { class: `mini-wrap ${score === null ? 'null' : band(score)}` },
    h('span', { class: 'mini-num', text: score === null ? '—' : fmtScore(score) }),
    h('span', { class: 'mini', attrs: { 'aria-hidden': 'true' } }, fill),
  );
}

/** A label and a value cell that is updated in place. */
class Field {
  readonly el: HTMLElement;
  readonly value: HTMLElement;
  constructor(label: string, tag: 'div' = 'div', cls = 'kv-row') {
    this.value = h('dd');
    this.el = h(tag, { class: cls }, h('dt', { text: label }), this.value);
  }
  set(text: string, cls?: string): void {
    setText(this.value, text);
    if (cls !== undefined) setClass(this.value, cls);
  }
}

/** Content signature without the parts that change every generation but are shown elsewhere (ages). */
function signature(v: unknown): string {
  return JSON.stringify(v);
}

export class DetailView {
  private symbol: string | null = null;
  private detail: SymbolDetail | null = null;
  /** The symbol's row from the latest live generation: the header's source. */
  private row: SymbolRow | null = null;
  private history: readonly HistoryPoint[] = [];
  private chart: ScoreChart | null = null;
  private chartFor: string | null = null;
  private context: DetailContext = { notLive: null, viewingMinute: null, alerts: [] };
  private readonly openComponents = new Set<string>(['technical']);
  private readonly componentViews = new Map<string, { details: HTMLDetailsElement; summary: HTMLElement; sig: string }>();
  private readonly sigs = new Map<string, string>();
  private lastDetailFetch = 0;
  private lastHistoryFetch = 0;
  private refreshTimer: number | undefined;
  private requestSeq = 0;
  private abort: AbortController | null = null;
  /** Renders of the body that changed something (for the browser test: a flat count while nothing changes). */
  bodyRenders = 0;

  private readonly title: HTMLElement;
  private readonly stateLine: HTMLElement;
  private readonly message: HTMLElement;
  private readonly body: HTMLElement;
  private readonly rationale: HTMLElement;
  private readonly breakdownAt: HTMLElement;
  private readonly changed: HTMLElement;
  private readonly move: HTMLElement;
  private readonly chartBox: HTMLElement;
  private readonly chartNote: HTMLElement;
  private readonly chartReadout: HTMLElement;
  private readonly chartSummary: HTMLElement;
  private readonly components: HTMLElement;
  private readonly confidence: HTMLElement;
  private readonly confNote: HTMLElement;
  private readonly book: HTMLElement;
  private readonly bandRecord: HTMLElement;
  private readonly contributors: HTMLElement;
  private readonly sum: Record<'price' | 'change' | 'score' | 'confidence' | 'funding' | 'oi' | 'updated', HTMLElement>;
  private readonly sumDir: { el: HTMLElement; icon: HTMLElement; word: HTMLElement };
  private readonly sumFunding: { el: HTMLElement; detail: HTMLElement };
  private readonly change: Record<'d15' | 'd1h' | 'held' | 'alert', Field>;
  private readonly confFields: Field[];
  private readonly bookFields: Record<'bid' | 'ask' | 'mid' | 'spread' | 'bidDepth' | 'askDepth' | 'levels' | 'synced', Field>;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly cb: DetailCallbacks,
  ) {
    this.title = h('h2', { class: 'detail-title', attrs: { id: 'detail-title' } });
    // A drawn cross (CSS), not a glyph a font may lack.
    const close = h(
      'button',
      { class: 'icon-btn detail-close', title: 'Close (Escape)', attrs: { type: 'button', 'aria-label': 'Close detail' } },
      h('span', { class: 'x-icon', attrs: { 'aria-hidden': 'true' } }),
    );
    close.addEventListener('click', () => this.cb.requestClose());
    const sumItem = (label: string, cls = 'v'): HTMLElement => h('span', { class: cls, attrs: { 'data-sum': label } });
    this.sum = {
      price: sumItem('price'),
      change: sumItem('change'),
      score: sumItem('score', 'v big'),
      confidence: sumItem('confidence'),
      funding: sumItem('funding', ''),
      oi: sumItem('oi'),
      updated: sumItem('updated'),
    };
    const dirIcon = h('span', { class: 'dir-icon', attrs: { 'aria-hidden': 'true' } });
    const dirWord = h('span', { class: 'dir-word' });
    this.sumDir = { el: h('span', { class: 'dir none' }, dirIcon, dirWord), icon: dirIcon, word: dirWord };
    const fundingDetailEl = h('span', { class: 'sub funding-detail' });
    this.sumFunding = { el: h('span', { class: 'v funding' }, this.sum.funding, fundingDetailEl), detail: fundingDetailEl };
    const summary = h(
      'div',
      { class: 'detail-summary' },
      ...(
        [
          ['Price', this.sum.price],
          ['24h', this.sum.change],
          ['Score', this.sum.score],
          ['Direction', this.sumDir.el],
          ['Confidence', this.sum.confidence],
          ['Funding /8h', this.sumFunding.el],
          ['OI', this.sum.oi],
          ['Updated', this.sum.updated],
        ] as const
      ).map(([label, el]) => h('div', { class: 'sum-item' }, h('span', { class: 'sum-label', text: label }), el)),
    );
    this.stateLine = h('p', { class: 'detail-state', attrs: { role: 'status' } });
    this.stateLine.hidden = true;
    this.message = h('p', { class: 'detail-message', attrs: { role: 'status' } });
    this.rationale = h('p', { class: 'rationale' });
    this.breakdownAt = h('p', { class: 'muted breakdown-at' });
    this.change = {
      d15: new Field('Score change, 15 min'),
      d1h: new Field('Score change, 1 h'),
      held: new Field('Direction held'),
      alert: new Field('Since the last alert'),
    };
    this.move = h('div', { class: 'last-move' });
    this.changed = h(
      'section',
      { class: 'detail-sec what-changed', attrs: { 'aria-labelledby': 'd-changed-h' } },
      h('h3', { text: 'What changed', attrs: { id: 'd-changed-h' } }),
      h('dl', { class: 'kv changed-kv' }, this.change.d15.el, this.change.d1h.el, this.change.held.el, this.change.alert.el),
      this.move,
    );
    this.chartBox = h('div', {
      class: 'chart-box',
      attrs: { id: 'detail-chart', role: 'img', 'aria-label': 'Score and price history', 'aria-describedby': 'detail-chart-summary' },
    });
    this.chartNote = h('span', { class: 'chart-note' });
    this.chartReadout = h('p', { class: 'chart-readout', attrs: { 'aria-hidden': 'true' } });
    this.chartSummary = h('p', { class: 'chart-summary', attrs: { id: 'detail-chart-summary' } });
    this.components = h('div', { class: 'components' });
    this.confFields = ['Confidence', 'Agreement', 'Completeness', 'Freshness'].map((l) => new Field(l));
    for (const f of this.confFields)
      f.value.append(h('span', { class: 'bar wide', attrs: { 'aria-hidden': 'true' } }, h('span', { class: 'bar-fill conf' })), h('span', { class: 'v' }));
    this.confidence = h('dl', { class: 'kv conf-parts' }, ...this.confFields.map((f) => f.el));
    this.confNote = h('p', { class: 'muted conf-note' });
    this.confNote.hidden = true;
    this.bookFields = {
      bid: new Field('Best bid', 'div', 'kv-row bull'),
      ask: new Field('Best ask', 'div', 'kv-row bear'),
      mid: new Field('Mid'),
      spread: new Field('Spread'),
      bidDepth: new Field('Bid depth'),
      askDepth: new Field('Ask depth'),
      levels: new Field('Levels'),
      synced: new Field('Synced'),
    };
    this.book = h('dl', { class: 'kv book' }, ...Object.values(this.bookFields).map((f) => f.el));
    this.bandRecord = h('div', { class: 'band-record' });
    this.contributors = h('ol', { class: 'contributors' });
    this.body = h(
      'div',
      { class: 'detail-body' },
      h(
        'div',
        { class: 'detail-main' },
        this.breakdownAt,
        this.rationale,
        this.changed,
        h(
          'section',
          { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-chart-h' } },
          h(
            'h3',
            { attrs: { id: 'd-chart-h' } },
            'Score history ',
            h('span', { class: 'legend score', text: '— score (left, 0–100)' }),
            ' ',
            h('span', { class: 'legend price', text: '— price (right)' }),
          ),
          this.chartReadout,
          this.chartBox,
          this.chartSummary,
          h(
            'p',
            { class: 'chart-foot' },
            this.chartNote,
            h('a', {
              class: 'chart-credit',
              text: 'Chart: TradingView Lightweight Charts™',
              attrs: { href: 'https://www.tradingview.com/', target: '_blank', rel: 'noopener noreferrer' },
            }),
          ),
        ),
        h(
          'section',
          { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-comp-h' } },
          h('h3', { text: 'Components', attrs: { id: 'd-comp-h' } }),
          h('p', { class: 'muted sec-note', text: 'Points = effective weight × score; the components’ points add up to the score.' }),
          this.components,
        ),
      ),
      h(
        'div',
        { class: 'detail-side' },
        h(
          'section',
          { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-conf-h' } },
          h('h3', { text: 'Confidence', attrs: { id: 'd-conf-h' } }),
          this.confidence,
          this.confNote,
        ),
        h(
          'section',
          { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-top-h' } },
          h('h3', { text: 'Pull from neutral', attrs: { id: 'd-top-h' } }),
          h('p', { class: 'muted sec-note', text: 'Pull = effective weight × (score − 50): how far each component moves the score away from 50.' }),
          this.contributors,
        ),
        h(
          'section',
          { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-band-h' } },
          h('h3', { text: 'Track record of this band', attrs: { id: 'd-band-h' } }),
          this.bandRecord,
        ),
        h('section', { class: 'detail-sec', attrs: { 'aria-labelledby': 'd-book-h' } }, h('h3', { text: 'Order book', attrs: { id: 'd-book-h' } }), this.book),
      ),
    );
    dialog.replaceChildren(
      h('div', { class: 'detail-inner' }, h('header', { class: 'detail-head' }, this.title, summary, close), this.stateLine, this.message, this.body),
    );
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

  open(symbol: string, row: SymbolRow | null): void {
    if (this.symbol !== symbol) {
      this.symbol = symbol;
      this.detail = null;
      this.row = row;
      this.history = [];
      this.lastDetailFetch = 0;
      this.lastHistoryFetch = 0;
      this.sigs.clear();
      setText(this.title, symbol);
      this.setMessage('Loading…');
      this.body.hidden = true;
      this.components.replaceChildren();
      this.componentViews.clear();
      this.contributors.replaceChildren();
      this.bandRecord.replaceChildren();
      this.move.replaceChildren();
      setText(this.chartNote, '');
      setText(this.chartSummary, '');
      setText(this.chartReadout, '');
      this.chart?.destroy();
      this.chart = null;
      this.chartFor = null;
    }
    if (!this.dialog.open) this.dialog.showModal();
    this.renderHeader();
    this.renderState();
    void this.ensureChart(symbol);
    void this.refresh(true);
  }

  close(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.abort?.abort();
    this.abort = null;
    this.symbol = null;
    this.detail = null;
    this.row = null;
    this.chart?.destroy();
    this.chart = null;
    this.chartFor = null;
    if (this.dialog.open) this.dialog.close();
  }

  setContext(ctx: DetailContext): void {
    this.context = ctx;
    if (this.symbol) {
      this.renderState();
      this.renderChanged();
    }
  }

  /** A new live generation: the header, "what changed" and the chart's last point follow it; the breakdown is refetched when due. */
  onGeneration(row: SymbolRow | null): void {
    if (!this.symbol) return;
    if (row && row.symbol === this.symbol) this.row = row;
    this.renderHeader();
    this.renderChanged();
    this.pushLivePoint();
    this.scheduleRefresh();
  }

  /** Re-renders the ticking parts (ages). */
  tick(): void {
    if (!this.symbol) return;
    this.renderHeader();
    this.renderChanged();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== undefined || this.abort) return;
    const wait = Math.max(0, this.lastDetailFetch + DETAIL_REFRESH_MS - Date.now());
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = undefined;
      // Only when the live row says something the shown breakdown does not.
      if (this.needsRefresh()) void this.refresh(false);
    }, wait);
  }

  private needsRefresh(): boolean {
    const d = this.detail;
    const r = this.row;
    if (!d || !r) return true;
    if (Date.now() - this.lastHistoryFetch >= HISTORY_REFRESH_MS) return true;
    return d.score !== r.score || d.dataOk !== r.dataOk || d.components.some((c) => c.score !== r.components[c.name]);
  }

  private setMessage(text: string): void {
    setText(this.message, text);
    this.message.hidden = text === '';
  }

  private async ensureChart(symbol: string): Promise<void> {
    if (this.chartFor === symbol) return;
    this.chartFor = symbol;
    try {
      const lib = await loadChartLibrary();
      if (this.symbol !== symbol || this.chart) return;
      this.chart = new ScoreChart(this.chartBox, lib, (r, hovering) => this.renderReadout(r, hovering));
      if (this.history.length) this.drawHistory();
    } catch (err) {
      this.chartFor = null;
      setText(this.chartNote, `Chart unavailable — ${(err as Error).message}`);
    }
  }

  private async refresh(first: boolean): Promise<void> {
    const symbol = this.symbol;
    if (!symbol) return;
    const seq = ++this.requestSeq;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.lastDetailFetch = Date.now();
    const wantHistory = first || Date.now() - this.lastHistoryFetch >= HISTORY_REFRESH_MS;
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
      if (history) this.receiveHistory(history);
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }

  private receiveHistory(res: Awaited<ReturnType<typeof getJson<ApiEnvelope<HistoryData>>>>): void {
    if (!res.ok || !res.body.data) {
      setText(this.chartNote, res.ok ? 'No history yet — a point is added about once a minute.' : `History unavailable — ${res.message}`);
      this.history = [];
    } else {
      this.history = res.body.data.points;
    }
    setText(this.chartSummary, summarizeHistory(this.history, this.tickSize(), this.cb.serverNow()));
    this.drawHistory();
    this.renderChanged();
  }

  private drawHistory(): void {
    const points = this.history;
    if (!this.chart) return;
    const scored = this.chart.setHistory(points, this.tickSize());
    this.pushLivePoint();
    setText(
      this.chartNote,
      points.length === 0
        ? 'No history yet — a point is added about once a minute.'
        : `${plural(points.length, 'point')}${scored < points.length ? `, ${points.length - scored} without a score` : ''} · the last point is the live value · dashed lines mark 60 and 40`,
    );
  }

  private pushLivePoint(): void {
    const r = this.row;
    if (!this.chart || !r || this.context.viewingMinute !== null) return;
    this.chart.setLive(this.cb.serverNow(), r.score, r.price);
  }

  private renderReadout(r: ChartReadout | null, hovering: boolean): void {
    if (!r) {
      setText(this.chartReadout, '');
      return;
    }
    const now = this.cb.serverNow();
    setText(
      this.chartReadout,
      `${hovering ? '' : 'Latest · '}${fmtClock(r.time, now, true)} · score ${fmtScore(r.score)} · price ${fmtPrice(r.price, this.tickSize())}`,
    );
  }

  private tickSize(): number | undefined {
    return this.row?.tickSize ?? this.detail?.tickSize;
  }

  /** Rebuilds `el`'s content only when `sig` differs from the last one it was built from. */
  private changedPart(key: string, value: unknown): boolean {
    const sig = signature(value);
    if (this.sigs.get(key) === sig) return false;
    this.sigs.set(key, sig);
    return true;
  }

  private render(d: SymbolDetail): void {
    let changed = false;
    this.renderHeader();
    setText(this.rationale, d.rationale);
    this.rationale.hidden = d.rationale === '';
    // The header is live; the breakdown below is the latest one fetched, and says which.
    setText(
      this.breakdownAt,
      `Breakdown of the ${fmtClock(d.updatedAt, this.cb.serverNow(), true)} data (score ${fmtScore(d.score)}); the header above is live.`,
    );

    if (this.changedPart('move', d.lastMove)) {
      changed = true;
      this.renderMove(d);
    }
    changed = this.renderComponents(d.components) || changed;

    const c = d.confidence;
    [c.value, c.agreement, c.completeness, c.freshness].forEach((v, i) => {
      const f = this.confFields[i];
      const fill = f.value.querySelector('.bar-fill') as HTMLElement;
      setBarFill(fill, v * 100);
      setText(f.value.querySelector('.v') as HTMLElement, fmtShare(v));
    });

    const ob = d.orderbook;
    const tick = this.tickSize();
    const bf = this.bookFields;
    bf.bid.set(fmtPrice(ob.bestBid, tick));
    bf.ask.set(fmtPrice(ob.bestAsk, tick));
    bf.mid.set(fmtPrice(ob.mid, tick));
    bf.spread.set(ob.spreadBps === null ? '—' : `${fmtNumber(ob.spreadBps, 2)} bps`);
    bf.bidDepth.set(fmtCompact(ob.bidDepth));
    bf.askDepth.set(fmtCompact(ob.askDepth));
    bf.levels.set(String(ob.levels));
    bf.synced.set(ob.synced ? 'yes' : 'no — resyncing');
    bf.synced.el.classList.toggle('warn', !ob.synced);

    if (this.changedPart('band', d.bandRecord)) {
      changed = true;
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
              br.verdict === 'too_few'
                ? 'Too few samples to say whether it has skill.'
                : br.verdict === 'skill'
                  ? 'Better than the base rate.'
                  : br.verdict === 'anti'
                    ? 'Worse than the base rate.'
                    : br.verdict === 'none'
                      ? 'No skill shown over the base rate.'
                      : '',
            )
          : h('p', { class: 'muted', text: 'No track record for this band yet.' }),
      );
    }

    if (this.changedPart('pull', d.topContributors)) {
      changed = true;
      this.contributors.replaceChildren(
        ...d.topContributors.map((t) =>
          h(
            'li',
            {},
            h('span', { text: COMPONENT_LABELS[t.component].long }),
            h('span', { class: `v ${t.contribution >= 0 ? 'up' : 'down'}`, text: fmtDelta(t.contribution) }),
          ),
        ),
      );
      if (d.topContributors.length === 0) this.contributors.replaceChildren(h('li', { class: 'muted', text: 'No component scored yet' }));
    }
    if (changed) this.bodyRenders++;
    this.renderState();
    this.renderChanged();
  }

  private renderMove(d: SymbolDetail): void {
    const m = d.lastMove;
    if (!m) {
      this.move.replaceChildren(h('p', { class: 'muted', text: 'No score move recorded yet.' }));
      return;
    }
    const now = this.cb.serverNow();
    this.move.replaceChildren(
      h(
        'p',
        { class: 'move-line' },
        h('span', { class: 'move-label', text: `Last move, ${fmtClock(m.at, now, true)}: ` }),
        h('span', { class: `move-delta ${m.delta >= 0 ? 'up' : 'down'}`, text: `${fmtScore(m.from)} → ${fmtScore(m.to)}` }),
        // The analyzer's summary may already start with "58 → 71:"; it is shown once, in the label.
        h('span', { class: 'move-sum', text: ` ${m.summary.replace(/^\s*[\d.]+\s*→\s*[\d.]+\s*:\s*/, '')}` }),
      ),
      h(
        'ul',
        { class: 'move-parts' },
        ...m.parts.map((p) =>
          h(
            'li',
            {},
            h('span', { class: `part-delta ${p.delta >= 0 ? 'up' : 'down'}`, text: fmtDelta(p.delta) }),
            ` ${COMPONENT_LABELS[p.component].long}: `,
            p.cause,
          ),
        ),
      ),
    );
  }

  private renderHeader(): void {
    const r = this.row;
    const d = this.detail;
    if (!r && !d) return;
    const tick = this.tickSize();
    const price = r ? r.price : (d as SymbolDetail).price;
    const change = r ? r.change24h : (d as SymbolDetail).change24h;
    const score = r ? r.score : (d as SymbolDetail).score;
    const dir = r ? r.direction : (d as SymbolDetail).direction;
    const strength = r ? r.strength : (d as SymbolDetail).strength;
    const updatedAt = r ? r.updatedAt : (d as SymbolDetail).updatedAt;
    setText(this.sum.price, fmtPrice(price, tick));
    setText(this.sum.change, fmtPct(change));
    setClass(this.sum.change, `v ${change === null ? '' : change >= 0 ? 'up' : 'down'}`);
    setText(this.sum.score, fmtScore(score));
    setClass(this.sum.score, `v big ${toneOf(dir) ?? ''}`);
    setText(this.sumDir.icon, dir ? DIR_ICON[dir] : '·');
    setText(this.sumDir.word, dir ? `${strength === 'strong' && dir !== 'Neutral' ? 'Strong ' : ''}${dir}` : 'No score');
    setClass(this.sumDir.el, `dir ${dir ? dir.toLowerCase() : 'none'}`);
    setText(this.sum.confidence, fmtShare(r ? r.confidence : (d as SymbolDetail).confidence.value));
    // Per 8 h, as in the table; the printed rate, its interval and the next settlement beside it.
    const fundingSource = r ?? (d as SymbolDetail);
    setText(this.sum.funding, fmtFunding(fundingPer8h(fundingSource)));
    setText(this.sumFunding.detail, fundingDetail(fundingSource, this.cb.serverNow()));
    // The same unit as the table's OI column (quote currency); the contract count is in the tooltip.
    const oiSource = r ?? (d as SymbolDetail);
    setText(this.sum.oi, fmtCompact(openInterestValue(oiSource)));
    setTitle(this.sum.oi, `${fmtCompact(oiSource.openInterest)} contracts`);
    setText(this.sum.updated, `${fmtAge(this.cb.serverNow() - updatedAt)} ago`);
  }

  /** The page's data state, said in the detail too: stale data is dimmed and named, time travel says the detail is live. */
  private renderState(): void {
    const { notLive, viewingMinute } = this.context;
    let text = '';
    let level = 'warn';
    if (viewingMinute !== null) {
      text = `The table shows ${fmtClock(viewingMinute, this.cb.serverNow())}; this detail shows live data (only the table is recorded per minute).`;
      level = 'info';
    }
    if (notLive) text = `Not live: ${notLive}.${text ? ` ${text}` : ''}`;
    setText(this.stateLine, text);
    this.stateLine.dataset.level = notLive ? 'warn' : level;
    this.stateLine.hidden = text === '';
    this.dialog.classList.toggle('not-live', notLive !== null);
    const fresh = this.detail?.confidence.freshness;
    setText(
      this.confNote,
      notLive && fresh !== undefined ? `Freshness ${fmtShare(fresh)} was measured when this was published, before the data went stale.` : '',
    );
    this.confNote.hidden = !notLive;
  }

  /** Score change over 15 min and 1 h, how long the label has held, and the move since the last alert. */
  private renderChanged(): void {
    const r = this.row;
    const score = r ? r.score : (this.detail?.score ?? null);
    const now = this.cb.serverNow();
    const fromHistory = (ms: number): number | null => {
      if (score === null) return null;
      let then: number | null = null;
      for (const p of this.history) if (p[0] <= now - ms && p[1] !== null) then = p[1];
      return then === null ? null : score - then;
    };
    const d15 = r?.scoreChange15m !== undefined ? r.scoreChange15m : fromHistory(15 * 60_000);
    const d1h = r?.scoreChange1h !== undefined ? r.scoreChange1h : fromHistory(60 * 60_000);
    const sign = (v: number | null): string => (v === null || Math.abs(v) < 0.05 ? 'flat' : v > 0 ? 'up' : 'down');
    this.change.d15.set(d15 === null ? 'not known yet' : `${fmtDelta(d15)} points`, sign(d15));
    this.change.d1h.set(d1h === null ? 'not known yet' : `${fmtDelta(d1h)} points`, sign(d1h));
    const dir = r?.direction ?? this.detail?.direction ?? null;
    const since = r?.directionSince ?? null;
    this.change.held.set(dir === null ? 'no score' : since ? `${dir} for ${fmtAge(now - since)}` : dir);
    const last = this.context.alerts.filter((a) => a.symbol === this.symbol).reduce<Alert | null>((best, a) => (!best || a.at > best.at ? a : best), null);
    this.change.alert.set(
      last === null
        ? 'no recent alert'
        : `${score === null ? '—' : `${fmtDelta(score - last.score)} points`} since the ${last.direction} alert at ${fmtClock(last.at, now)} (score ${fmtScore(last.score)})`,
      last === null || score === null ? 'flat' : sign(score - last.score),
    );
  }

  /** Components keep their <details> and <summary> elements across refreshes, so open state and focus survive. */
  private renderComponents(components: readonly ComponentDetail[]): boolean {
    let changed = false;
    if (!this.components.firstElementChild) {
      this.components.appendChild(
        h(
          'div',
          { class: 'comp-head', attrs: { 'aria-hidden': 'true' } },
          ...['Component', 'Score', 'Weight', 'Points', 'Reason'].map((t) => h('span', { text: t })),
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
        view = { details, summary, sig: '' };
        this.componentViews.set(c.name, view);
      }
      const sig = signature(c);
      if (sig !== view.sig) {
        changed = true;
        view.sig = sig;
        const weight = Math.abs(c.weight - c.effectiveWeight) < 0.0005 ? fmtShare(c.weight) : `${fmtShare(c.weight)} → ${fmtShare(c.effectiveWeight)}`;
        view.details.classList.toggle('null', c.score === null);
        view.summary.replaceChildren(
          h('span', { class: 'comp-name', text: COMPONENT_LABELS[c.name].long }),
          miniBar(c.score),
          h('span', { class: 'num', text: weight, title: 'Configured weight → weight after renormalising over the components that could be computed' }),
          h('span', { class: 'num', text: c.contribution === null ? '—' : `${fmtPoints(c.contribution)} pts`, title: 'Points: effective weight × score' }),
          h('span', { class: 'comp-reason', text: c.reason ?? '' }),
        );
        view.details.lastElementChild?.replaceWith(this.renderSubSignals(c));
      }
      if (cursor === view.details) cursor = cursor.nextElementSibling;
      else this.components.insertBefore(view.details, cursor);
    }
    for (const [name, view] of this.componentViews) {
      if (!seen.has(name)) {
        view.details.remove();
        this.componentViews.delete(name);
        changed = true;
      }
    }
    return changed;
  }

  private renderSubSignals(c: ComponentDetail): HTMLElement {
    if (c.subSignals.length === 0) return h('p', { class: 'muted sub-empty', text: 'No sub-signals.' });
    const table = h('table', { class: 'subs' });
    const heads = ['Signal', 'Raw', 'Score', 'Weight', 'Points', 'Note'];
    table.appendChild(h('thead', {}, h('tr', {}, ...heads.map((t, i) => h('th', { text: t, class: i > 0 && i < 5 ? 'num' : '', attrs: { scope: 'col' } })))));
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
      if (grouped)
        tbody.appendChild(h('tr', { class: 'tf-row' }, h('th', { text: key === '' ? 'All timeframes' : key, attrs: { colspan: '6', scope: 'colgroup' } })));
      for (const s of groups.get(key) as SubSignalDetail[]) {
        // data-label names each value on a phone, where the row is laid out as a small card.
        tbody.appendChild(
          h(
            'tr',
            { class: s.score === null ? 'null' : '' },
            h('th', { text: subSignalLabel(s), attrs: { scope: 'row', title: s.name } }),
            h('td', { class: 'num', text: fmtNumber(s.raw), attrs: { 'data-label': 'Raw' } }),
            h('td', { class: `num ${band(s.score) ?? ''}`, text: fmtScore(s.score), attrs: { 'data-label': 'Score' } }),
            h('td', { class: 'num', text: fmtNumber(s.weight, 2), attrs: { 'data-label': 'Weight' } }),
            h('td', { class: 'num', text: s.contribution === null ? '—' : fmtNumber(s.contribution, 2), attrs: { 'data-label': 'Points' } }),
            h('td', { class: 'note', text: subSignalNote(s) ?? '' }),
          ),
        );
      }
      table.appendChild(tbody);
    }
    return h('div', { class: 'subs-wrap' }, table);
  }
}
