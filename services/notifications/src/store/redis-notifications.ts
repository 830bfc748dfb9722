import type { Redis } from 'ioredis';
import { type NotificationAbout, withActor } from './actors.js';
import type { NotificationDoc } from './documents.js';
import { isAfter } from './newest-first.js';
import type { NotificationDocuments, NotificationPosition } from './port.js';
import { type IndexChange, RedisDocuments } from './redis-documents.js';

/** Where a notification stands in its recipient's sorted set: its score (`updatedAt` in ms) and id. */
interface Listed {
  score: number;
  id: string;
}

/**
 * The notifications in Redis (see RedisDocuments), found by actor, post, post author, comment and reply, and by
 * recipient from a sorted set of each recipient's ids, `<prefix>by-update-time:<recipient>`, scored by
 * `updatedAt` in ms and written in the same step as the notification: the lists page it, the unread count takes
 * from it those updated after the read marker. Redis orders the ids of one score by their bytes, the order of the
 * ids (UUIDs) in JavaScript, so newest first is the list's order: `updatedAt`, then id, descending.
 */
export class RedisNotifications extends RedisDocuments<NotificationDoc> implements NotificationDocuments {
  private readonly byUpdateTime: string;

  constructor(redis: Redis, prefix: string) {
    super(redis, prefix, ['actorIds', 'postId', 'postAuthorId', 'commentId', 'replyId']);
    this.byUpdateTime = `${prefix}by-update-time:`;
  }

  protected override indexChanges(
    before: NotificationDoc | undefined,
    after: NotificationDoc | undefined,
  ): IndexChange[] {
    const changes = super.indexChanges(before, after);
    if (before && before.recipient !== after?.recipient)
      changes.push([this.byUpdateTime + before.recipient, 'ZREM']);
    if (after) changes.push([this.byUpdateTime + after.recipient, Date.parse(after.updatedAt)]);
    return changes;
  }

  override async find(field: string, value: string): Promise<NotificationDoc[]> {
    if (field !== 'recipient') return super.find(field, value);
    const docs = await this.getMany(await this.redis.zrange(this.byUpdateTime + value, 0, -1));
    return docs.filter((doc) => doc.recipient === value);
  }

  async addActor(about: NotificationAbout, actor: string, at: string, keepTime: boolean): Promise<boolean> {
    const { changed } = await this.update(about._id, (current) =>
      withActor(current, about, actor, at, keepTime),
    );
    return changed;
  }

  /**
   * Read from the sorted set, then the notifications: one changed between the two reads (updated since, or gone)
   * is left out, and as many more read in its place, so a page is short only at the end of the list.
   */
  async newestFirst(
    recipient: string,
    after: NotificationPosition | undefined,
    limit: number,
  ): Promise<NotificationDoc[]> {
    const key = this.byUpdateTime + recipient;
    const found = new Map<string, NotificationDoc>();
    let position = after && { score: Date.parse(after.updatedAt), id: after.id };
    while (found.size < limit) {
      const wanted = limit - found.size;
      const listed = await this.listedAfter(key, position, wanted);
      for (const doc of await this.getMany(listed.map(({ id }) => id))) {
        if (doc.recipient === recipient && (after === undefined || isAfter(doc, after)))
          found.set(doc._id, doc);
      }
      position = listed.at(-1);
      if (listed.length < wanted) break;
    }
    return [...found.values()];
  }

  /**
   * The next `count` entries of the sorted set after `position`, newest first. Those of the position's own score
   * (a millisecond several notifications may share) are read whole and the ones after its id kept, in the same
   * transaction as those of lower scores.
   */
  private async listedAfter(key: string, position: Listed | undefined, count: number): Promise<Listed[]> {
    if (position === undefined)
      return scored(await this.redis.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count));
    const { score, id } = position;
    const [tied, lower] = (
      (await this.redis
        .multi()
        .zrangebyscore(key, score, score)
        .zrevrangebyscore(key, `(${score}`, '-inf', 'WITHSCORES', 'LIMIT', 0, count)
        .exec()) ?? []
    ).map(([error, result]) => {
      if (error) throw error;
      return result as string[];
    }) as [string[], string[]];
    const sameScore = tied
      .filter((other) => other < id)
      .reverse()
      .map((other) => ({ score, id: other }));
    return [...sameScore, ...scored(lower)].slice(0, count);
  }

  async updatedAfter(recipient: string, since: string | undefined): Promise<NotificationDoc[]> {
    // From the millisecond of `since` on, then exactly on the notifications as stored.
    const from = since === undefined ? '-inf' : String(Math.floor(Date.parse(since)));
    const ids = await this.redis.zrangebyscore(this.byUpdateTime + recipient, from, '+inf');
    const docs = await this.getMany(ids);
    return docs.filter(
      (doc) => doc.recipient === recipient && (since === undefined || doc.updatedAt > since),
    );
  }
}

/** The members and scores of a reply WITHSCORES. */
function scored(reply: string[]): Listed[] {
  const listed: Listed[] = [];
  for (let i = 0; i < reply.length; i += 2)
    listed.push({ id: reply[i] as string, score: Number(reply[i + 1]) });
  return listed;
}
