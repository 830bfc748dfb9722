import type { Redis } from 'ioredis';
import { type CollectionName, listFor, type SortedList } from '../document-store.js';
import type {
  PostRankings,
  RankedPost,
  Ranking,
  RankingEntry,
  RankingName,
  RankingsDump,
} from '../rankings.js';
import { RedisScript } from './scripts.js';
import { TurnPipeline } from './turn-pipeline.js';

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * A post's entry in a ranking, in Lua: its score, by the ranking's `score` (`kind`) from the post's engagement,
 * and its member (see refreshScript). Both scripts setting entries share it, so that they set the same ones.
 */
const entryLua = `
local function entryOf(kind, engagement, at, postId, authorId)
  local score = engagement
  if kind == 'explore' then
    score = math.floor(at / 3600000) + math.log(1 + engagement) / math.log(2)
  end
  return string.format('%.17g', score), string.format('%015.0f', at) .. ':' .. postId .. ':' .. authorId
end
`;

/**
 * A post's entries in every ranking, set from what Redis holds of it now, in one step (a Lua script runs alone):
 * its counts (the fields of its hash that the counted writes move), and each ranking's member documents of it
 * (their counted states, whole: the collections ranked are kept in Redis alone), found by id or through the
 * list of the post's documents. Keys, under the generation's prefix `p`:
 * - `p:rank:<name>:<key>`, a sorted set scored as the ranking says, members `<at, 15 digits>:<post id>:<author
 *   id>`: equal scores are ordered by member, so newest first then by post id when read in reverse; the
 *   author is in the member so that explore can leave out a reader's excluded authors from the range alone;
 * - `p:ranked:<post id>`, a hash `<name>:<key>` → the post's member there, which says what a refresh takes away
 *   (a tag an edit took off).
 * ARGV[1] the prefix; ARGV[2] the post id; ARGV[3] the rankings (JSON: [{ name, states, members, keyField,
 * filter, score }], `members` the prefix of the list of a post's documents, or '' for the document of its id).
 */
const refreshScript = new RedisScript(
  'gramRankingsRefresh',
  `${entryLua}
local p = ARGV[1]
local postId = ARGV[2]
local counts = redis.call('HMGET', p .. 'posts:' .. postId, 'likesCount', 'commentsCount')
local engagement = (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0)
local wanted = {}
for _, ranking in ipairs(cjson.decode(ARGV[3])) do
  local ids = { postId }
  if ranking.members ~= '' then ids = redis.call('ZRANGE', ranking.members .. postId, 0, -1) end
  for _, id in ipairs(ids) do
    local stored = redis.call('HGET', ranking.states, id)
    if stored then
      local doc = cjson.decode(stored)
      local key = doc[ranking.keyField]
      local member = type(key) == 'string' and type(doc.at) == 'number' and type(doc.authorId) == 'string'
      if member then
        for field, value in pairs(ranking.filter) do
          if doc[field] ~= value then member = false end
        end
      end
      if member then
        wanted[ranking.name .. ':' .. key] = { entryOf(ranking.score, engagement, doc.at, postId, doc.authorId) }
      end
    end
  end
end
local placed = p .. 'ranked:' .. postId
local had = redis.call('HGETALL', placed)
for i = 1, #had, 2 do
  local now = wanted[had[i]]
  if not now or now[2] ~= had[i + 1] then
    redis.call('ZREM', p .. 'rank:' .. had[i], had[i + 1])
    redis.call('HDEL', placed, had[i])
  end
end
for name, entry in pairs(wanted) do
  redis.call('ZADD', p .. 'rank:' .. name, entry[1], entry[2])
  redis.call('HSET', placed, name, entry[2])
end
return 1`,
  0,
);

/**
 * Entries set in bulk, into rankings holding none of their posts yet (the rebuild's export), as refreshScript
 * would set them: the same scores and members (entryOf), each in its ranking and its post's `p:ranked:` hash.
 * ARGV[1] the prefix; then six per entry: the post id, `<name>:<key>`, the ranking's score, the post's
 * engagement, its `at`, its author id.
 */
const loadScript = new RedisScript(
  'gramRankingsLoad',
  `${entryLua}
local p = ARGV[1]
for i = 2, #ARGV, 6 do
  local postId = ARGV[i]
  local score, member = entryOf(ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), postId, ARGV[i + 5])
  redis.call('ZADD', p .. 'rank:' .. ARGV[i + 1], score, member)
  redis.call('HSET', p .. 'ranked:' .. postId, ARGV[i + 1], member)
end
return 1`,
  0,
);

/** The entry a member of `p:rank:...` stands for (see refreshScript). */
function entryOf(member: string, score: string): RankedPost {
  const [at, postId, authorId] = member.split(':') as [string, string, string];
  return { postId, authorId, at: Number(at), score: Number(score) };
}

/** The rankings of the distributed read models, sorted sets under the generation's prefix (see the script). */
export class RedisPostRankings implements PostRankings {
  private readonly described: string;
  /** each ranking's name → how it is scored */
  private readonly scores: ReadonlyMap<string, Ranking['score']>;

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    rankings: readonly Ranking[],
    lists: readonly SortedList[],
  ) {
    refreshScript.defineOn(redis);
    loadScript.defineOn(redis);
    this.scores = new Map(rankings.map((ranking) => [ranking.name, ranking.score]));
    const statesOf = (collection: CollectionName) => `${prefix}counted:${collection}`;
    this.described = JSON.stringify(
      rankings.map((ranking) => {
        const { [ranking.keyField]: _key, ...filter } = ranking.filter('');
        const list =
          ranking.post === 'id' ? undefined : listFor(lists, ranking.collection, { [ranking.post]: '' });
        if (ranking.post !== 'id' && !list)
          throw new Error(
            `no list of ${ranking.collection} by ${ranking.post} for the ranking ${ranking.name}`,
          );
        return {
          name: ranking.name,
          states: statesOf(ranking.collection),
          members: list ? `${prefix}list:${list.list.name}:` : '',
          keyField: ranking.keyField,
          filter,
          score: ranking.score,
        };
      }),
    );
  }

  async refresh(postId: string): Promise<void> {
    await TurnPipeline.of(this.redis).runOrThrow((pipeline) => {
      refreshScript.queue(pipeline, this.prefix, postId, this.described);
    });
  }

  /**
   * Queues the load of `entries` (the rebuild's export, into an empty generation: a few hundred entries a
   * call, rather than a refresh of each post that reads its documents back). When the documents in Redis
   * are those the entries were ranked from (MemoryPostRankings.entries), this sets what refreshing each of
   * their posts would: the same members and scores, computed by the same Lua (entryOf), and for each post the
   * same `p:ranked:` hash, its entries being all a refresh would want.
   */
  queueLoad(pipeline: Pipeline, entries: readonly RankingEntry[]): void {
    const args: (string | number)[] = [this.prefix];
    for (const { ranking, postId, authorId, at, engagement } of entries) {
      const score = this.scores.get(ranking.slice(0, ranking.indexOf(':')));
      if (!score) throw new Error(`no ranking named by ${ranking}`);
      args.push(postId, ranking, score, engagement, at, authorId);
    }
    if (entries.length > 0) loadScript.queue(pipeline, ...args);
  }

  async range(name: RankingName, key: string, offset: number, limit: number): Promise<RankedPost[]> {
    if (limit <= 0) return [];
    const raw = await this.redis.zrevrange(
      `${this.prefix}rank:${name}:${key}`,
      offset,
      offset + limit - 1,
      'WITHSCORES',
    );
    const entries: RankedPost[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) entries.push(entryOf(raw[i] as string, raw[i + 1] as string));
    return entries;
  }

  /** What every ranking holds, as MemoryPostRankings.dump answers it (tests). */
  async dump(): Promise<RankingsDump> {
    const keys = (await this.redis.keys(`${this.prefix}rank:*`)).sort();
    const dump: RankingsDump = {};
    for (const key of keys) {
      const raw = await this.redis.zrevrange(key, 0, -1, 'WITHSCORES');
      const entries: [string, number][] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const entry = entryOf(raw[i] as string, raw[i + 1] as string);
        entries.push([entry.postId, entry.score]);
      }
      dump[key.slice(`${this.prefix}rank:`.length)] = entries;
    }
    return dump;
  }
}
