import type { Redis } from 'ioredis';
import type { KeyedDocuments, Updated } from './port.js';

/** How long a copy lives at most: the bound on how stale a copy can be left by a crash between the two writes. */
const copyTtlSeconds = 3_600;

/** The copy of a document the durable store does not have: no document's JSON is an empty string. */
const absent = '';

/**
 * Documents kept in `durable` (the read markers in MongoDB), read from a copy in Redis: the live stream reads an
 * account's marker at every batch of changes it sends, and on FerretDB each of those reads was a SQLite query,
 * under a like load a large part of what FerretDB did.
 *
 * An update writes `durable` first, then the copy. A read that finds no copy reads `durable` and leaves what it
 * read as the copy only where there is none yet (SET NX): a read that raced an update never puts back the older
 * document over the newer one the update wrote. A crash between an update's two writes leaves the older copy,
 * until the next update of that document or the copy's expiry (an hour): a marker can then read as it was
 * before its last move, never ahead of it.
 *
 * An absent document is copied too, as `absent`: most accounts never mark anything read, and without it each
 * of their stream's deliveries read MongoDB for a marker that is not there (in the distributed notifications
 * benchmark, a FerretDB query per like). The same rules hold for it: it is left only where there is no copy,
 * an update's copy replaces it, and a deletion's removes it.
 */
export class RedisCachedDocuments<T extends { _id: string }> implements KeyedDocuments<T> {
  constructor(
    private readonly durable: KeyedDocuments<T>,
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async get(id: string): Promise<T | undefined> {
    const [doc] = await this.getMany([id]);
    return doc;
  }

  async getMany(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const copies = await this.redis.mget(ids.map((id) => this.prefix + id));
    const missing = ids.filter((_, i) => copies[i] === null);
    const read = missing.length === 0 ? [] : await this.durable.getMany(missing);
    const byId = new Map(read.map((doc) => [doc._id, doc]));
    if (missing.length > 0) {
      const fill = this.redis.multi();
      for (const id of missing) {
        const doc = byId.get(id);
        fill.set(this.prefix + id, doc ? JSON.stringify(doc) : absent, 'EX', copyTtlSeconds, 'NX');
      }
      await fill.exec();
    }
    return ids.flatMap((id, i) => {
      const copy = copies[i];
      if (copy !== null && copy !== undefined) return copy === absent ? [] : [JSON.parse(copy) as T];
      const doc = byId.get(id);
      return doc ? [doc] : [];
    });
  }

  async update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>> {
    const result = await this.durable.update(id, change);
    if (result.after === undefined) await this.redis.del(this.prefix + id);
    else await this.redis.set(this.prefix + id, JSON.stringify(result.after), 'EX', copyTtlSeconds);
    return result;
  }
}
