// Time travel: pick a recorded minute and see the table as it was, until "Back to live".
import type { ApiEnvelope, SnapshotData, SymbolRow, TimelineData } from './types.js';
import { getJson } from './api.js';
import { h, setText } from './dom.js';
import { fmtClock } from './format.js';

const TIMELINE_MIN_INTERVAL_MS = 30_000;

export interface TimeTravelCallbacks {
  enter(minute: number, rows: SymbolRow[]): void;
  exit(): void;
  serverNow(): number;
}

export class TimeTravel {
  private minutes: number[] = [];
  private lastFetch = 0;
  private viewing: number | null = null;
  private loading = false;
  private readonly bannerText: HTMLElement;

  constructor(
    private readonly select: HTMLSelectElement,
    private readonly banner: HTMLElement,
    private readonly cb: TimeTravelCallbacks,
  ) {
    this.bannerText = h('span', { class: 'tt-text' });
    const back = h('button', { class: 'btn btn-primary', text: 'Back to live', attrs: { type: 'button', id: 'tt-back' } });
    back.addEventListener('click', () => this.backToLive());
    banner.replaceChildren(h('span', { class: 'tt-icon', text: '↺', attrs: { 'aria-hidden': 'true' } }), this.bannerText, back);
    select.addEventListener('focus', () => void this.refresh(false));
    select.addEventListener('pointerdown', () => void this.refresh(false));
    select.addEventListener('change', () => void this.choose(select.value));
    this.renderOptions();
  }

  get isViewing(): boolean {
    return this.viewing !== null;
  }

  /** Fetches the list of recorded minutes (throttled unless forced). */
  async refresh(force: boolean): Promise<void> {
    if (!force && Date.now() - this.lastFetch < TIMELINE_MIN_INTERVAL_MS) return;
    this.lastFetch = Date.now();
    const res = await getJson<ApiEnvelope<TimelineData>>('/api/timeline');
    if (res.ok && res.body.data) {
      this.minutes = [...res.body.data.minutes].sort((a, b) => b - a);
      this.select.disabled = false;
      this.select.title = this.minutes.length === 0 ? 'No minute recorded yet' : `${this.minutes.length} recorded minutes`;
    } else {
      this.select.title = res.ok ? 'No minute recorded yet' : `Time travel unavailable — ${res.message}`;
    }
    this.renderOptions();
  }

  backToLive(): void {
    this.viewing = null;
    this.select.value = '';
    this.banner.hidden = true;
    document.body.classList.remove('time-travel');
    this.cb.exit();
  }

  private async choose(value: string): Promise<void> {
    if (value === '') {
      this.backToLive();
      return;
    }
    const minute = Number(value);
    if (!Number.isFinite(minute) || this.loading) return;
    this.loading = true;
    this.showBanner(`Loading ${this.label(minute)}…`);
    const res = await getJson<ApiEnvelope<SnapshotData>>(`/api/timeline/${minute}`);
    this.loading = false;
    if (this.select.value !== value) return;
    if (!res.ok || !res.body.data) {
      this.showBanner(`Could not load ${this.label(minute)} — ${res.ok ? 'no table was recorded for that minute' : res.message}`);
      return;
    }
    this.viewing = minute;
    document.body.classList.add('time-travel');
    this.showBanner(`Viewing ${this.label(minute)} — not live`);
    this.cb.enter(minute, res.body.data.rows);
  }

  private showBanner(text: string): void {
    setText(this.bannerText, text);
    this.banner.hidden = false;
  }

  private label(minute: number): string {
    return fmtClock(minute, this.cb.serverNow());
  }

  private renderOptions(): void {
    const current = this.select.value;
    const now = this.cb.serverNow();
    const options = [
      h('option', { text: 'Live', attrs: { value: '' } }),
      ...this.minutes.map((m) => h('option', { text: fmtClock(m, now), attrs: { value: String(m) } })),
    ];
    if (this.viewing !== null && !this.minutes.includes(this.viewing)) {
      options.push(h('option', { text: fmtClock(this.viewing, now), attrs: { value: String(this.viewing) } }));
    }
    this.select.replaceChildren(...options);
    this.select.value = current && [...this.select.options].some((o) => o.value === current) ? current : '';
  }
}
