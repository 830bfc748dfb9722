import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { FinalAnswer, IdempotencyStore, StoredRequest } from './store.js';

export interface SqliteIdempotencyStoreOptions {
  /** path of the database file (its directory is created), or `:memory:` */
  path: string;
  /** the clock expiries are measured on; the system clock unless a test moves it */
  now?: () => number;
}

interface Row {
  owner: string;
  answer: string | null;
}

/**
 * The embedded mode's idempotency store: one table in a SQLite file of its own beside the event store, under
 * DATA_DIR, so that stored answers outlive a restart as the events they answer for do. A row is a claim
 * (`answer` null) or a final answer, each with the time it expires; an expired row counts as absent and is
 * deleted by the next claim.
 *
 * A claim checks for a live row and inserts in one `BEGIN IMMEDIATE` transaction, which holds SQLite's write
 * lock from the check to the commit: concurrent claims of one key, from this process or another on the same
 * file, cannot both win. `synchronous = FULL`, as in the event store: a stored answer that a power loss took
 * back would let the client's next repeat create a second post.
 */
export function openSqliteIdempotencyStore(options: SqliteIdempotencyStoreOptions): IdempotencyStore {
  if (options.path !== ':memory:') mkdirSync(dirname(resolve(options.path)), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS idempotency_keys (
      key TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      answer TEXT,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
  `);
  const now = options.now ?? Date.now;
  const dropExpired = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
  const find = db.prepare<[string], Row>('SELECT owner, answer FROM idempotency_keys WHERE key = ?');
  const insertClaim = db.prepare(
    'INSERT INTO idempotency_keys (key, owner, answer, expires_at) VALUES (?, ?, NULL, ?)',
  );
  const storeAnswer = db.prepare(
    'UPDATE idempotency_keys SET answer = ?, expires_at = ? WHERE key = ? AND owner = ? AND answer IS NULL',
  );
  const dropClaim = db.prepare('DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND answer IS NULL');

  const claim = db.transaction((key: string, owner: string, leaseMs: number): StoredRequest | undefined => {
    const at = now();
    dropExpired.run(at);
    const row = find.get(key);
    if (row === undefined) {
      insertClaim.run(key, owner, at + leaseMs);
      return undefined;
    }
    if (row.answer === null) return { state: 'in-progress' };
    return { state: 'done', ...(JSON.parse(row.answer) as FinalAnswer) };
  });

  return {
    async claim(key, owner, leaseMs) {
      return claim.immediate(key, owner, leaseMs);
    },
    async complete(key, owner, answer, ttlMs) {
      storeAnswer.run(JSON.stringify(answer), now() + ttlMs, key, owner);
    },
    async release(key, owner) {
      dropClaim.run(key, owner);
    },
    async close() {
      db.close();
    },
  };
}
