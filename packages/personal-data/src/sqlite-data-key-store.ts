/**
 * The embedded mode's data keys: one SQLite file of its own (`${DATA_DIR}/keys.sqlite`), apart from the event
 * store's, so the log can be copied, backed up or shipped without the keys, and the keys deleted without
 * touching the log.
 *
 * Destroying a key must remove its bytes from the files, not only from the table's answers. SQLite normally
 * leaves a deleted or overwritten record's bytes in place (a free block of the page, the WAL's older copy of
 * the page) until something happens to reuse them. So:
 * - `secure_delete = ON`: SQLite overwrites freed content with zeros, in the page that replaces the old one.
 * - After each destroy, `wal_checkpoint(TRUNCATE)`: the zeroed page is copied over the main file's old one and
 *   the WAL, which still holds the page as it was when the key was written, is cut to zero bytes. Until then the
 *   main file holds the old page too. The -shm file holds only an index of the WAL's pages, never their content.
 *
 * Limits, below SQLite: the file system or the SSD may keep the old blocks (copy-on-write, wear levelling) until
 * they are reused, and a backup of the file taken earlier keeps the wrapped key. Both hold it only wrapped by
 * the master key, which is kept elsewhere.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  AccountKeyDestroyed,
  type DataKeyState,
  type DataKeyStore,
  KeyStoreUnavailable,
  KeyUnknown,
  newDataKey,
} from './data-key-store.js';
import type { MasterKey } from './master-key.js';

export interface SqliteDataKeyStoreOptions {
  /** path of the database file (its directory is created) */
  path: string;
  masterKey: MasterKey;
  /** how long a write waits for another process's lock, and a checkpoint for its readers, before failing */
  busyTimeoutMs?: number;
}

/** A row: `wrapped_key` is null in a tombstone. */
interface KeyRow {
  wrapped_key: Buffer | null;
}

interface CheckpointResult {
  busy: number;
}

export class SqliteDataKeyStore implements DataKeyStore {
  readonly #db: Database.Database;
  readonly #masterKey: MasterKey;
  readonly #select: Database.Statement<[string], KeyRow>;
  readonly #insert: Database.Statement<[string, Buffer]>;
  readonly #tombstone: Database.Statement<[string]>;

  constructor({ path, masterKey, busyTimeoutMs = 5_000 }: SqliteDataKeyStoreOptions) {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    this.#db = new Database(path, { timeout: busyTimeoutMs });
    this.#db.pragma('journal_mode = WAL');
    // FULL: a key handed out by `create` encrypts data at once; losing it to a power cut would lose that data.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('secure_delete = ON');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS data_keys (
        account_id  TEXT PRIMARY KEY,
        wrapped_key BLOB
      ) STRICT, WITHOUT ROWID;
    `);
    this.#masterKey = masterKey;
    this.#select = this.#db.prepare('SELECT wrapped_key FROM data_keys WHERE account_id = ?');
    this.#insert = this.#db.prepare(
      'INSERT INTO data_keys (account_id, wrapped_key) VALUES (?, ?) ON CONFLICT (account_id) DO NOTHING',
    );
    this.#tombstone = this.#db.prepare(
      'INSERT INTO data_keys (account_id, wrapped_key) VALUES (?, NULL) ON CONFLICT (account_id) DO UPDATE SET wrapped_key = NULL',
    );
  }

  async create(accountId: string): Promise<Buffer> {
    let row = this.#read(accountId);
    if (row === undefined) {
      const wrapped = await this.#masterKey.wrap(accountId, newDataKey());
      // Another call (here or in another process) may have created one meanwhile: the first insert wins and
      // every caller reads back the winner's key.
      this.#run(() => this.#insert.run(accountId, wrapped));
      row = this.#read(accountId);
    }
    const wrapped = row?.wrapped_key;
    if (!wrapped) throw new AccountKeyDestroyed(accountId);
    return this.#masterKey.unwrap(accountId, wrapped);
  }

  async get(accountId: string): Promise<DataKeyState> {
    const row = this.#read(accountId);
    if (row === undefined) throw new KeyUnknown(accountId);
    if (row.wrapped_key === null) return { state: 'destroyed' };
    return { state: 'live', key: await this.#masterKey.unwrap(accountId, row.wrapped_key) };
  }

  async destroy(accountId: string): Promise<void> {
    this.#run(() => this.#tombstone.run(accountId));
    // Also after a destroy that finds a tombstone already: a checkpoint that failed last time runs again.
    const [result] = this.#run(() => this.#db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointResult[]);
    if (result?.busy !== 0) {
      throw new KeyStoreUnavailable(
        `the data key of account ${accountId} is destroyed, but another connection's read kept its old bytes in ${this.#db.name}: destroy again`,
      );
    }
  }

  close(): void {
    this.#db.close();
  }

  #read(accountId: string): KeyRow | undefined {
    return this.#run(() => this.#select.get(accountId));
  }

  /** Any failure of SQLite (busy, I/O, a closed database) is an outage, never an answer about the key. */
  #run<T>(statement: () => T): T {
    try {
      return statement();
    } catch (error) {
      throw new KeyStoreUnavailable(`the data key store ${this.#db.name} cannot answer: ${error}`, error);
    }
  }
}
