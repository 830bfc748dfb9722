import type { Redis } from 'ioredis';
import type { SearchIndex, SearchIndexDump, SearchIndexName, TermCount } from '../search-index.js';
import { execOrThrow } from './pipeline.js';
import { RedisScript } from './scripts.js';

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * One id's terms set, atomically (a Lua script runs alone in Redis): the eraser's call and the projection's
 * writes of the same account may run side by side, in different processes, and the tombstone must be checked
 * in the very step that files. Keys, under the index's prefix `p`:
 * - `p:entries`, a lexicographic sorted set of `term\0id` (score 0): a prefix's ids are one ZRANGE BYLEX;
 * - `p:names`, a lexicographic sorted set of the distinct terms, `p:counts` a hash of their counts: a prefix's
 *   terms and counts without reading every entry under a popular tag;
 * - `p:terms:<id>`, the set of the id's terms, which says what a new write takes away;
 * - `p:erased`, the set of erased ids.
 * The keys of an id are named within the script: the read models' Redis is one server, not a cluster.
 *
 * KEYS[1] the prefix; ARGV[1] `put` or `erase`; ARGV[2] the id; ARGV[3..] the terms (of a put).
 * Answers 0 when a put was refused (the id is erased), 1 otherwise.
 */
const setTermsScript = new RedisScript(
  'gramSearchSetTerms',
  `
local p = KEYS[1]
local id = ARGV[2]
if ARGV[1] == 'erase' then
  redis.call('SADD', p .. ':erased', id)
elseif redis.call('SISMEMBER', p .. ':erased', id) == 1 then
  return 0
end
local wanted = {}
for i = 3, #ARGV do wanted[ARGV[i]] = true end
local own = p .. ':terms:' .. id
for _, term in ipairs(redis.call('SMEMBERS', own)) do
  if not wanted[term] then
    redis.call('SREM', own, term)
    redis.call('ZREM', p .. ':entries', term .. '\\0' .. id)
    if redis.call('HINCRBY', p .. ':counts', term, -1) <= 0 then
      redis.call('HDEL', p .. ':counts', term)
      redis.call('ZREM', p .. ':names', term)
    end
  end
end
for i = 3, #ARGV do
  local term = ARGV[i]
  if redis.call('SADD', own, term) == 1 then
    redis.call('ZADD', p .. ':entries', 0, term .. '\\0' .. id)
    if redis.call('HINCRBY', p .. ':counts', term, 1) == 1 then
      redis.call('ZADD', p .. ':names', 0, term)
    end
  end
end
return 1
`,
  1,
);

/** The upper bound of a BYLEX range of every member starting with `prefix`: 0xFF is in no UTF-8 string. */
function rangeOf(prefix: string): [Buffer, Buffer] {
  const min = Buffer.from(`[${prefix}`, 'utf8');
  return [min, Buffer.concat([min, Buffer.from([0xff])])];
}

/** The search indexes of the distributed read models, in Redis under the generation's prefix (see the script). */
export class RedisSearchIndex implements SearchIndex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    setTermsScript.defineOn(redis);
  }

  private keyOf(index: SearchIndexName): string {
    return `${this.prefix}search:${index}`;
  }

  /** Queues the write of `id`'s terms (the rebuild's export writes many in one pipeline). */
  queuePut(pipeline: Pipeline, index: SearchIndexName, id: string, terms: readonly string[]): void {
    setTermsScript.queue(pipeline, this.keyOf(index), 'put', id, ...terms);
  }

  queueErase(pipeline: Pipeline, index: SearchIndexName, id: string): void {
    setTermsScript.queue(pipeline, this.keyOf(index), 'erase', id);
  }

  async put(index: SearchIndexName, id: string, terms: readonly string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    this.queuePut(pipeline, index, id, terms);
    await execOrThrow(pipeline);
  }

  async erase(index: SearchIndexName, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of ids) this.queueErase(pipeline, index, id);
    await execOrThrow(pipeline);
  }

  async match(index: SearchIndexName, prefix: string, limit: number): Promise<string[]> {
    const [min, max] = rangeOf(prefix);
    const entries = await this.redis.zrangebylexBuffer(
      `${this.keyOf(index)}:entries`,
      min,
      max,
      'LIMIT',
      0,
      limit,
    );
    const found = new Set<string>();
    for (const entry of entries) {
      const text = entry.toString('utf8');
      found.add(text.slice(text.indexOf('\0') + 1));
    }
    return [...found];
  }

  async terms(index: SearchIndexName, prefix: string, limit: number): Promise<TermCount[]> {
    const [min, max] = rangeOf(prefix);
    const names = (
      await this.redis.zrangebylexBuffer(`${this.keyOf(index)}:names`, min, max, 'LIMIT', 0, limit)
    ).map((name) => name.toString('utf8'));
    if (names.length === 0) return [];
    const counts = await this.redis.hmget(`${this.keyOf(index)}:counts`, ...names);
    return names.map((term, i) => ({ term, count: Number(counts[i] ?? 0) }));
  }

  termsOf(index: SearchIndexName, id: string): Promise<string[]> {
    return this.redis.smembers(`${this.keyOf(index)}:terms:${id}`);
  }

  /** What an index holds, as MemorySearchIndex.dump answers it (tests). */
  async dump(index: SearchIndexName): Promise<SearchIndexDump> {
    const entries = await this.redis.zrange(`${this.keyOf(index)}:entries`, 0, -1);
    const filed = new Map<string, string[]>();
    for (const entry of entries) {
      const at = entry.indexOf('\0');
      const id = entry.slice(at + 1);
      filed.set(id, [...(filed.get(id) ?? []), entry.slice(0, at)]);
    }
    const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    return {
      filed: Object.fromEntries(
        [...filed.entries()]
          .sort(([a], [b]) => byCodePoint(a, b))
          .map(([id, t]) => [id, t.sort(byCodePoint)]),
      ),
      erased: (await this.redis.smembers(`${this.keyOf(index)}:erased`)).sort(byCodePoint),
    };
  }
}
