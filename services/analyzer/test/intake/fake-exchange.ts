import type { WebSocket } from 'ws';
import { defaultAnswer, ok, sendJson, startHttp, startWs, type TestHttpServer, type TestWsServer } from './helpers';

/** A scriptable Bybit look-alike: REST market endpoints + a WS that acks and lets the test push frames. */
export interface FakeExchange {
  http: TestHttpServer;
  ws: TestWsServer;
  /** symbol → 24 h turnover; edit to change the universe. */
  universe: Map<string, number>;
  /** Called on each subscribed topic (after the ack). */
  onSubscribe: (topic: string, socket: WebSocket) => void;
  /** Paths answering with an error body while the predicate says so. */
  failWhen: (path: string, symbol: string | null) => boolean;
  /** Sends a frame to the socket subscribed to `topic` (the last one that subscribed). */
  push(topic: string, frame: string): boolean;
  subscribedTopics(): string[];
  close(): Promise<void>;
}

const M = 60_000;
const IV: Record<string, number> = { '1': M, '5': 5 * M, '30': 30 * M, '240': 240 * M };

export async function startFakeExchange(baseNow = Date.now()): Promise<FakeExchange> {
  const topicSocket = new Map<string, WebSocket>();
  const fx = {} as FakeExchange;
  fx.universe = new Map([
    ['AAAUSDT', 3e9],
    ['BBBUSDT', 2e9],
    ['CCCUSDT', 1e9],
    ['DDDUSDT', 5e8],
  ]);
  fx.onSubscribe = () => undefined;
  fx.failWhen = () => false;
  fx.http = await startHttp(({ path, query }, res) => {
    const symbol = query.get('symbol');
    if (fx.failWhen(path, symbol)) return sendJson(res, { retCode: 10001, retMsg: 'params error', result: {}, retExtInfo: {}, time: Date.now() });
    const limit = Number(query.get('limit') ?? 200);
    switch (path) {
      case '/v5/market/instruments-info': {
        const all = [...fx.universe.keys(), 'OLDUSDT'].map((s) => ({
          symbol: s,
          contractType: 'LinearPerpetual',
          status: s === 'OLDUSDT' ? 'Closed' : 'Trading',
          quoteCoin: 'USDT',
          baseCoin: s.replace('USDT', ''),
        }));
        // Two pages, to exercise the cursor.
        const page = query.get('cursor') === 'p2' ? 1 : 0;
        const half = Math.ceil(all.length / 2);
        return sendJson(res, ok({ category: 'linear', list: page ? all.slice(half) : all.slice(0, half), nextPageCursor: page ? '' : 'p2' }));
      }
      case '/v5/market/tickers':
        return sendJson(res, ok({ category: 'linear', list: [...fx.universe].map(([s, t]) => ({ symbol: s, turnover24h: String(t), lastPrice: '10' })) }));
      case '/v5/market/kline': {
        const iv = IV[query.get('interval') ?? '1'];
        // Candles that all closed at least 20 minutes before baseNow: deterministic regardless of when warm-up runs.
        const last = Math.floor((baseNow - 20 * M) / iv) * iv - iv;
        const list = Array.from({ length: limit }, (_, k) => {
          const start = last - k * iv;
          const p = (10 + ((start / iv) % 7)).toFixed(2);
          return [String(start), p, p, p, p, '100', '1000'];
        });
        return sendJson(res, ok({ symbol, category: 'linear', list }));
      }
      case '/v5/market/open-interest':
        return sendJson(
          res,
          ok({
            symbol,
            category: 'linear',
            list: Array.from({ length: Math.min(limit, 200) }, (_, k) => ({
              openInterest: String(1000 + k),
              timestamp: String(Math.floor(baseNow / (5 * M)) * 5 * M - (k + 4) * 5 * M),
            })),
            nextPageCursor: '',
          }),
        );
      case '/v5/market/account-ratio':
        return sendJson(
          res,
          ok({
            list: Array.from({ length: Math.min(limit, 100) }, (_, k) => ({
              symbol,
              buyRatio: '0.55',
              sellRatio: '0.45',
              timestamp: String(Math.floor(baseNow / (5 * M)) * 5 * M - (k + 4) * 5 * M),
            })),
          }),
        );
      case '/v5/market/funding/history':
        return sendJson(
          res,
          ok({
            category: 'linear',
            list: Array.from({ length: Math.min(limit, 50) }, (_, k) => ({
              symbol,
              fundingRate: '0.0001',
              fundingRateTimestamp: String(Math.floor(baseNow / (8 * 60 * M)) * 8 * 60 * M - k * 8 * 60 * M),
            })),
          }),
        );
      default:
        return sendJson(res, { retCode: 10001, retMsg: `unknown path ${path}`, result: {}, time: Date.now() });
    }
  });
  fx.ws = await startWs((msg, socket) => {
    defaultAnswer(msg, socket);
    if (msg.op === 'subscribe') {
      for (const t of msg.args ?? []) {
        topicSocket.set(t, socket);
        fx.onSubscribe(t, socket);
      }
    } else if (msg.op === 'unsubscribe') {
      for (const t of msg.args ?? []) if (topicSocket.get(t) === socket) topicSocket.delete(t);
    }
  });
  fx.push = (topic, frame) => {
    const s = topicSocket.get(topic);
    if (!s || s.readyState !== s.OPEN) return false;
    s.send(frame);
    return true;
  };
  fx.subscribedTopics = () => [...topicSocket.keys()].filter((t) => topicSocket.get(t)!.readyState === 1);
  fx.close = async () => {
    await fx.ws.close();
    await fx.http.close();
  };
  return fx;
}
