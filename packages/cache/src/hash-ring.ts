import { createHash } from 'node:crypto';

/** Virtual nodes per server: enough that each server's share is within a few percent of 1/N. */
export const VIRTUAL_NODES = 160;

/**
 * A ketama-style consistent-hash ring. Adding a server to N moves about 1/(N+1) of the keys,
 * where memjs's default `hash % N` would move most of them.
 */
export class HashRing {
  private readonly points: Uint32Array;
  private readonly owners: Uint16Array;

  constructor(readonly servers: readonly string[]) {
    if (servers.length === 0) throw new Error('a hash ring needs at least one server');
    const entries: Array<[number, number]> = [];
    servers.forEach((server, index) => {
      for (let v = 0; v < VIRTUAL_NODES / 4; v++) {
        const digest = createHash('md5').update(`${server}-${v}`).digest();
        for (let k = 0; k < 4; k++) entries.push([digest.readUInt32LE(k * 4), index]);
      }
    });
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.points = Uint32Array.from(entries.map((e) => e[0]));
    this.owners = Uint16Array.from(entries.map((e) => e[1]));
  }

  /** Index (into `servers`) of the server that owns `key`. */
  indexOf(key: string): number {
    const h = createHash('md5').update(key).digest().readUInt32LE(0);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === this.points.length ? 0 : lo];
  }

  serverOf(key: string): string {
    return this.servers[this.indexOf(key)];
  }
}
