// Recent alerts, newest first, updated live from the stream.
import type { Alert, AlertsData } from './types.js';
import { h } from './dom.js';
import { fmtClock, fmtPrice, fmtScore, fmtShare } from './format.js';

/** The webhook's state in words: "disabled" next to an alert read as if the alert itself were switched off. */
const DELIVERY_TEXT: Readonly<Record<Alert['delivery'], string>> = {
  pending: 'sending…',
  delivered: 'sent',
  failed: 'not sent (failed)',
  disabled: 'no webhook',
};

const MAX_SHOWN = 50;
const DIR_ICON = { Bullish: '▲', Bearish: '▼', Neutral: '◆' } as const;
const NEW_MS = 6_000;

export class AlertsPanel {
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;
  private seen: Set<string> | null = null;
  private signature = '';

  constructor(container: HTMLElement, open: (symbol: string) => void) {
    this.list = h('ol', { class: 'alerts' });
    this.empty = h('p', { class: 'empty', text: 'Loading alerts…' });
    container.append(this.list, this.empty);
    this.list.addEventListener('click', (e) => {
      const btn = (e.target as Element).closest('button[data-symbol]');
      if (btn) open((btn as HTMLElement).dataset.symbol as string);
    });
  }

  setData(data: AlertsData, now: number): void {
    const alerts = [...data.alerts].sort((a, b) => b.at - a.at).slice(0, MAX_SHOWN);
    const signature = JSON.stringify(alerts);
    if (signature === this.signature) return;
    this.signature = signature;
    // Alerts that arrive while the page is open are marked as new for a few seconds.
    const seen = this.seen;
    const fresh = seen === null ? new Set<string>() : new Set(alerts.filter((a) => !seen.has(a.id)).map((a) => a.id));
    this.seen = new Set(alerts.map((a) => a.id));
    this.list.replaceChildren(...alerts.map((a) => this.item(a, fresh.has(a.id), now)));
    this.empty.textContent = alerts.length === 0 ? 'No alerts yet — one is raised when a symbol enters a strong band with agreeing components.' : '';
    this.empty.hidden = alerts.length > 0;
    if (fresh.size > 0) {
      window.setTimeout(() => {
        for (const li of this.list.querySelectorAll('li.new')) li.classList.remove('new');
      }, NEW_MS);
    }
  }

  setUnavailable(reason: string): void {
    if (this.seen !== null) return;
    this.empty.textContent = reason;
    this.empty.hidden = false;
  }

  private item(a: Alert, isNew: boolean, now: number): HTMLElement {
    const dir = a.direction.toLowerCase();
    return h(
      'li',
      { class: `alert ${dir}${isNew ? ' new' : ''}`, attrs: { 'data-id': a.id } },
      h('span', { class: 'alert-time num', text: fmtClock(a.at, now, true) }),
      h('button', { class: 'mover-sym', text: a.symbol, title: `Open ${a.symbol}`, attrs: { type: 'button', 'data-symbol': a.symbol } }),
      h(
        'span',
        { class: `dir ${dir}` },
        h('span', { class: 'dir-icon', text: DIR_ICON[a.direction], attrs: { 'aria-hidden': 'true' } }),
        h('span', { class: 'dir-word', text: a.direction }),
      ),
      h('span', { class: 'alert-score num', text: `${fmtScore(a.score)} · ${fmtShare(a.confidence)} conf` }),
      h('span', { class: 'alert-band', text: a.previousBand && a.previousBand !== a.band ? `${a.previousBand} → ${a.band}` : a.band }),
      h('span', { class: 'alert-price num', text: a.price === null ? '' : fmtPrice(a.price, a.tickSize) }),
      h('span', { class: 'alert-msg', text: a.message }),
      h('span', {
        class: `alert-delivery ${a.delivery}`,
        text: DELIVERY_TEXT[a.delivery],
        title: `Webhook delivery ${a.delivery}${a.attempts ? ` after ${a.attempts} attempt(s)` : ''}${a.price !== null ? ` · price ${fmtPrice(a.price, a.tickSize)}` : ''}`,
      }),
    );
  }
}
