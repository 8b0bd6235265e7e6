// Dashboard entry point: wires the live stream, the panels and the router together.
import type { Alert, AlertsData, ApiEnvelope, CalibrationData, Status, StreamSnapshot } from './types.js';
import { AlertsPanel } from './alerts-panel.js';
import { getJson } from './api.js';
import { byId, setText, setTitle } from './dom.js';
import { DetailView } from './detail-view.js';
import { fmtAge, plural } from './format.js';
import { OverviewPanel } from './overview-panel.js';
import { Router } from './router.js';
import { StatusBanner } from './status-banner.js';
import { emptyReason, notLiveReason } from './status-text.js';
import { LiveStream } from './stream.js';
import { SymbolsTable } from './symbols-table.js';
import type { OrderState } from './symbols-table.js';
import type { DirectionFilter, TableQuery } from './table-model.js';
import { DEFAULT_QUERY, isSortKey } from './table-model.js';
import { TimeTravel } from './time-travel.js';
import { TrackRecordPanel } from './track-record.js';

const QUERY_STORAGE_KEY = 'confluence.table.v1';
const PALETTE_STORAGE_KEY = 'confluence.palette.v1';

/** Short, so the cue fits its reserved slot: showing it never moves the table under the pointer. */
const ORDER_CUE: Record<NonNullable<OrderState['frozen']>, string> = {
  paused: 'Order paused',
  pointer: 'Order paused: pointer on table',
  focus: 'Order paused: row has focus',
  'reduced-motion': 'Order refreshes every 30 s',
};

function loadQuery(): TableQuery {
  try {
    const raw = JSON.parse(localStorage.getItem(QUERY_STORAGE_KEY) ?? 'null') as Partial<TableQuery> | null;
    if (raw && isSortKey(raw.sort) && (raw.order === 'asc' || raw.order === 'desc')) {
      return { ...DEFAULT_QUERY, sort: raw.sort, order: raw.order };
    }
  } catch {
    // Storage may be disabled or hold something else: the default order is fine.
  }
  return DEFAULT_QUERY;
}

function saveQuery(q: TableQuery): void {
  try {
    localStorage.setItem(QUERY_STORAGE_KEY, JSON.stringify({ sort: q.sort, order: q.order }));
  } catch {
    // Not persisting the sort order is harmless.
  }
}

class Dashboard {
  private live: StreamSnapshot | null = null;
  /** The recorded minute shown instead of the live table, if any. */
  private viewing: number | null = null;
  /** Panels the stream has already filled: the one-off fetch at start must not overwrite them with older data. */
  private readonly streamed = new Set<'alerts' | 'calibration'>();
  private renderQueued = false;
  private tableDirty = false;
  private readonly banner: StatusBanner;
  private readonly table: SymbolsTable;
  private readonly overview: OverviewPanel;
  private readonly detail: DetailView;
  private readonly router: Router;
  private readonly alerts: AlertsPanel;
  private readonly track: TrackRecordPanel;
  private readonly timeTravel: TimeTravel;
  private readonly tableEmpty = byId('table-empty');
  private readonly tableCount = byId('table-count');
  private readonly pendingNote = byId('pending-note');
  private lastFocusedSymbol: string | null = null;
  private alertsList: readonly Alert[] = [];
  private readonly orderCue = byId('order-cue');
  private readonly pauseBtn = byId<HTMLButtonElement>('order-pause');

  constructor() {
    this.banner = new StatusBanner(byId('status-banner'), byId('data-pill'), byId('sim-badge'), byId('conn'), byId('status-announce'));
    this.router = new Router((route) => this.onRoute(route.symbol));
    const open = (symbol: string): void => this.router.openSymbol(symbol);
    this.table = new SymbolsTable(byId('symbols-head'), byId('symbols-body'), loadQuery(), {
      open,
      sortChanged: (q) => {
        saveQuery(q);
        this.renderTableMeta();
      },
      orderChanged: (st) => this.renderOrderCue(st),
    });
    this.overview = new OverviewPanel(byId('overview-grid'), open);
    this.alerts = new AlertsPanel(byId('alerts-body'), open);
    this.track = new TrackRecordPanel(byId('track-body'));
    this.detail = new DetailView(byId<HTMLDialogElement>('detail'), {
      requestClose: () => this.router.close(),
      serverNow: () => this.banner.serverNow(),
    });
    this.timeTravel = new TimeTravel(byId<HTMLSelectElement>('tt-select'), byId('tt-banner'), {
      enter: (minute, rows) => {
        this.viewing = minute;
        this.table.render(rows, false, this.banner.serverNow());
        this.renderTableMeta();
        this.renderFreshness();
      },
      exit: () => {
        this.viewing = null;
        this.table.render(this.live?.symbols.rows ?? [], false, this.banner.serverNow());
        this.renderTableMeta();
        this.renderFreshness();
      },
      serverNow: () => this.banner.serverNow(),
    });
    this.wireFilters();
    this.wireOrderControls();
    this.renderOverview();
    this.renderTableMeta();
  }

  start(): void {
    new LiveStream('/api/stream', {
      snapshot: (s) => this.onSnapshot(s),
      status: (s) => this.onStatus(s),
      alerts: (a) => {
        this.streamed.add('alerts');
        this.setAlerts(a);
      },
      calibration: (c) => {
        this.streamed.add('calibration');
        this.track.setData(c);
      },
      connection: (state) => this.banner.setConnection(state),
    });
    void this.initialLoad();
    window.setInterval(() => this.tick(), 1_000);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.queueRender();
    });
    this.router.emit();
  }

  /** The table, overview and status arrive on the stream as soon as it connects; these panels load once, then follow it. */
  private async initialLoad(): Promise<void> {
    const [alerts, calibration] = await Promise.all([
      getJson<ApiEnvelope<AlertsData>>('/api/alerts'),
      getJson<ApiEnvelope<CalibrationData>>('/api/calibration'),
      this.timeTravel.refresh(true),
    ]);
    if (!this.streamed.has('alerts')) {
      if (alerts.ok && alerts.body.data) this.setAlerts(alerts.body.data);
      else
        this.alerts.setUnavailable(
          alerts.ok ? 'No alerts yet — one is raised when a symbol enters a strong band with agreeing components.' : `Alerts unavailable — ${alerts.message}`,
        );
    }
    if (!this.streamed.has('calibration')) {
      if (calibration.ok && calibration.body.data) this.track.setData(calibration.body.data);
      else
        this.track.setUnavailable(
          calibration.ok ? 'No track record yet — it fills as scores age past each horizon.' : `Track record unavailable — ${calibration.message}`,
        );
    }
  }

  private onSnapshot(s: StreamSnapshot): void {
    const cur = this.live;
    const newer = !cur || s.producedAt > cur.producedAt || (s.producedAt === cur.producedAt && s.generation !== cur.generation);
    if (!newer) return;
    this.live = s;
    this.tableDirty = true;
    this.queueRender();
    if (this.detail.openSymbol) this.detail.onGeneration(this.liveRow(this.detail.openSymbol));
    void this.timeTravel.refresh(false);
  }

  private onStatus(s: Status): void {
    this.banner.setStatus(s);
    this.renderOverview();
    this.renderTableMeta();
    this.renderFreshness();
  }

  private liveRow(symbol: string): StreamSnapshot['symbols']['rows'][number] | null {
    return this.live?.symbols.rows.find((r) => r.symbol === symbol) ?? null;
  }

  private setAlerts(a: AlertsData): void {
    this.alertsList = a.alerts;
    this.alerts.setData(a, this.banner.serverNow());
    this.renderFreshness();
  }

  /**
   * Stale data looks stale: the table and overview are dimmed (no full-colour STRONG badges), and the detail says
   * the same as the banner. A recorded minute is not dimmed: its own banner says it is not live.
   */
  private renderFreshness(): void {
    const reason = notLiveReason(this.banner.currentAdvanced());
    const state = this.viewing !== null ? 'past' : reason ? 'stale' : 'live';
    if (document.body.dataset.data !== state) document.body.dataset.data = state;
    this.detail.setContext({ notLive: reason, viewingMinute: this.viewing, alerts: this.alertsList });
  }

  private renderOrderCue(st: OrderState): void {
    // The cue keeps its slot when idle (visibility, not display), so it appearing never shifts the rows.
    setText(this.orderCue, st.frozen ? ORDER_CUE[st.frozen] : '');
    this.orderCue.dataset.reason = st.frozen ?? '';
    this.orderCue.dataset.pending = String(st.pending);
    setTitle(this.orderCue, st.pending ? 'The live order differs; it applies when the pause ends' : '');
  }

  private wireOrderControls(): void {
    this.pauseBtn.addEventListener('click', () => {
      const paused = !this.table.isPaused;
      this.table.setPaused(paused);
      this.pauseBtn.setAttribute('aria-pressed', String(paused));
      setText(this.pauseBtn, paused ? 'Resume order' : 'Pause order');
    });
    const palette = byId<HTMLInputElement>('palette-cb');
    const apply = (on: boolean): void => {
      if (on) document.documentElement.dataset.palette = 'blue-orange';
      else delete document.documentElement.dataset.palette;
    };
    try {
      palette.checked = localStorage.getItem(PALETTE_STORAGE_KEY) === 'blue-orange';
    } catch {
      // Storage may be disabled: the default palette is fine.
    }
    apply(palette.checked);
    palette.addEventListener('change', () => {
      apply(palette.checked);
      try {
        localStorage.setItem(PALETTE_STORAGE_KEY, palette.checked ? 'blue-orange' : 'default');
      } catch {
        // Not remembering the palette is harmless.
      }
    });
  }

  /** Coalesces bursts of generations into one render per frame; hidden tabs render when shown again. */
  private queueRender(): void {
    if (this.renderQueued || document.hidden) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      if (this.tableDirty && this.viewing === null) this.table.render(this.live?.symbols.rows ?? [], true, this.banner.serverNow());
      this.tableDirty = false;
      this.renderOverview();
      this.renderTableMeta();
    });
  }

  private renderOverview(): void {
    const live = this.live;
    this.overview.render(live?.overview ?? null, live?.symbols.rows ?? [], live?.symbols.pending.length ?? 0, emptyReason(this.banner.currentAdvanced()));
  }

  private renderTableMeta(): void {
    const total = this.table.totalCount;
    const shown = this.table.visibleCount;
    const q = this.table.currentQuery;
    let empty = '';
    if (total === 0) {
      empty = this.viewing !== null ? 'No rows were recorded for this minute.' : emptyReason(this.banner.currentAdvanced());
    } else if (shown === 0) {
      const what = q.direction === 'all' ? 'symbol' : `${q.direction} symbol`;
      empty = q.text.trim() ? `No ${what} matches “${q.text.trim()}”.` : `No ${what} right now.`;
    }
    setText(this.tableEmpty, empty);
    this.tableEmpty.hidden = empty === '';
    const parts = [total === shown ? plural(total, 'symbol') : `${shown} of ${plural(total, 'symbol')}`];
    const live = this.live;
    if (this.viewing === null && live) {
      if (live.symbols.pending.length > 0) parts.push(`${live.symbols.pending.length} warming up`);
      if (live.symbols.dropped > 0) parts.push(`${live.symbols.dropped} dropped (invalid)`);
      parts.push(`published ${fmtAge(this.banner.serverNow() - live.producedAt)} ago`);
    }
    setText(this.tableCount, parts.join(' · '));
    const pending = this.viewing === null && live ? live.symbols.pending : [];
    setText(
      this.pendingNote,
      pending.length > 0
        ? `Warming up (not scored yet): ${pending.slice(0, 40).join(', ')}${pending.length > 40 ? ` and ${pending.length - 40} more` : ''}`
        : '',
    );
    this.pendingNote.hidden = pending.length === 0;
  }

  private tick(): void {
    this.banner.render();
    this.renderFreshness();
    if (document.hidden) return;
    this.table.tick(this.banner.serverNow());
    this.detail.tick();
    this.renderTableMeta();
  }

  private onRoute(symbol: string | null): void {
    if (symbol) {
      if (this.detail.openSymbol === null) {
        const active = document.activeElement as HTMLElement | null;
        this.lastFocusedSymbol = active?.closest?.('#symbols-body .row[data-symbol]')?.getAttribute('data-symbol') ?? null;
      }
      this.detail.open(symbol, this.liveRow(symbol));
    } else if (this.detail.openSymbol !== null) {
      this.detail.close();
      if (this.lastFocusedSymbol) this.table.focusSymbol(this.lastFocusedSymbol);
    }
  }

  private wireFilters(): void {
    const buttons = [...document.querySelectorAll<HTMLButtonElement>('#direction-filter button[data-direction]')];
    const sync = (): void => {
      const q = this.table.currentQuery;
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.direction === q.direction));
    };
    for (const b of buttons) {
      b.addEventListener('click', () => {
        this.table.setQuery({ ...this.table.currentQuery, direction: b.dataset.direction as DirectionFilter });
        sync();
        this.renderTableMeta();
      });
    }
    const search = byId<HTMLInputElement>('symbol-search');
    search.addEventListener('input', () => {
      this.table.setQuery({ ...this.table.currentQuery, text: search.value });
      this.renderTableMeta();
    });
    search.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        this.table.focusActive();
      } else if (e.key === 'Escape' && search.value) {
        search.value = '';
        this.table.setQuery({ ...this.table.currentQuery, text: '' });
        this.renderTableMeta();
      }
    });
    sync();
  }

  get stats(): SymbolsTable['stats'] & { detailRenders: number } {
    return { ...this.table.stats, detailRenders: this.detail.bodyRenders };
  }
}

let dashboard: Dashboard;
try {
  dashboard = new Dashboard();
} finally {
  // The main area is painted once its panels exist (no layout shift), and even if building them failed.
  document.body.dataset.ready = 'true';
}
// Read-only render statistics for the browser test and for anyone curious in the console.
Object.defineProperty(window, 'confluenceDashboard', { value: Object.freeze({ stats: () => ({ ...dashboard.stats }) }) });
dashboard.start();
