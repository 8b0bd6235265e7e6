import { TICKER_FIELDS, type BookDeltaEvent, type BookSnapshotEvent, type MarketEvent, type TickerFields, type TradeEvent } from '../events';

/**
 * Exact fast path for the hot Bybit frames (order book, public trades, tickers).
 *
 * Why: at hundreds of symbols the general path spends most of the intake's time in JSON.parse and in collecting the
 * garbage it leaves: every price and size arrives as a JSON string inside a fresh array per book level, and all of it is
 * thrown away right after `Number()`. This scanner walks the frame text once with `charCodeAt`, turns the decimal
 * strings into numbers in place and allocates only what the events keep (the event objects, the flat level arrays, the
 * symbol and trade-id strings).
 *
 * What it guarantees: `scan` either pushes exactly the events that the general path (JSON.parse + the validators in
 * normalize.ts) would push for the same text, and returns the topic family to count, or returns undefined having pushed
 * nothing. It never classifies a frame: it accepts only compact JSON (no whitespace between tokens) in the shapes below,
 * and on any deviation — whitespace, a backslash escape, an unknown or duplicate key, a number outside its exact grammar,
 * `null`, a value the general path would reject, trailing text other than whitespace — it declines, and the general path
 * runs on the same text and decides (and counts a malformed frame under its own reason).
 *
 * Handled shapes (members of an object in any order, `?` optional):
 * - `{"topic":"orderbook.<depth>.<symbol>", "type":"snapshot"|"delta", "ts":<int>, "cts":<int>?,
 *    "data":{"s":<str>?, "b":<levels>, "a":<levels>, "u":<int>, "seq":<int>?}}` with levels `[["<dec>","<dec>"],…]`;
 * - `{"topic":"publicTrade.<symbol>", "type":"snapshot"|"delta"?, "ts":<int>?, "data":[{"T":<int>, "s":<str>?,
 *    "S":"Buy"|"Sell", "v":"<dec>", "p":"<dec>", "L":<str>?, "i":<str>?, "BT":<bool>?, "RPI":<bool>?, "seq":<int>?},…]}`;
 * - `{"topic":"tickers.<symbol>", "type":"snapshot"|"delta"?, "ts":<int>, "cs":<int>?, "data":{<field>:"<dec>"|"", …}}`
 *    where a field of TICKER_FIELDS may appear once and any other member must be a plain string (ignored).
 * `<int>` is a JSON integer below 2^53, `<dec>` a string `-?digits(.digits)?`, `<str>` a string without escapes.
 */

/** Topic families the scanner handles; the normalizer counts a handled frame under it in `byTopic`. */
export type FastFamily = 'orderbook' | 'publicTrade' | 'tickers';

/** Every frame the scanner handles starts with this (the general path's frames may put `topic` anywhere). */
export const FAST_PREFIX = '{"topic":"';

const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** Below this an integer mantissa is exact and every step of accumulating it is exact. */
const TWO_53 = 2 ** 53;
/** 10^k for k ≤ 22: each an exact double (written as literals, not computed). */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** `key()` results besides a key's id. */
const UNKNOWN_KEY = -1;
const BAD_KEY = -2;

/** Which data shape `members` reads. */
const BOOK_FRAME = 0;
const TRADE_FRAME = 1;
const TICKER_FRAME = 2;

const SNAPSHOT = 1;
const DELTA = 2;
/** Sentinel for an absent optional value in the scratch arrays (every real one is ≥ 0). */
const ABSENT = -1;

/** Whether `text` holds `word` at `at`. Compares char codes, which the JIT inlines (`startsWith` is a builtin call). */
function hasAt(text: string, at: number, word: string): boolean {
  for (let j = 0; j < word.length; j++) if (text.charCodeAt(at + j) !== word.charCodeAt(j)) return false;
  return true;
}

/** Known member names of one object shape, looked up by length and first character without slicing the key out. */
class KeySet {
  private static readonly MAX_LENGTH = 40;
  /** Candidates `[name, id]` by `length * 128 + first character`; a dense array, so a lookup is one indexed load. */
  private readonly buckets: [string, number][][];

  constructor(names: readonly string[]) {
    const none: [string, number][] = [];
    this.buckets = new Array<[string, number][]>((KeySet.MAX_LENGTH + 1) * 128).fill(none);
    names.forEach((name, id) => {
      const b = name.length * 128 + name.charCodeAt(0);
      this.buckets[b] = [...this.buckets[b], [name, id]];
    });
  }

  /** The id of the key `text[start, start + length)`, or UNKNOWN_KEY. */
  find(text: string, start: number, length: number): number {
    const first = text.charCodeAt(start);
    if (length === 0 || length > KeySet.MAX_LENGTH || first >= 128) return UNKNOWN_KEY;
    const bucket = this.buckets[length * 128 + first];
    for (let i = 0; i < bucket.length; i++) if (hasAt(text, start, bucket[i][0])) return bucket[i][1];
    return UNKNOWN_KEY;
  }
}

const TOP = new KeySet(['type', 'ts', 'data', 'cts', 'cs']);
const TOP_TYPE = 0;
const TOP_TS = 1;
const TOP_DATA = 2;

const BOOK = new KeySet(['s', 'b', 'a', 'u', 'seq']);
const BOOK_S = 0;
const BOOK_B = 1;
const BOOK_A = 2;
const BOOK_U = 3;
const BOOK_SEQ = 4;
const BOOK_REQUIRED = (1 << BOOK_B) | (1 << BOOK_A) | (1 << BOOK_U);

const TRADE = new KeySet(['T', 's', 'S', 'v', 'p', 'L', 'i', 'BT', 'RPI', 'seq']);
const TRADE_T = 0;
const TRADE_S_SYMBOL = 1;
const TRADE_SIDE = 2;
const TRADE_V = 3;
const TRADE_P = 4;
const TRADE_L = 5;
const TRADE_I = 6;
const TRADE_BT = 7;
const TRADE_RPI = 8;
const TRADE_SEQ = 9;
const TRADE_REQUIRED = (1 << TRADE_T) | (1 << TRADE_SIDE) | (1 << TRADE_V) | (1 << TRADE_P);
/** One trade in the scratch array: T, price, size, side (0 Buy, 1 Sell), id start/end, BT, RPI, seq, L start/end. */
const TRADE_STRIDE = 11;

const TICKER = new KeySet(TICKER_FIELDS);

/**
 * The scanner: a cursor over one frame's text, plus scratch arrays reused across frames so that nothing is allocated
 * before the frame is known to be handled. One per normalizer; not re-entrant.
 */
export class FastScanner {
  private text = '';
  private pos = 0;
  /** Top-level `type` (SNAPSHOT, DELTA, or 0 when absent) and `ts` (NaN when absent). */
  private kind = 0;
  private ts = Number.NaN;
  /** Book: levels of both sides, `[price, size, …]`; bids are `[bidsStart, bidsEnd)`, asks `[asksStart, asksEnd)`. */
  private readonly levels: number[] = [];
  private nLevels = 0;
  private bidsStart = 0;
  private bidsEnd = 0;
  private asksStart = 0;
  private asksEnd = 0;
  private u = 0;
  private seq = ABSENT;
  /** Trades: TRADE_STRIDE numbers per trade. */
  private readonly trades: number[] = [];
  private nTrades = 0;
  /** Ticker: values by TICKER_FIELDS index; bit i of `tickerPresent` says field i carries a number. */
  private readonly tickerValues: number[] = TICKER_FIELDS.map(() => 0);
  private tickerPresent = 0;

  /** Pushes the events of `text` onto `out` and returns its family, or returns undefined (nothing pushed). */
  scan(text: string, recvTs: number, out: MarketEvent[]): FastFamily | undefined {
    if (!hasAt(text, 0, FAST_PREFIX)) return undefined;
    this.text = text;
    const at = FAST_PREFIX.length;
    let family: FastFamily | undefined;
    if (hasAt(text, at, 'orderbook.')) {
      this.pos = at + 10;
      if (this.book(recvTs, out)) family = 'orderbook';
    } else if (hasAt(text, at, 'publicTrade.')) {
      this.pos = at + 12;
      if (this.publicTrade(recvTs, out)) family = 'publicTrade';
    } else if (hasAt(text, at, 'tickers.')) {
      this.pos = at + 8;
      if (this.ticker(recvTs, out)) family = 'tickers';
    }
    this.text = '';
    return family;
  }

  // ---- frames -------------------------------------------------------------------------------------------------

  private book(recvTs: number, out: MarketEvent[]): boolean {
    const depth = this.uint();
    if (!(depth > 0) || !this.eat(DOT)) return false;
    const symbolStart = this.pos;
    if (!this.topicSymbol()) return false;
    const symbolEnd = this.pos - 1;
    this.nLevels = 0;
    if (!this.members(BOOK_FRAME) || this.kind === 0 || Number.isNaN(this.ts)) return false;
    const ev: BookSnapshotEvent | BookDeltaEvent = {
      type: this.kind === SNAPSHOT ? 'book_snapshot' : 'book_delta',
      symbol: this.text.slice(symbolStart, symbolEnd),
      depth,
      ts: this.ts,
      recvTs,
      bids: this.levels.slice(this.bidsStart, this.bidsEnd),
      asks: this.levels.slice(this.asksStart, this.asksEnd),
      u: this.u,
      seq: this.seq === ABSENT ? undefined : this.seq,
    };
    out.push(ev);
    return true;
  }

  private publicTrade(recvTs: number, out: MarketEvent[]): boolean {
    const symbolStart = this.pos;
    if (!this.topicSymbol()) return false;
    const symbolEnd = this.pos - 1;
    this.nTrades = 0;
    if (!this.members(TRADE_FRAME)) return false;
    const s = this.text;
    const symbol = s.slice(symbolStart, symbolEnd);
    const r = this.trades;
    for (let t = 0, o = 0; t < this.nTrades; t++, o += TRADE_STRIDE) {
      const ev: TradeEvent = {
        type: 'trade',
        symbol,
        ts: r[o],
        recvTs,
        price: r[o + 1],
        size: r[o + 2],
        side: r[o + 3] === 0 ? 'Buy' : 'Sell',
        id: r[o + 4] === ABSENT ? '' : s.slice(r[o + 4], r[o + 5]),
        blockTrade: r[o + 6] === ABSENT ? undefined : r[o + 6] === 1,
        rpi: r[o + 7] === ABSENT ? undefined : r[o + 7] === 1,
        seq: r[o + 8] === ABSENT ? undefined : r[o + 8],
        tickDirection: r[o + 9] === ABSENT ? undefined : s.slice(r[o + 9], r[o + 10]),
      };
      out.push(ev);
    }
    return true;
  }

  private ticker(recvTs: number, out: MarketEvent[]): boolean {
    const symbolStart = this.pos;
    if (!this.topicSymbol()) return false;
    const symbolEnd = this.pos - 1;
    this.tickerPresent = 0;
    if (!this.members(TICKER_FRAME) || Number.isNaN(this.ts)) return false;
    const fields: TickerFields = {};
    const values = this.tickerValues;
    for (let i = 0; i < TICKER_FIELDS.length; i++) if ((this.tickerPresent & (1 << i)) !== 0) fields[TICKER_FIELDS[i]] = values[i];
    // A ticker push without `type` (options) is complete, i.e. a snapshot — as in the general path.
    const kind = this.kind === DELTA ? 'delta' : 'snapshot';
    out.push({ type: 'ticker', symbol: this.text.slice(symbolStart, symbolEnd), kind, ts: this.ts, recvTs, fields });
    return true;
  }

  // ---- structure ----------------------------------------------------------------------------------------------

  /**
   * Reads the rest of the topic string: the symbol up to the closing quote (at least one character, no dot — the general
   * path takes the symbol after the last dot — and nothing that needs unescaping).
   */
  private topicSymbol(): boolean {
    const s = this.text;
    const start = this.pos;
    let i = start;
    for (let c = s.charCodeAt(i); c !== QUOTE; c = s.charCodeAt(++i)) {
      if (!(c >= 0x20) || c === BACKSLASH || c === DOT) return false;
    }
    if (i === start) return false;
    this.pos = i + 1;
    return true;
  }

  /**
   * Reads the members after `"topic":"…"` up to the end of the text: `type`, `ts`, `data` (of the frame's shape), and the
   * integers `cts` / `cs` that the general path ignores. Each at most once; `data` required; only whitespace after the `}`.
   */
  private members(frame: number): boolean {
    this.kind = 0;
    this.ts = Number.NaN;
    let seen = 0;
    while (this.eat(COMMA)) {
      const key = this.key(TOP);
      if (key < 0 || (seen & (1 << key)) !== 0) return false;
      seen |= 1 << key;
      if (key === TOP_TYPE) {
        this.kind = this.kindValue();
        if (this.kind === 0) return false;
      } else if (key === TOP_TS) {
        this.ts = this.uint();
        if (Number.isNaN(this.ts)) return false;
      } else if (key === TOP_DATA) {
        const ok = frame === BOOK_FRAME ? this.bookData() : frame === TRADE_FRAME ? this.tradeData() : this.tickerData();
        if (!ok) return false;
      } else if (Number.isNaN(this.uint())) return false;
    }
    return (seen & (1 << TOP_DATA)) !== 0 && this.eat(RBRACE) && this.atEnd();
  }

  /** Only JSON whitespace is left (JSON.parse allows it after the value; a recorded line may end in "\r"). */
  private atEnd(): boolean {
    const s = this.text;
    for (let i = this.pos; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
    }
    return true;
  }

  private bookData(): boolean {
    if (!this.eat(LBRACE)) return false;
    let seen = 0;
    this.seq = ABSENT;
    do {
      const key = this.key(BOOK);
      if (key < 0 || (seen & (1 << key)) !== 0) return false;
      seen |= 1 << key;
      switch (key) {
        case BOOK_S:
          if (this.plainString() < 0) return false;
          break;
        case BOOK_B:
          this.bidsStart = this.nLevels;
          if (!this.levelList()) return false;
          this.bidsEnd = this.nLevels;
          break;
        case BOOK_A:
          this.asksStart = this.nLevels;
          if (!this.levelList()) return false;
          this.asksEnd = this.nLevels;
          break;
        case BOOK_U:
          this.u = this.uint();
          if (Number.isNaN(this.u)) return false;
          break;
        case BOOK_SEQ:
          this.seq = this.uint();
          if (Number.isNaN(this.seq)) return false;
          break;
      }
    } while (this.eat(COMMA));
    return (seen & BOOK_REQUIRED) === BOOK_REQUIRED && this.eat(RBRACE);
  }

  /** `[["price","size"],…]` appended to `levels`; as in the general path, prices must be > 0 and sizes ≥ 0 (finite). */
  private levelList(): boolean {
    if (!this.eat(LBRACKET)) return false;
    if (this.eat(RBRACKET)) return true;
    const lv = this.levels;
    do {
      if (!this.eat(LBRACKET)) return false;
      const price = this.decimal();
      if (!(price > 0 && price < Number.POSITIVE_INFINITY) || !this.eat(COMMA)) return false;
      const size = this.decimal();
      if (!(size >= 0 && size < Number.POSITIVE_INFINITY) || !this.eat(RBRACKET)) return false;
      lv[this.nLevels++] = price;
      lv[this.nLevels++] = size;
    } while (this.eat(COMMA));
    return this.eat(RBRACKET);
  }

  private tradeData(): boolean {
    if (!this.eat(LBRACKET)) return false;
    if (this.eat(RBRACKET)) return true;
    do {
      if (!this.trade()) return false;
    } while (this.eat(COMMA));
    return this.eat(RBRACKET);
  }

  /** One trade object, appended to `trades` (TRADE_STRIDE numbers) when it is complete and valid. */
  private trade(): boolean {
    if (!this.eat(LBRACE)) return false;
    let seen = 0;
    let time = 0;
    let price = 0;
    let size = 0;
    let side = 0;
    let idStart: number = ABSENT;
    let idEnd = 0;
    let blockTrade: number = ABSENT;
    let rpi: number = ABSENT;
    let seq: number = ABSENT;
    let tickStart: number = ABSENT;
    let tickEnd = 0;
    do {
      const key = this.key(TRADE);
      if (key < 0 || (seen & (1 << key)) !== 0) return false;
      seen |= 1 << key;
      switch (key) {
        case TRADE_T:
          time = this.uint();
          if (Number.isNaN(time)) return false;
          break;
        case TRADE_S_SYMBOL:
          if (this.plainString() < 0) return false;
          break;
        case TRADE_SIDE:
          side = this.sideValue();
          if (side < 0) return false;
          break;
        case TRADE_V:
          // As in the general path: sizes ≥ 0, prices > 0, both finite.
          size = this.decimal();
          if (!(size >= 0 && size < Number.POSITIVE_INFINITY)) return false;
          break;
        case TRADE_P:
          price = this.decimal();
          if (!(price > 0 && price < Number.POSITIVE_INFINITY)) return false;
          break;
        case TRADE_L: {
          const start = this.plainString();
          if (start < 0) return false;
          // "" is no tick direction, as in the general path.
          if (this.pos - 1 > start) {
            tickStart = start;
            tickEnd = this.pos - 1;
          }
          break;
        }
        case TRADE_I:
          idStart = this.plainString();
          if (idStart < 0) return false;
          idEnd = this.pos - 1;
          break;
        case TRADE_BT:
          blockTrade = this.bool();
          if (blockTrade < 0) return false;
          break;
        case TRADE_RPI:
          rpi = this.bool();
          if (rpi < 0) return false;
          break;
        case TRADE_SEQ:
          seq = this.uint();
          if (Number.isNaN(seq)) return false;
          break;
      }
    } while (this.eat(COMMA));
    if ((seen & TRADE_REQUIRED) !== TRADE_REQUIRED || !this.eat(RBRACE)) return false;
    const r = this.trades;
    let o = this.nTrades * TRADE_STRIDE;
    // Appended in index order, so the scratch array never gets holes.
    r[o++] = time;
    r[o++] = price;
    r[o++] = size;
    r[o++] = side;
    r[o++] = idStart;
    r[o++] = idEnd;
    r[o++] = blockTrade;
    r[o++] = rpi;
    r[o++] = seq;
    r[o++] = tickStart;
    r[o] = tickEnd;
    this.nTrades++;
    return true;
  }

  /** Ticker data: known fields hold a decimal string or "" (absent); any other member is a plain string, ignored. */
  private tickerData(): boolean {
    if (!this.eat(LBRACE)) return false;
    if (this.eat(RBRACE)) return true;
    let seen = 0;
    do {
      const key = this.key(TICKER);
      if (key === BAD_KEY) return false;
      if (key === UNKNOWN_KEY) {
        if (this.plainString() < 0) return false;
        continue;
      }
      if ((seen & (1 << key)) !== 0) return false;
      seen |= 1 << key;
      // "" is how Bybit says "not applicable": absent, as in the general path.
      if (hasAt(this.text, this.pos, '""')) {
        this.pos += 2;
        continue;
      }
      const v = this.decimal();
      if (!Number.isFinite(v)) return false;
      this.tickerValues[key] = v;
      this.tickerPresent |= 1 << key;
    } while (this.eat(COMMA));
    return this.eat(RBRACE);
  }

  // ---- tokens -------------------------------------------------------------------------------------------------

  private eat(c: number): boolean {
    if (this.text.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /** Reads `"name":` and returns the name's id in `set`, UNKNOWN_KEY for another plain name, BAD_KEY for anything else. */
  private key(set: KeySet): number {
    const start = this.plainString();
    if (start < 0) return BAD_KEY;
    const end = this.pos - 1;
    if (!this.eat(COLON)) return BAD_KEY;
    return set.find(this.text, start, end - start);
  }

  /** Skips a string without escapes or control characters; returns where its content starts (it ends at pos - 1), or -1. */
  private plainString(): number {
    const s = this.text;
    let i = this.pos;
    if (s.charCodeAt(i) !== QUOTE) return -1;
    const start = ++i;
    for (let c = s.charCodeAt(i); c !== QUOTE; c = s.charCodeAt(++i)) {
      // NaN (past the end) fails the first test too.
      if (!(c >= 0x20) || c === BACKSLASH) return -1;
    }
    this.pos = i + 1;
    return start;
  }

  /** `"snapshot"` → SNAPSHOT, `"delta"` → DELTA, else 0. */
  private kindValue(): number {
    return this.either('"snapshot"', SNAPSHOT, '"delta"', DELTA, 0);
  }

  /** `"Buy"` → 0, `"Sell"` → 1, else -1. */
  private sideValue(): number {
    return this.either('"Buy"', 0, '"Sell"', 1, -1);
  }

  /** `true` → 1, `false` → 0, else -1. */
  private bool(): number {
    return this.either('true', 1, 'false', 0, -1);
  }

  /** Reads the token `a` (→ `va`) or `b` (→ `vb`); anything else reads nothing and gives `none`. */
  private either(a: string, va: number, b: string, vb: number, none: number): number {
    if (hasAt(this.text, this.pos, a)) {
      this.pos += a.length;
      return va;
    }
    if (hasAt(this.text, this.pos, b)) {
      this.pos += b.length;
      return vb;
    }
    return none;
  }

  /**
   * A JSON number that is a non-negative integer below 2^53 with no fraction, exponent or leading zero (its value is
   * then what JSON.parse gives), or NaN. The caller checks the character after it, so `01` or `1.5` still fail there.
   */
  private uint(): number {
    const s = this.text;
    let i = this.pos;
    let c = s.charCodeAt(i);
    if (c === ZERO) {
      this.pos = i + 1;
      return 0;
    }
    const start = i;
    let m = 0;
    while (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      c = s.charCodeAt(++i);
    }
    if (i === start || m >= TWO_53) return Number.NaN;
    this.pos = i;
    return m;
  }

  /**
   * A JSON string whose content is `-?digits(.digits)?`, as `Number(content)` bit for bit; NaN for anything else
   * (including "", ".5", "5.", "1e5", "+1", escapes). Clinger's fast path: with an integer mantissa m < 2^53 (exact) and
   * k ≤ 22 fraction digits (10^k exact), m / 10^k is one correctly rounded IEEE division, i.e. the double nearest to the
   * decimal, which is what Number() returns. Longer numbers go to Number() itself.
   */
  private decimal(): number {
    const s = this.text;
    let i = this.pos;
    if (s.charCodeAt(i) !== QUOTE) return Number.NaN;
    const content = ++i;
    const negative = s.charCodeAt(i) === MINUS;
    if (negative) i++;
    const intStart = i;
    let m = 0;
    let c = s.charCodeAt(i);
    while (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      c = s.charCodeAt(++i);
    }
    if (i === intStart) return Number.NaN;
    let k = 0;
    if (c === DOT) {
      const fracStart = ++i;
      c = s.charCodeAt(i);
      while (c >= ZERO && c <= NINE) {
        m = m * 10 + (c - ZERO);
        c = s.charCodeAt(++i);
      }
      k = i - fracStart;
      if (k === 0) return Number.NaN;
    }
    if (c !== QUOTE) return Number.NaN;
    this.pos = i + 1;
    // Once m reaches 2^53 it never drops below again (rounding is monotone), so this test is exact.
    if (m >= TWO_53 || k > 22) return Number(s.slice(content, i));
    const v = k === 0 ? m : m / POW10[k];
    return negative ? -v : v;
  }
}
