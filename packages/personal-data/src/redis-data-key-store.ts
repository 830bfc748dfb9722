/**
 * The distributed mode's data keys: a Redis of identity's own (not the read models' one), persisted by the
 * append-only file alone (`appendonly yes`, `save ""`).
 *
 * Why Redis, and why that persistence:
 * - Every replica of identity shares it, so a key created by one is read by all, and a destroy by one is seen by
 *   all at once.
 * - Replacing a key frees its memory at once; no compaction has to come by later.
 * - An AOF is a log of writes: after a destroy it still holds the SET that wrote the key. `BGREWRITEAOF` writes
 *   a new base file from the data as it is now (with the tombstone) and deletes the old base and increment files,
 *   so `destroy` resolves only once a rewrite that began after its tombstone has finished. RDB snapshots are
 *   refused: a `dump.rdb` keeps a destroyed key until the next save, whenever that comes.
 *
 * Limits: Redis's allocator does not zero freed memory, so the old bytes may stay in the server's RAM until
 * reused; the file system or disk may keep the deleted files' blocks; and a replica, a backup or a copy of the AOF
 * taken before the rewrite still holds the key. Everything Redis holds is only the key wrapped by the master key,
 * which lives elsewhere and can be rotated (the keys re-wrapped, the old master key dropped) to make such copies
 * worthless.
 *
 * Concurrent destroys in one process share one rewrite; across processes, Redis itself queues a requested
 * rewrite behind a running one, or refuses it while one runs, in which case this store waits and asks again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  AccountKeyDestroyed,
  type DataKeyState,
  type DataKeyStore,
  KeyStoreUnavailable,
  KeyUnknown,
  newDataKey,
} from './data-key-store.js';
import type { MasterKey } from './master-key.js';

export interface RedisDataKeyStoreOptions {
  /**
   * A client of the key store's own Redis. Give it bounded retries (e.g. `maxRetriesPerRequest: 1`,
   * `enableOfflineQueue: false`, a `connectTimeout`), so that an outage answers `KeyStoreUnavailable` soon
   * instead of holding every caller.
   */
  redis: Redis;
  masterKey: MasterKey;
  /** prefix of the Redis keys, one per account; `data-key:` unless set */
  keyPrefix?: string;
  /** how long `destroy` waits for the AOF rewrite before failing (ms); a minute unless set */
  rewriteTimeoutMs?: number;
}

/** The value that replaces a destroyed key: empty, which a wrapped key never is. */
const TOMBSTONE = '';
/** How often a destroy asks whether the rewrite is done: a key store's AOF is small, rewritten in milliseconds. */
const REWRITE_POLL_MS = 20;

export class RedisDataKeyStore implements DataKeyStore {
  readonly #redis: Redis;
  readonly #masterKey: MasterKey;
  readonly #keyPrefix: string;
  readonly #rewriteTimeoutMs: number;
  /** a rewrite asked for and not begun yet: every destroy that comes meanwhile waits for the same one */
  #pendingRewrite: Promise<void> | undefined;
  #lastRewrite: Promise<void> = Promise.resolve();

  constructor({
    redis,
    masterKey,
    keyPrefix = 'data-key:',
    rewriteTimeoutMs = 60_000,
  }: RedisDataKeyStoreOptions) {
    this.#redis = redis;
    this.#masterKey = masterKey;
    this.#keyPrefix = keyPrefix;
    this.#rewriteTimeoutMs = rewriteTimeoutMs;
  }

  async create(accountId: string): Promise<Buffer> {
    const key = this.#keyPrefix + accountId;
    let stored = await this.#call(() => this.#redis.getBuffer(key));
    if (stored === null) {
      const wrapped = await this.#masterKey.wrap(accountId, newDataKey());
      // NX GET: the first writer wins, and every other one is answered the winner's value in the same step.
      stored = (await this.#call(() => this.#redis.setBuffer(key, wrapped, 'NX', 'GET'))) ?? wrapped;
    }
    if (stored.length === 0) throw new AccountKeyDestroyed(accountId);
    return this.#masterKey.unwrap(accountId, stored);
  }

  async get(accountId: string): Promise<DataKeyState> {
    const stored = await this.#call(() => this.#redis.getBuffer(this.#keyPrefix + accountId));
    if (stored === null) throw new KeyUnknown(accountId);
    if (stored.length === 0) return { state: 'destroyed' };
    return { state: 'live', key: await this.#masterKey.unwrap(accountId, stored) };
  }

  async destroy(accountId: string): Promise<void> {
    await this.#call(() => this.#redis.set(this.#keyPrefix + accountId, TOMBSTONE));
    // Also when the key was already a tombstone: the rewrite of a destroy that failed half-way is done now.
    await this.#rewriteAfterNow();
  }

  /** A rewrite that begins after this call: the one already asked for and not begun, or a new one. */
  #rewriteAfterNow(): Promise<void> {
    if (this.#pendingRewrite === undefined) {
      const rewrite = this.#lastRewrite
        .catch(() => {})
        .then(() => {
          this.#pendingRewrite = undefined;
          return this.#rewriteAof();
        });
      this.#pendingRewrite = rewrite;
      this.#lastRewrite = rewrite;
    }
    return this.#pendingRewrite;
  }

  async #rewriteAof(): Promise<void> {
    const deadline = Date.now() + this.#rewriteTimeoutMs;
    await this.#refuseSnapshots();
    // Redis queues the rewrite behind a running RDB save, but refuses it while an AOF rewrite runs, one that may
    // have begun before the tombstone was written: wait for that one, then ask again.
    while (!(await this.#call(() => this.#askForRewrite()))) await this.#untilNoRewrite(deadline);
    await this.#untilNoRewrite(deadline);
    const status = (await this.#persistence()).get('aof_last_bgrewrite_status');
    if (status !== 'ok') {
      throw new KeyStoreUnavailable(
        `the AOF rewrite that removes destroyed data keys failed (${status}): destroy again once Redis can write its files`,
      );
    }
  }

  /** true once Redis has started or queued a rewrite, false when it refused because one is running */
  async #askForRewrite(): Promise<boolean> {
    try {
      await this.#redis.bgrewriteaof();
      return true;
    } catch (error) {
      if (error instanceof Error && /already in progress/i.test(error.message)) return false;
      throw error;
    }
  }

  async #untilNoRewrite(deadline: number): Promise<void> {
    for (;;) {
      const info = await this.#persistence();
      if (info.get('aof_rewrite_in_progress') === '0' && info.get('aof_rewrite_scheduled') === '0') return;
      if (Date.now() > deadline) {
        throw new KeyStoreUnavailable(
          `the AOF rewrite that removes destroyed data keys did not finish in ${this.#rewriteTimeoutMs} ms: destroy again`,
        );
      }
      await sleep(REWRITE_POLL_MS);
    }
  }

  /**
   * Only the AOF may hold the keys: an RDB snapshot, or no AOF at all (the data kept only by snapshots or not
   * at all), would break the promise that a destroyed key is gone from disk, or that a created one is kept.
   */
  async #refuseSnapshots(): Promise<void> {
    const [appendOnly, save] = await this.#call(() =>
      Promise.all([this.#configured('appendonly'), this.#configured('save')]),
    );
    if (appendOnly !== 'yes' || save !== '') {
      throw new Error(
        `the data key store's Redis must persist by AOF alone (appendonly yes, save ""), not appendonly ${appendOnly}, save "${save}"`,
      );
    }
  }

  async #configured(parameter: string): Promise<unknown> {
    const reply = await this.#redis.config('GET', parameter);
    return Array.isArray(reply) ? reply[1] : undefined;
  }

  async #persistence(): Promise<Map<string, string>> {
    const info = await this.#call(() => this.#redis.info('persistence'));
    return new Map(
      info
        .split('\r\n')
        .filter((line) => line.includes(':'))
        .map((line) => line.split(':', 2) as [string, string]),
    );
  }

  /** Any failure of Redis (down, refusing, timing out) is an outage, never an answer about the key. */
  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new KeyStoreUnavailable(`the data key store's Redis cannot answer: ${error}`, error);
    }
  }
}
