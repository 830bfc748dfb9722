import type { Redis } from 'ioredis';
import {
  type AccountRank,
  type RankedAccount,
  rankedPrefixLength,
  type SearchIndex,
  type SearchIndexDump,
  type SearchIndexName,
  type TermCount,
} from '../search-index.js';
import { RedisScript } from './scripts.js';
import { TurnPipeline } from './turn-pipeline.js';

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

/**
 * An account's rank in user search, set from its terms and its hot copy (followersCount, userNameKey) as they
 * stand, in one step (see SearchIndex.rankAccount). Keys, under the users index's prefix `p`:
 * - `p:rank:<prefix>`, a lexicographic sorted set (score 0) of members `<10 digits: 9999999999 - followers>
 *   <userNameKey>\0<id>`, so that its order is the ranking's and a page after a rank is one ZRANGEBYLEX;
 * - `p:rankOf:<id>`, the account's member, and `p:rankedUnder:<id>`, the set of its prefixes: what the next
 *   ranking of it takes away.
 * Prefixes are cut at UTF-8 code point boundaries (a byte that is not 10xxxxxx starts one), up to ARGV[4]
 * code points, as the memory index cuts them.
 * ARGV[1] the users index's prefix; ARGV[2] the prefix of the account hot copies; ARGV[3] the id; ARGV[4] the
 * number of code points ranked.
 */
const rankAccountScript = new RedisScript(
  'gramSearchRankAccount',
  `
local p = ARGV[1]
local id = ARGV[3]
local most = tonumber(ARGV[4])
local terms = redis.call('SMEMBERS', p .. ':terms:' .. id)
local user = redis.call('HMGET', ARGV[2] .. id, 'followersCount', 'userNameKey')
local member = false
local wanted = {}
if #terms > 0 and user[2] then
  local key = cjson.decode(user[2])
  if type(key) == 'string' then
    member = string.format('%010.0f', 9999999999 - (tonumber(user[1]) or 0)) .. key .. '\\0' .. id
    for _, term in ipairs(terms) do
      local points = 0
      for i = 1, #term do
        local next = term:byte(i + 1)
        if not next or next < 128 or next >= 192 then
          wanted[term:sub(1, i)] = true
          points = points + 1
          if points == most then break end
        end
      end
    end
  end
end
local own = p .. ':rankOf:' .. id
local under = p .. ':rankedUnder:' .. id
local had = redis.call('GET', own)
for _, prefix in ipairs(redis.call('SMEMBERS', under)) do
  if not wanted[prefix] or had ~= member then
    redis.call('ZREM', p .. ':rank:' .. prefix, had)
    redis.call('SREM', under, prefix)
  end
end
if not member then
  redis.call('DEL', own)
  return 1
end
redis.call('SET', own, member)
for prefix in pairs(wanted) do
  redis.call('ZADD', p .. ':rank:' .. prefix, 0, member)
  redis.call('SADD', under, prefix)
end
return 1
`,
  0,
);

/** The member of `rank` in a prefix's ranking (see rankAccountScript). */
function memberOf(rank: AccountRank): string {
  return `${String(9_999_999_999 - rank.followers).padStart(10, '0')}${rank.userNameKey}\0${rank.id}`;
}

function rankOf(member: string): AccountRank {
  const at = member.lastIndexOf('\0');
  return {
    id: member.slice(at + 1),
    followers: 9_999_999_999 - Number(member.slice(0, 10)),
    userNameKey: member.slice(10, at),
  };
}

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
    rankAccountScript.defineOn(redis);
  }

  private queueRankAccount(pipeline: Pipeline, id: string): void {
    rankAccountScript.queue(pipeline, this.keyOf('users'), `${this.prefix}users:`, id, rankedPrefixLength);
  }

  async rankAccount(id: string): Promise<void> {
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      this.queueRankAccount(pipeline, id);
    });
  }

  /**
   * Queues the ranks of `accounts` into an index ranking none of them yet (the rebuild's export: a command per
   * account and per prefix, rather than a script per account reading its terms and copy back). When the terms
   * and copies in Redis are those they were ranked from (MemorySearchIndex.accountsRanked), this sets what
   * rankAccountScript would for each: the same member (memberOf writes the script's) under the same prefixes,
   * its `rankOf:` and its `rankedUnder:`.
   */
  queueLoadRanks(pipeline: Pipeline, accounts: readonly RankedAccount[]): void {
    const p = this.keyOf('users');
    const byPrefix = new Map<string, string[]>();
    for (const { rank, prefixes } of accounts) {
      const member = memberOf(rank);
      pipeline.set(`${p}:rankOf:${rank.id}`, member);
      if (prefixes.size > 0) pipeline.sadd(`${p}:rankedUnder:${rank.id}`, ...prefixes);
      for (const prefix of prefixes) {
        const members = byPrefix.get(prefix);
        if (members) members.push('0', member);
        else byPrefix.set(prefix, ['0', member]);
      }
    }
    for (const [prefix, members] of byPrefix) pipeline.zadd(`${p}:rank:${prefix}`, ...members);
  }

  async rankedAccounts(
    prefix: string,
    after: AccountRank | undefined,
    limit: number,
  ): Promise<AccountRank[]> {
    const members = await this.redis.zrangebylexBuffer(
      `${this.keyOf('users')}:rank:${prefix}`,
      after ? Buffer.from(`(${memberOf(after)}`, 'utf8') : '-',
      '+',
      'LIMIT',
      0,
      limit,
    );
    return members.map((member) => rankOf(member.toString('utf8')));
  }

  async accountRanks(ids: readonly string[], prefix: string): Promise<AccountRank[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.smembers(`${this.keyOf('users')}:terms:${id}`);
      pipeline.get(`${this.keyOf('users')}:rankOf:${id}`);
    }
    const replies = (await pipeline.exec()) ?? [];
    const found: AccountRank[] = [];
    for (let i = 0; i + 1 < replies.length; i += 2) {
      const [termsError, terms] = replies[i] as [Error | null, string[]];
      const [memberError, member] = replies[i + 1] as [Error | null, string | null];
      if (termsError ?? memberError) throw termsError ?? memberError;
      if (member !== null && terms.some((term) => term.startsWith(prefix))) found.push(rankOf(member));
    }
    return found;
  }

  /** accountRanks itself: one pipelined round trip, with nothing to keep between searches. */
  async followedRanks(
    _viewerId: string,
    followees: readonly string[],
    prefix: string,
  ): Promise<AccountRank[]> {
    return this.accountRanks(followees, prefix);
  }

  /** Every prefix's ranking, as MemorySearchIndex.dumpRanks answers it (tests). */
  async dumpRanks(): Promise<Record<string, string[]>> {
    const start = `${this.keyOf('users')}:rank:`;
    const keys = await this.redis.keys(`${start}*`);
    const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const dump: Record<string, string[]> = {};
    for (const key of keys.sort(byCodePoint)) {
      const members = await this.redis.zrange(key, 0, -1);
      if (members.length > 0) dump[key.slice(start.length)] = members.map((member) => rankOf(member).id);
    }
    return dump;
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
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      this.queuePut(pipeline, index, id, terms);
      if (index === 'users') this.queueRankAccount(pipeline, id);
    });
  }

  async erase(index: SearchIndexName, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      for (const id of ids) {
        this.queueErase(pipeline, index, id);
        if (index === 'users') this.queueRankAccount(pipeline, id);
      }
    });
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
