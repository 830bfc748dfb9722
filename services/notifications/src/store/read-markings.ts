import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** One move of an account's read marker, and how far the log was when it moved. */
export interface ReadMarking {
  accountId: string;
  readUpTo: string;
  /** the log's head position when the marker moved: the marking comes after every event up to it */
  afterPosition: number;
}

/** Where the embedded mode keeps the read markers its notifications, rebuilt from the log, cannot rebuild. */
export interface ReadMarkings {
  record(marking: ReadMarking): void;
  /** every marking, in the log's order */
  all(): ReadMarking[];
  close(): void;
}

interface Row {
  account_id: string;
  read_up_to: string;
  after_position: number;
}

/**
 * The embedded mode's read markers, in a SQLite file of its own under DATA_DIR (`notifications.sqlite`).
 *
 * Why not an event in the log: the marker is no act of the domain anyone else reacts to, and the distributed mode,
 * whose notifications service has no event store, keeps it in MongoDB (its notifications in Redis); an event type
 * written in one mode only would be a second truth for the same thing.
 *
 * Why every marking and not only the latest: which `follow` notification a new follow joins depends on whether the
 * newest one was read when the follow was applied. The rebuild replays each marking at its place in the log
 * (`afterPosition`), so the follows group as they did before the restart. A marker only moves forward, so a
 * row is written only when it moves: as many rows as times an account read something new.
 *
 * `synchronous = NORMAL`: a power loss may take back the last markings, which only shows those notifications
 * unread again; no full sync on every `POST /notifications/read`.
 */
export function openSqliteReadMarkings(options: { path: string }): ReadMarkings {
  if (options.path !== ':memory:') mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS read_markings (
      seq INTEGER PRIMARY KEY,
      account_id TEXT NOT NULL,
      read_up_to TEXT NOT NULL,
      after_position INTEGER NOT NULL
    );
  `);
  const insert = db.prepare(
    'INSERT INTO read_markings (account_id, read_up_to, after_position) VALUES (?, ?, ?)',
  );
  const every = db.prepare<[], Row>(
    'SELECT account_id, read_up_to, after_position FROM read_markings ORDER BY after_position, seq',
  );
  return {
    record({ accountId, readUpTo, afterPosition }) {
      insert.run(accountId, readUpTo, afterPosition);
    },
    all: () =>
      every.all().map((row) => ({
        accountId: row.account_id,
        readUpTo: row.read_up_to,
        afterPosition: row.after_position,
      })),
    close: () => db.close(),
  };
}
