import type { Redis } from 'ioredis';
import type { CollectionName, Doc } from '../document-store.js';
import { RedisScript } from './scripts.js';

/** The collections whose documents Redis also keeps whole: what every feed page and profile reads. */
export const hotCollections: readonly CollectionName[] = ['users', 'posts'];

export function isHot(collection: CollectionName): boolean {
  return hotCollections.includes(collection);
}

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * The stream's own write of a hot document, guarded by its revision in the hash itself, as MongoDB guards it in
 * the filter: the copy converges on its own, whatever reached MongoDB before a crash.
 * KEYS[1] the hash; ARGV[1] the revision; ARGV[2..] field, value, field, value...
 */
const applyRevisionScript = new RedisScript(
  'gramApplyRevision',
  `
local stored = redis.call('HGET', KEYS[1], 'rev')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], unpack(ARGV, 2))
return 1`,
  1,
);

/**
 * A like edge's `liked` flag in its user's hash (post id → "revision:1|0"), guarded by the edge's revision.
 * KEYS[1] the user's hash; ARGV[1] the post id; ARGV[2] the revision; ARGV[3] 1 or 0
 */
const recordLikeScript = new RedisScript(
  'gramRecordLike',
  `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored and tonumber(string.match(stored, '^[^:]+')) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1`,
  1,
);

/** Field values as JSON, so that a number, a flag and a string read back as what they were. */
function encode(fields: Readonly<Record<string, unknown>>): string[] {
  const args: string[] = [];
  for (const field in fields) args.push(field, JSON.stringify(fields[field] ?? null));
  return args;
}

function decode(id: string, hash: Record<string, string>): Doc | undefined {
  let doc: Doc | undefined;
  for (const field in hash) {
    doc ??= { id, rev: -1 };
    doc[field] = JSON.parse(hash[field] as string);
  }
  return doc;
}

/**
 * The hot part of one generation of the distributed read models, in Redis beside the documents in MongoDB:
 * - each user and each post whole, as a hash (`<prefix>users:<id>`, `<prefix>posts:<id>`, JSON field values);
 * - what each user likes, for likedByMe: one hash per user (`<prefix>liked:<userId>`), post id → "rev:1|0".
 * Written by the same operations as MongoDB and with the same guards (see MongoRedisDocumentStore), so the
 * copies hold the same documents; read by id only, a few pipelined round trips for a whole feed page.
 */
export class RedisHotCopies {
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {
    applyRevisionScript.defineOn(redis);
    recordLikeScript.defineOn(redis);
  }

  private key(collection: CollectionName, id: string): string {
    return `${this.prefix}${collection}:${id}`;
  }

  private likedKey(userId: string): string {
    return `${this.prefix}liked:${userId}`;
  }

  async get(collection: CollectionName, id: string, fields?: readonly string[]): Promise<Doc | undefined> {
    const key = this.key(collection, id);
    if (!fields) return decode(id, await this.redis.hgetall(key));
    const names = [...fields, 'rev'];
    const values = await this.redis.hmget(key, ...names);
    const hash: Record<string, string> = {};
    names.forEach((name, i) => {
      const value = values[i];
      if (value !== null && value !== undefined) hash[name] = value;
    });
    return decode(id, hash);
  }

  /** The revision of the hot copy of `id`, if there is one and its stream's events reached it. */
  async revision(collection: CollectionName, id: string): Promise<number | undefined> {
    const rev = await this.redis.hget(this.key(collection, id), 'rev');
    return rev === null || rev === '-1' ? undefined : Number(rev);
  }

  /** the copies of `ids`, in their order; undefined where there is none */
  async getMany(collection: CollectionName, ids: readonly string[]): Promise<(Doc | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(collection, id));
    const replies = (await pipeline.exec()) ?? [];
    return ids.map((id, i) => {
      const [error, hash] = replies[i] ?? [];
      if (error) throw error;
      return decode(id, hash as Record<string, string>);
    });
  }

  applyRevision(
    pipeline: Pipeline,
    collection: CollectionName,
    id: string,
    rev: number,
    fields: Record<string, unknown>,
  ): void {
    applyRevisionScript.queue(pipeline, this.key(collection, id), String(rev), ...encode(fields));
  }

  /** Sets fields, creating a placeholder (rev -1) as MongoDB's upsert does. */
  setFields(
    pipeline: Pipeline,
    collection: CollectionName,
    id: string,
    fields: Record<string, unknown>,
  ): void {
    const key = this.key(collection, id);
    pipeline.hsetnx(key, 'rev', '-1');
    pipeline.hset(key, ...encode(fields));
  }

  recordLike(pipeline: Pipeline, userId: string, postId: string, rev: number, liked: boolean): void {
    recordLikeScript.queue(pipeline, this.likedKey(userId), postId, String(rev), liked ? '1' : '0');
  }

  /** the posts among `postIds` that `userId` likes */
  async likedAmong(userId: string, postIds: readonly string[]): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    const values = await this.redis.hmget(this.likedKey(userId), ...postIds);
    return new Set(postIds.filter((_, i) => values[i]?.endsWith(':1') === true));
  }

  /** Writes whole documents of a fresh generation (the rebuild's export), no guard needed. */
  putAll(pipeline: Pipeline, collection: CollectionName, docs: readonly Doc[]): void {
    for (const { id, ...fields } of docs) pipeline.hset(this.key(collection, id), ...encode(fields));
  }

  /** Writes the like edges of a fresh generation, grouped by user (the rebuild's export). */
  putLikes(pipeline: Pipeline, likes: readonly Doc[]): void {
    const byUser = new Map<string, string[]>();
    for (const edge of likes) {
      const userId = edge.userId as string;
      let args = byUser.get(userId);
      if (!args) {
        args = [];
        byUser.set(userId, args);
      }
      args.push(edge.postId as string, `${edge.rev}:${edge.liked === true ? 1 : 0}`);
    }
    for (const [userId, args] of byUser) pipeline.hset(this.likedKey(userId), ...args);
  }
}
