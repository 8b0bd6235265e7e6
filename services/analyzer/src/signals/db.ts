import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MarketSource, ShardId } from '@confluence/contracts';
import { errorMessage } from '@confluence/logger';

export type SignalsDb = Database.Database;
export type SqlStatement = Database.Statement;

/** DATA_DIR cannot hold the signals database; the analyzer stops at start with this message. */
export class DataDirError extends Error {
  readonly code = 'data_dir_unusable';
  readonly catastrophic = true;
  constructor(
    readonly dataDir: string,
    readonly reason: string,
  ) {
    super(`DATA_DIR ${JSON.stringify(dataDir)} is not usable: ${reason}`);
    this.name = 'DataDirError';
  }
}

/**
 * Schema migrations, applied in order; `PRAGMA user_version` holds how many have run.
 * Never edit a released entry: append a new one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE cal_samples (
    symbol TEXT NOT NULL,
    ts INTEGER NOT NULL,
    price REAL NOT NULL,
    scored INTEGER NOT NULL,
    score REAL,
    dir INTEGER,
    confidence REAL,
    c_technical REAL, c_volume REAL, c_orderflow REAL, c_orderbook REAL, c_structure REAL, c_sentiment REAL,
    r15 REAL, r60 REAL, r240 REAL,
    PRIMARY KEY (symbol, ts)
  ) WITHOUT ROWID;
  CREATE INDEX cal_samples_ts ON cal_samples (ts);

  CREATE TABLE alert_state (
    symbol TEXT NOT NULL,
    rule TEXT NOT NULL,
    inside INTEGER NOT NULL,
    entry_at INTEGER,
    entry_band TEXT,
    fired INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    last_band TEXT,
    last_fired_at INTEGER,
    PRIMARY KEY (symbol, rule)
  ) WITHOUT ROWID;
  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    body TEXT NOT NULL,
    delivery TEXT NOT NULL,
    attempts INTEGER NOT NULL
  );
  CREATE INDEX alerts_at ON alerts (at);

  CREATE TABLE tl_snapshots (
    minute INTEGER PRIMARY KEY,
    rows BLOB NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * One file per kind of market: live and replay share one (a replay is real recorded market data), the simulator
 * gets its own so synthetic prices never enter the real scoreboard; a shard gets its own so two analyzers never
 * interleave samples.
 */
export function signalsDbFile(source: MarketSource, shard?: ShardId): string {
  const shardPart = shard && shard.count > 1 ? `-shard${shard.index}of${shard.count}` : '';
  return `signals${source === 'sim' ? '-sim' : ''}${shardPart}.sqlite`;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (the analyzer needs to create and write files there)';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a path component is a file, not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'SQLITE_NOTADB':
      return 'the database file exists but is not a SQLite database';
    case 'SQLITE_CORRUPT':
      return 'the database file is corrupt';
    case 'SQLITE_CANTOPEN':
      return 'SQLite cannot open the database file';
    case 'SQLITE_READONLY':
      return 'the database file is read-only';
    default:
      return errorMessage(err);
  }
}

function migrate(db: SignalsDb, dataDir: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new DataDirError(
      dataDir,
      `its database has schema version ${current}, newer than this analyzer's ${MIGRATIONS.length}; use a newer analyzer or another DATA_DIR`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Opens (creating DATA_DIR and the file if needed) and migrates the signals database; throws DataDirError when it cannot. */
export function openSignalsDb(dataDir: string, file = 'signals.sqlite'): SignalsDb {
  const dir = path.resolve(dataDir);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.R_OK);
  } catch (err) {
    throw new DataDirError(dataDir, describe(err));
  }
  let db: SignalsDb | undefined;
  try {
    db = new Database(path.join(dir, file));
    // WAL: readers never block the per-minute writer; NORMAL sync is durable across a process crash, which is the risk here.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot switch the database to WAL mode (got ${String(mode)})`);
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, dataDir);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof DataDirError) throw err;
    throw new DataDirError(dataDir, describe(err));
  }
}
