// The status banner (data status, plain words, ticking ages) and the live-connection indicator beside it.
import type { Status } from './types.js';
import { h, setText, setTitle } from './dom.js';
import type { ConnectionState } from './stream.js';
import { advanceAges, describeStatus, pillFor } from './status-text.js';

const CONNECTION_TEXT: Record<ConnectionState, { text: string; title: string }> = {
  connecting: { text: 'Connecting', title: 'Opening the live connection to the dashboard server' },
  connected: { text: 'Connected', title: 'Live connection open: updates arrive as the analyzer publishes' },
  reconnecting: { text: 'Reconnecting', title: 'The live connection dropped; the browser is reconnecting' },
  offline: { text: 'Offline', title: 'No connection to the dashboard server; retrying' },
};

export class StatusBanner {
  private status: Status | null = null;
  private receivedAt = 0;
  private signature = '';

  constructor(
    private readonly banner: HTMLElement,
    private readonly dataPill: HTMLElement,
    private readonly simBadge: HTMLElement,
    private readonly conn: HTMLElement,
    private readonly announcer: HTMLElement,
  ) {}

  get current(): Status | null {
    return this.status;
  }

  /** The status advanced to "now" by the time elapsed since it arrived. */
  currentAdvanced(now = Date.now()): Status | null {
    return this.status ? advanceAges(this.status, now - this.receivedAt) : null;
  }

  /** Server time now, from the clock offset seen in the last status. */
  serverNow(now = Date.now()): number {
    return this.status ? this.status.now + (now - this.receivedAt) : now;
  }

  setStatus(status: Status, now = Date.now()): void {
    this.status = status;
    this.receivedAt = now;
    this.render(now);
  }

  setConnection(state: ConnectionState): void {
    this.conn.dataset.state = state;
    setText(this.conn.querySelector('.conn-text') as HTMLElement, CONNECTION_TEXT[state].text);
    setTitle(this.conn, `Live connection: ${CONNECTION_TEXT[state].title}`);
  }

  render(now = Date.now()): void {
    const s = this.currentAdvanced(now);
    if (!s) return;
    const view = describeStatus(s);
    this.simBadge.hidden = !view.simulated;
    setTitle(
      this.simBadge,
      s.source === 'replay' ? 'Replayed market data, not the live exchange' : 'Market data from the local simulator, not the live exchange',
    );

    this.dataPill.dataset.state = s.state;
    const pill = pillFor(s);
    this.dataPill.dataset.tone = pill.tone;
    setText(this.dataPill, pill.text);
    setTitle(this.dataPill, `${s.message}${s.generation !== null ? ` (generation ${s.generation})` : ''}`);

    const lines = [...(view.headline ? [view.headline] : []), ...view.extras];
    // Ages tick every second; screen readers hear the banner only when what it says changes, not its numbers.
    const signature = JSON.stringify([s.state, s.feedDown, s.shards?.map((x) => x.state), s.rejected.length, lines.length]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.banner.hidden = lines.length === 0;
      const worst = lines.some((l) => l.level === 'error') ? 'error' : lines.some((l) => l.level === 'warn') ? 'warn' : 'info';
      this.banner.dataset.level = worst;
      this.banner.dataset.state = s.state;
      this.banner.replaceChildren(...lines.map((l) => h('p', { class: `banner-line ${l.level}`, attrs: { 'data-level': l.level } })));
      setText(this.announcer, lines.map((l) => l.text).join('. '));
    }
    lines.forEach((l, i) => {
      const p = this.banner.children[i] as HTMLElement | undefined;
      if (!p) return;
      setText(p, l.text);
      setTitle(p, l.detail ?? '');
    });
  }
}
