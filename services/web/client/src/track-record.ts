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
    this.select.append(h('option', { text: 'Overall score', attrs: { value: 'overall' } }), ...COMPONENTS.map((c) => h('option', { text: COMPONENT_LABELS[c].long, attrs: { value: c } })));
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
    setText(
      this.note,
      `${plural(d.resolvedSamples, 'resolved sample')} of ${d.totalSamples}${d.since !== null ? ` since ${fmtClock(d.since, Date.now())}` : ''}. ` +
        'Hit: the price moved the way the score pointed (Bullish ≥ 60 up, Bearish ≤ 40 down). Brackets: 95 % Wilson interval.',
    );
    if (bands.length === 0 || d.horizons.length === 0) {
      this.tableWrap.replaceChildren(
        h('p', { class: 'empty', text: d.totalSamples === 0 ? 'No samples yet — the track record fills as scores age past each horizon.' : 'No resolved samples for this scope yet.' }),
      );
      return;
    }
    const table = h('table', { class: 'track' });
    table.appendChild(
      h('thead', {}, h('tr', {}, h('th', { text: 'Band', attrs: { scope: 'col' } }), ...d.horizons.map((hz) => h('th', { class: 'num', text: hz, attrs: { scope: 'col' } })))),
    );
    const tbody = h('tbody');
    for (const b of bands) {
      tbody.appendChild(h('tr', {}, h('th', { text: b.band, attrs: { scope: 'row' } }), ...d.horizons.map((hz) => cell(b.byHorizon[hz]))));
    }
    table.appendChild(tbody);
    this.tableWrap.replaceChildren(table);
  }
}

function cell(c: CalibrationCell | undefined): HTMLElement {
  if (!c || c.samples === 0) return h('td', { class: 'num muted', text: '—', title: 'No samples' });
  const hit = c.hitRate === null ? '—' : fmtShare(c.hitRate);
  const ci = c.wilson95 ? `${fmtShare(c.wilson95.low)}–${fmtShare(c.wilson95.high)}` : '';
  const quality = c.hitRate === null ? '' : c.wilson95 && c.wilson95.low > 0.5 ? 'good' : c.wilson95 && c.wilson95.high < 0.5 ? 'bad' : '';
  return h(
    'td',
    {
      class: `num track-cell ${quality}`,
      title: `${plural(c.samples, 'sample')}, ${c.directional} directional, ${c.hits} hits\nMean return ${fmtPct(c.meanReturn)}, median ${fmtPct(c.medianReturn)}`,
    },
    h('span', { class: 'hit', text: hit }),
    ci ? h('span', { class: 'ci', text: ` [${ci}]` }) : null,
    h('span', { class: 'sub', text: `n=${c.samples}` }),
    h('span', { class: 'sub', text: `μ ${fmtPct(c.meanReturn)} · med ${fmtPct(c.medianReturn)}` }),
  );
}
