import fs from 'node:fs';
import path from 'node:path';
import { RECORDING_VERSION } from '@confluence/bybit-wire';

/**
 * Recording format (JSONL, one object per line):
 *   {"k":"meta","v":1,"startedAt":ms,"source":"live"|"sim","wsUrl":"…","restUrl":"…"}      first line
 *   {"t":recvMs,"k":"ws","c":connIndex,"m":"<raw frame>"}                                   every WS frame received
 *   {"t":ms,"k":"rest","p":"/v5/market/kline?…","s":httpStatus,"b":"<raw body>"}            every REST answer
 * Frames and bodies are stored verbatim (as JSON strings) so a replay goes through the same parser.
 */
export { RECORDING_VERSION };

export interface RecordingMeta {
  readonly k: 'meta';
  readonly v: number;
  readonly startedAt: number;
  readonly source: 'live' | 'sim';
  readonly wsUrl: string;
  readonly restUrl?: string;
}

const FLUSH_BYTES = 256 * 1024;
const FLUSH_INTERVAL_MS = 1_000;
/** Beyond this much unwritten data (a stalled disk), lines are dropped and counted rather than exhausting memory. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export class Recorder {
  lines = 0;
  bytes = 0;
  dropped = 0;
  private parts: string[] = [];
  private partBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly stream: fs.WriteStream,
  ) {
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  static async open(file: string, meta: Omit<RecordingMeta, 'k' | 'v'>): Promise<Recorder> {
    await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    const stream = fs.createWriteStream(file, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    const r = new Recorder(file, stream);
    r.append(`${JSON.stringify({ k: 'meta', v: RECORDING_VERSION, ...meta })}\n`);
    return r;
  }

  ws(recvTs: number, connId: number, raw: string): void {
    this.append(`{"t":${recvTs},"k":"ws","c":${connId},"m":${JSON.stringify(raw)}}\n`);
  }

  rest(ts: number, pathWithQuery: string, status: number, body: string): void {
    this.append(`{"t":${ts},"k":"rest","p":${JSON.stringify(pathWithQuery)},"s":${status},"b":${JSON.stringify(body)}}\n`);
  }

  /** Flushes and closes the file. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      clearInterval(this.timer);
      this.flush();
      this.closing = new Promise<void>((resolve, reject) => {
        this.stream.once('error', reject);
        this.stream.end(() => resolve());
      });
    }
    return this.closing;
  }

  private append(line: string): void {
    if (this.closing) return;
    if (this.stream.writableLength + this.partBytes > MAX_PENDING_BYTES) {
      this.dropped++;
      return;
    }
    this.parts.push(line);
    this.partBytes += line.length;
    this.lines++;
    this.bytes += line.length;
    if (this.partBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    this.stream.write(this.parts.join(''));
    this.parts = [];
    this.partBytes = 0;
  }
}
