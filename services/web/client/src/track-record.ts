// "Track record": the calibration scoreboard per score band and horizon, overall or for one component.
import type { CalibrationCell, CalibrationData, ComponentName } from './types.js';
import { COMPONENTS, COMPONENT_LABELS } from './types.js';
import { h, setText } from './dom.js';
import { fmtClock, fmtPct, fmtShare, plural } from './format.js';

type Scope = 'overall' | ComponentName;

export class TrackRecordPanel {
  private data: CalibrationData | null = null;
  private unavailable: string | null = 'Loading the track record…';
  private scope: Scope = 'overall';
  private signature = '';
  private readonly select: HTMLSelectElement;
  private readonly tableWrap: HTMLElement;
  private readonly note: HTMLElement;

  constructor(container: HTMLElement) {
    this.select = h('select', { attrs: { id: 'track-scope', 'aria-label': 'Scoreboard for' } });
    this.select.append(
      h('option', { text: 'Overall score', attrs: { value: 'overall' } }),
      ...COMPONENTS.map((c) => h('option', { text: COMPONENT_LABELS[c].long, attrs: { value: c } })),
    );
    this.select.addEventListener('change', () => {
      this.scope = this.select.value as Scope;
      this.render(true);
    });
    this.tableWrap = h('div', { class: 'track-wrap' });
    this.note = h('p', { class: 'track-note' });
    container.append(
      h('div', { class: 'panel-tools' }, h('label', { text: 'Scoreboard for ', attrs: { for: 'track-scope' } }), this.select),
      this.tableWrap,
      this.note,
    );
  }

  setData(data: CalibrationData): void {
    this.data = data;
    this.unavailable = null;
    this.render(false);
  }

  setUnavailable(reason: string): void {
    if (this.data) return;
    this.unavailable = reason;
    this.render(false);
  }

  private render(force: boolean): void {
    const d = this.data;
    const signature = JSON.stringify([d, this.unavailable, this.scope]);
    if (!force && signature === this.signature) return;
    this.signature = signature;
    if (!d) {
      this.tableWrap.replaceChildren(h('p', { class: 'empty', text: this.unavailable ?? '' }));
      setText(this.note, '');
      return;
    }
    const bands = this.scope === 'overall' ? d.bands : (d.components.find((c) => c.component === this.scope)?.bands ?? []);
    const m = d.method;
    setText(
      this.note,
      `${plural(d.resolvedSamples, 'resolved sample')} of ${d.totalSamples}${d.since !== null ? ` since ${fmtClock(d.since, Date.now())}` : ''}. ` +
        'Hit: the price moved the way the label pointed. Base: how often the same symbols moved that way anyway over the whole record (with a rising market, Bullish labels hit often by luck). ' +
        'Skill = hit − base, in percentage points, with its 95 % range; a cell is green or red only when that range excludes 0. ' +
        `Only non-overlapping samples count (one per symbol per horizon), and the range comes from resampling whole time blocks, so correlated symbols are not counted as independent. ` +
        `Below ${m.minSamples} labelled samples or ${m.minBlocks} separate time blocks a cell says "too few".`,
    );
    if (bands.length === 0 || d.horizons.length === 0) {
      this.tableWrap.replaceChildren(
        h('p', {
          class: 'empty',
          text: d.totalSamples === 0 ? 'No samples yet — the track record fills as scores age past each horizon.' : 'No resolved samples for this scope yet.',
        }),
      );
      return;
    }
    const table = h('table', { class: 'track' });
    table.appendChild(
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { text: 'Band', attrs: { scope: 'col' } }),
          ...d.horizons.map((hz) => h('th', { class: 'num', text: hz, attrs: { scope: 'col' } })),
        ),
      ),
    );
    const tbody = h('tbody');
    for (const b of bands) {
      tbody.appendChild(h('tr', {}, h('th', { text: b.band, attrs: { scope: 'row' } }), ...d.horizons.map((hz) => cell(b.byHorizon[hz]))));
    }
    table.appendChild(tbody);
    this.tableWrap.replaceChildren(table);
  }
}

/** Skill in percentage points: 0.034 → "+3.4 pp". */
function pp(x: number | null): string {
  if (x === null) return '—';
  const v = Math.round(x * 1000) / 10;
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(1)} pp`;
}

const VERDICT_TEXT: Record<CalibrationCell['verdict'], string> = {
  skill: 'skill: better than the base rate',
  anti: 'worse than the base rate',
  none: 'no skill shown (the range includes 0)',
  too_few: 'too few samples to say',
  no_direction: 'no direction labels in this band',
};

function cell(c: CalibrationCell | undefined): HTMLElement {
  if (!c || c.samples === 0) return h('td', { class: 'num muted', text: '—', title: 'No samples' });
  const quality = c.verdict === 'skill' ? 'good' : c.verdict === 'anti' ? 'bad' : '';
  const main =
    c.verdict === 'too_few'
      ? h('span', { class: 'hit few', text: 'too few' })
      : c.verdict === 'no_direction'
        ? h('span', { class: 'hit muted', text: 'no labels' })
        : h('span', { class: 'hit skill', text: pp(c.skill) });
  const ci = c.skill95 && c.verdict !== 'too_few' ? h('span', { class: 'ci', text: ` [${pp(c.skill95.low)} … ${pp(c.skill95.high)}]` }) : null;
  const rates = c.hitRate === null ? null : h('span', { class: 'sub rates', text: `hit ${fmtShare(c.hitRate)} · base ${fmtShare(c.baseRate)}` });
  return h(
    'td',
    {
      class: `num track-cell ${quality} v-${c.verdict}`,
      title: `${VERDICT_TEXT[c.verdict]}\n${plural(c.samples, 'sample')}, ${c.directional} labelled, ${c.hits} hits, in ${plural(c.blocks, 'time block')}\nMean return ${fmtPct(c.meanReturn)}, median ${fmtPct(c.medianReturn)}`,
    },
    main,
    ci,
    h('span', { class: 'sub n', text: `n=${c.samples}` }),
    rates,
  );
}
