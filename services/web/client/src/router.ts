// Hash routing for the detail view: #/symbol/BTCUSDT opens it, the back button closes it.

const SYMBOL = /^[A-Z0-9]{2,30}$/;

export interface Route {
  symbol: string | null;
}

export function parseHash(hash: string): Route {
  const m = /^#\/symbol\/([^/?#]+)$/.exec(hash);
  if (!m) return { symbol: null };
  let s: string;
  try {
    s = decodeURIComponent(m[1]).toUpperCase();
  } catch {
    return { symbol: null };
  }
  return { symbol: SYMBOL.test(s) ? s : null };
}

export class Router {
  constructor(private readonly onRoute: (route: Route) => void) {
    window.addEventListener('popstate', () => this.emit());
    window.addEventListener('hashchange', () => this.emit());
  }

  current(): Route {
    return parseHash(location.hash);
  }

  emit(): void {
    this.onRoute(this.current());
  }

  openSymbol(symbol: string): void {
    if (this.current().symbol === symbol) {
      this.emit();
      return;
    }
    // Entries the page pushed itself are closed with history.back(), so Back and "close" agree.
    history.pushState({ confluenceDetail: true }, '', `#/symbol/${encodeURIComponent(symbol)}`);
    this.emit();
  }

  close(): void {
    if (this.current().symbol === null) return;
    if ((history.state as { confluenceDetail?: boolean } | null)?.confluenceDetail) {
      history.back();
    } else {
      // Opened from a deep link: there is no page of ours to go back to, so replace the entry instead.
      history.replaceState(null, '', `${location.pathname}${location.search}`);
      this.emit();
    }
  }
}
