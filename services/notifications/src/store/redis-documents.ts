import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { OneAtATime } from './one-at-a-time.js';
import type { Documents, Updated } from './port.js';
import { withoutUndefined } from './without-undefined.js';

/**
 * The start of a compare-and-set script: it ends the script, writing nothing and answering `mismatch` (Lua, where
 * `current` is what KEYS[1] holds, false for nothing), unless KEYS[1] still holds what the writer read: ARGV[2], or
 * nothing when ARGV[1] is 0.
 */
export const unlessChangedSinceRead = (mismatch: string) => `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return ${mismatch} end
elseif current ~= ARGV[2] then
  return ${mismatch}
end`;

/**
 * The one write of a document: sets KEYS[1] to ARGV[3] (deletes it when empty) only while it still holds what was
 * read, ARGV[2] (nothing when ARGV[1] is 0), and in the same step moves the document's id (ARGV[4]) in its
 * indexes: for each further key KEYS[i], ARGV[i + 3] is `SADD`, `SREM` or `ZREM`, or else the score to ZADD it
 * with. Redis runs a script alone, so a document and its indexes never disagree, and of two writers (two
 * instances of the service) that read the same document, the second writes nothing. It answers `{1}` when it
 * wrote, else `{0, what KEYS[1] holds}`: the writer changes that, without reading it again.
 */
const writeScript = `${unlessChangedSinceRead('{0, current}')}
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3]) end
for i = 2, #KEYS do
  local change = ARGV[i + 3]
  if change == 'SADD' or change == 'SREM' or change == 'ZREM' then
    redis.call(change, KEYS[i], ARGV[4])
  else
    redis.call('ZADD', KEYS[i], change, ARGV[4])
  end
end
return {1}
`;

/** A change of an index that a write makes: the key of a set and `SADD` or `SREM`, or of a sorted set. */
export type IndexChange = [key: string, change: 'SADD' | 'SREM' | 'ZREM' | number];

type WithWrite = Redis & {
  notificationsWrite(
    keyCount: number,
    ...keysThenArgs: (string | number)[]
  ): Promise<[written: 1] | [written: 0, stored: string | null]>;
};

/**
 * Documents in Redis: one JSON string per document under `<prefix><_id>`, and for each indexed field a set of the
 * ids of the documents holding each value, `<prefix>index:<field>:<value>` (an array field: each of its elements).
 * `update` is a compare-and-set on the whole stored string that writes the index changes with the document (see
 * writeScript), retried on the document as it then is when another instance wrote it meanwhile. A read or write
 * is a command or two, a small fraction of what a FerretDB round trip costs.
 */
export class RedisDocuments<T extends { _id: string }> implements Documents<T> {
  protected readonly redis: WithWrite;
  protected readonly updating = new OneAtATime();

  constructor(
    redis: Redis,
    protected readonly prefix: string,
    private readonly indexed: readonly (keyof T & string)[] = [],
  ) {
    if (!('notificationsWrite' in redis)) redis.defineCommand('notificationsWrite', { lua: writeScript });
    this.redis = redis as WithWrite;
  }

  async get(id: string): Promise<T | undefined> {
    const stored = await this.redis.get(this.prefix + id);
    return stored === null ? undefined : (JSON.parse(stored) as T);
  }

  async getMany(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const stored = await this.redis.mget(ids.map((id) => this.prefix + id));
    return stored.flatMap((json) => (json === null ? [] : [JSON.parse(json) as T]));
  }

  /**
   * One update of a document at a time in this process: side by side, all but one of them would read it again
   * and send it again, each round (measured: 184 reads for 20 likes of one post at once, 21 one at a time).
   * Another instance's writes are still met by the compare-and-set.
   */
  async update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>> {
    return this.updating.run(id, () => this.compareAndSet(id, change));
  }

  /**
   * The change is handed the document parsed from the string the write compares with; it is pure (see
   * KeyedDocuments), so it also serves as `before`.
   *
   * The first write goes without a read, against nothing: most writes make a new stream's document (the first like
   * of a post, the first follow of a pair), and then one round trip does it instead of two. Where the document
   * exists, the script refuses the write and answers what it holds, and the change is made again from that: two
   * round trips, as a read and a write always were. Nothing is remembered between writes (so no copy of an
   * account's fields outlives its deletion here). The guess decides nothing alone: a change that leaves "nothing"
   * as it is (deleting a document) may not leave the stored one, so that is read before it is answered.
   */
  private async compareAndSet(
    id: string,
    change: (current: T | undefined) => T | undefined,
  ): Promise<Updated<T>> {
    const key = this.prefix + id;
    let stored: string | null = null;
    let verified = false;
    for (;;) {
      const before = stored === null ? undefined : (JSON.parse(stored) as T);
      const after = withoutUndefined(change(before));
      if (isDeepStrictEqual(before, after)) {
        if (verified) return { before, after: before, changed: false };
        stored = await this.redis.get(key);
        verified = true;
        continue;
      }
      const changes = this.indexChanges(before, after);
      const answer = await this.redis.notificationsWrite(
        1 + changes.length,
        key,
        ...changes.map(([indexKey]) => indexKey),
        stored === null ? '0' : '1',
        stored ?? '',
        after === undefined ? '' : JSON.stringify(after),
        id,
        ...changes.map(([, indexChange]) => indexChange),
      );
      if (answer[0] === 1) return { before, after, changed: true };
      stored = answer[1];
      verified = true;
    }
  }

  /** The documents whose indexed `field` holds `value`; a field not indexed is a mistake of the caller. */
  async find(field: string, value: string): Promise<T[]> {
    if (!this.indexed.includes(field as keyof T & string))
      throw new Error(`${this.prefix} indexes no field ${field}`);
    const ids = await this.redis.smembers(this.indexKey(field, value));
    // as stored now: a write between the two reads may have taken the document out of the set since
    const docs = await this.getMany(ids);
    return docs.filter((doc) => heldValues(doc[field as keyof T]).has(value));
  }

  /** What the write of `after` over `before` changes in the indexes, beside the document. */
  protected indexChanges(before: T | undefined, after: T | undefined): IndexChange[] {
    const changes: IndexChange[] = [];
    for (const field of this.indexed) {
      const [was, is] = [before?.[field], after?.[field]];
      if (was === is) continue;
      const [held, holds] = [heldValues(was), heldValues(is)];
      for (const value of held) if (!holds.has(value)) changes.push([this.indexKey(field, value), 'SREM']);
      for (const value of holds) if (!held.has(value)) changes.push([this.indexKey(field, value), 'SADD']);
    }
    return changes;
  }

  private indexKey(field: string, value: unknown): string {
    return `${this.prefix}index:${field}:${value}`;
  }
}

/** What a field holds, as its index keys it: each element of an array, a value alone, nothing when absent. */
function heldValues(held: unknown): Set<unknown> {
  if (held === undefined) return new Set();
  return new Set(Array.isArray(held) ? held : [held]);
}
