import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import type { KeyedDocuments, Updated } from './port.js';
import { withoutUndefined } from './without-undefined.js';

/**
 * Sets KEYS[1] to ARGV[3] (deletes it when empty) only while it still holds what was read: ARGV[2], or nothing when
 * ARGV[1] is 0. Redis runs a script alone, so the comparison and the write are one step.
 */
const compareAndSetScript = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1
`;

type WithCompareAndSet = Redis & {
  notificationsCompareAndSet(key: string, read: '0' | '1', stored: string, next: string): Promise<number>;
};

/**
 * Documents in Redis, one JSON string per document under `<prefix><_id>`. `update` is a compare-and-set on the
 * whole stored string (a script), retried on the document as it then is: atomic across processes, where FerretDB's
 * guard is not (see mongo.ts). A read or write is one command, a small fraction of a FerretDB round trip's cost.
 */
export class RedisDocuments<T extends { _id: string }> implements KeyedDocuments<T> {
  private readonly redis: WithCompareAndSet;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    if (!('notificationsCompareAndSet' in redis))
      redis.defineCommand('notificationsCompareAndSet', { numberOfKeys: 1, lua: compareAndSetScript });
    this.redis = redis as WithCompareAndSet;
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

  async update(id: string, change: (current: T | undefined) => T | undefined): Promise<Updated<T>> {
    const key = this.prefix + id;
    for (;;) {
      const stored = await this.redis.get(key);
      const before = stored === null ? undefined : (JSON.parse(stored) as T);
      const after = withoutUndefined(change(stored === null ? undefined : (JSON.parse(stored) as T)));
      if (isDeepStrictEqual(before, after)) return { before, after: before, changed: false };
      const next = after === undefined ? '' : JSON.stringify(after);
      const set = await this.redis.notificationsCompareAndSet(
        key,
        stored === null ? '0' : '1',
        stored ?? '',
        next,
      );
      if (set === 1) return { before, after, changed: true };
    }
  }
}
