// REST market endpoints over real HTTP on loopback.
import { createSimulator, type SimAddress, type Simulator } from '../src';
import { getJson } from './sim-client';

const START = Date.UTC(2026, 0, 15, 10, 37, 24, 500);

let sim: Simulator;
let addr: SimAddress;
const api = (path: string): string => `${addr.restUrl}/v5/market/${path}`;

beforeAll(async () => {
  sim = createSimulator({ seed: 42, symbols: 20, manualClock: true, startTime: START });
  addr = await sim.start();
  sim.step(50);
});

afterAll(async () => {
  await sim.stop();
});

interface Instrument {
  symbol: string;
  status: string;
  contractType: string;
  quoteCoin: string;
  priceFilter: { tickSize: string };
  lotSizeFilter: { qtyStep: string };
}

describe('simulator REST', () => {
  test('when calling any endpoint, then the answer is Bybit envelope-shaped', async () => {
    const { status, body } = await getJson(api('time'));
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['result', 'retCode', 'retExtInfo', 'retMsg', 'time']);
    expect(body).toMatchObject({ retCode: 0, retMsg: 'OK', retExtInfo: {} });
    expect(body.result).toEqual({ timeSecond: String(Math.floor(body.time / 1000)), timeNano: expect.stringMatching(/^\d+$/) });
  });

  test('when paging instruments with the cursor, then every instrument is returned exactly once', async () => {
    const seen: Instrument[] = [];
    let cursor = '';
    let pages = 0;
    do {
      // Alternate between passing the cursor as received and URL-encoded, as clients differ.
      const c = pages % 2 === 0 ? encodeURIComponent(cursor) : cursor;
      const { body } = await getJson<{ list: Instrument[]; nextPageCursor: string; category: string }>(
        api(`instruments-info?category=linear&limit=4${cursor === '' ? '' : `&cursor=${c}`}`),
      );
      expect(body.retCode).toBe(0);
      expect(body.result.category).toBe('linear');
      seen.push(...body.result.list);
      cursor = body.result.nextPageCursor;
      pages++;
    } while (cursor !== '' && pages < 50);
    const symbols = seen.map((i) => i.symbol);
    expect(new Set(symbols).size).toBe(symbols.length);
    expect(symbols).toHaveLength(25);
    expect(pages).toBe(7);
    expect(symbols).toEqual([...symbols].sort());
    expect(
      seen
        .filter((i) => i.status !== 'Trading')
        .map((i) => i.status)
        .sort(),
    ).toEqual(['Closed', 'PreLaunch']);
    expect(seen.some((i) => i.contractType === 'LinearFutures')).toBe(true);
    expect(seen.some((i) => i.quoteCoin === 'USDC')).toBe(true);
    const btc = seen.find((i) => i.symbol === 'BTCUSDT');
    expect(btc?.priceFilter.tickSize).toBe('0.10');
    expect(btc?.lotSizeFilter.qtyStep).toBe('0.001');
    const all = await getJson<{ list: Instrument[]; nextPageCursor: string }>(api('instruments-info?category=linear'));
    expect(all.body.result.list).toHaveLength(25);
    expect(all.body.result.nextPageCursor).toBe('');
  });

  test('when asking for 1000 candles per interval, then they come newest first, contiguous, as string rows', async () => {
    for (const interval of ['1', '5', '30', '240']) {
      const { body } = await getJson<{ symbol: string; category: string; list: string[][] }>(
        api(`kline?category=linear&symbol=BTCUSDT&interval=${interval}&limit=1000`),
      );
      expect(body.retCode).toBe(0);
      const { list } = body.result;
      expect(list).toHaveLength(1000);
      const ms = Number(interval) * 60_000;
      expect(Number(list[0][0])).toBe(Math.floor(sim.now() / ms) * ms);
      const gaps = list.slice(1).map((row, i) => Number(list[i][0]) - Number(row[0]));
      expect(new Set(gaps)).toEqual(new Set([ms]));
      for (const row of [list[0], list[999]]) {
        expect(row).toHaveLength(7);
        for (const v of row) expect(typeof v).toBe('string');
      }
    }
    const dflt = await getJson<{ list: string[][] }>(api('kline?category=linear&symbol=ETHUSDT&interval=5'));
    expect(dflt.body.result.list).toHaveLength(200);
  });

  test('when start and end bound a kline request, then only candles starting inside are returned', async () => {
    const end = Math.floor(sim.now() / 300_000) * 300_000 - 10 * 300_000;
    const start = end - 4 * 300_000;
    const { body } = await getJson<{ list: string[][] }>(api(`kline?category=linear&symbol=ETHUSDT&interval=5&start=${start}&end=${end}`));
    expect(body.result.list.map((r) => Number(r[0]))).toEqual([end, end - 300_000, end - 600_000, end - 900_000, start]);
  });

  test('when parameters are wrong, then HTTP 200 carries retCode 10001', async () => {
    const bad = [
      'kline?symbol=BTCUSDT&interval=1',
      'kline?category=linear&symbol=BTCUSDT&interval=7',
      'kline?category=linear&symbol=BTCUSDT&interval=1&limit=1001',
      'kline?category=linear&symbol=BTCUSDT&interval=1&limit=0',
      'kline?category=linear&symbol=BTCUSDT&interval=1&start=20&end=10',
      'kline?category=linear&symbol=NOPEUSDT&interval=1',
      'instruments-info?category=spot',
      'instruments-info?category=linear&cursor=garbage',
      'open-interest?category=linear&symbol=BTCUSDT&intervalTime=2min',
      'account-ratio?category=linear&symbol=BTCUSDT&period=1h&limit=501',
      'funding/history?category=linear&symbol=BTCUSDT&limit=201',
      'orderbook?category=linear',
    ];
    for (const path of bad) {
      const { status, body } = await getJson(api(path));
      expect({ path, status, retCode: body.retCode }).toEqual({ path, status: 200, retCode: 10001 });
      expect(body.retMsg).not.toBe('OK');
    }
    const unknown = await getJson(api('tickers?category=linear&symbol=NOPEUSDT'));
    expect(unknown.body.retMsg).toContain('Not supported symbols');
    expect((await fetch(api('nothing-here'))).status).toBe(404);
  });

  test('when listing tickers, then every simulated symbol has numbers as strings', async () => {
    const { body } = await getJson<{ list: Record<string, string>[] }>(api('tickers?category=linear'));
    expect(body.result.list).toHaveLength(20);
    const btc = body.result.list.find((t) => t.symbol === 'BTCUSDT');
    expect(btc).toMatchObject({ lastPrice: expect.stringMatching(/^\d+\.\d{2}$/), nextFundingTime: expect.stringMatching(/^\d+$/) });
    expect(Number(btc?.bid1Price)).toBeLessThan(Number(btc?.ask1Price));
  });

  test('when paging open interest, then pages are newest first and continue without overlap', async () => {
    type Page = { symbol: string; list: { openInterest: string; timestamp: string }[]; nextPageCursor: string };
    const first = await getJson<Page>(api('open-interest?category=linear&symbol=BTCUSDT&intervalTime=1h&limit=200'));
    const list1 = first.body.result.list;
    expect(list1).toHaveLength(200);
    const second = await getJson<Page>(api(`open-interest?category=linear&symbol=BTCUSDT&intervalTime=1h&limit=5&cursor=${first.body.result.nextPageCursor}`));
    const times = [...list1, ...second.body.result.list].map((p) => Number(p.timestamp));
    expect(times.slice(1).map((t, i) => times[i] - t)).toEqual(new Array(204).fill(3_600_000));
    expect(Number(list1[0].openInterest)).toBeGreaterThan(0);
  });

  test('when asking account ratio, funding history and recent trades, then the shapes match Bybit', async () => {
    const ratio = await getJson<{ list: Record<string, string>[] }>(api('account-ratio?category=linear&symbol=ETHUSDT&period=5min&limit=500'));
    expect(ratio.body.result.list).toHaveLength(500);
    const r0 = ratio.body.result.list[0];
    expect(Object.keys(r0).sort()).toEqual(['buyRatio', 'sellRatio', 'symbol', 'timestamp']);
    expect(Number(r0.buyRatio) + Number(r0.sellRatio)).toBeCloseTo(1, 10);

    const funding = await getJson<{ list: Record<string, string>[] }>(api('funding/history?category=linear&symbol=ETHUSDT&limit=10'));
    const stamps = funding.body.result.list.map((f) => Number(f.fundingRateTimestamp));
    expect(stamps).toHaveLength(10);
    expect(stamps.slice(1).every((t, i) => stamps[i] - t === 8 * 3_600_000)).toBe(true);

    const trades = await getJson<{ list: Record<string, unknown>[] }>(api('recent-trade?category=linear&symbol=ETHUSDT&limit=5'));
    expect(trades.body.result.list).toHaveLength(5);
    expect(Object.keys(trades.body.result.list[0]).sort()).toEqual(
      ['execId', 'isBlockTrade', 'isRPITrade', 'price', 'seq', 'side', 'size', 'symbol', 'time'].sort(),
    );
  });
});
