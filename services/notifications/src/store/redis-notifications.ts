import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import { type NotificationAbout, withActor, withoutActor } from './actors.js';
import type { NotificationDoc } from './documents.js';
import { isAfter } from './newest-first.js';
import type { ActorRemoval, NotificationDocuments, NotificationPosition, Updated } from './port.js';
import { type IndexChange, RedisDocuments, unlessChangedSinceRead } from './redis-documents.js';
import { withoutUndefined } from './without-undefined.js';

/** Where a notification stands in its recipient's sorted set: its score (`updatedAt` in ms) and id. */
interface Listed {
  score: number;
  id: string;
}

/** A notification as stored under its id: every field but its actors, and the count of its writes. */
type Head = Omit<NotificationDoc, 'actors' | 'actorIds'> & { writes: number };

/**
 * A notification as read: its head as stored (the string a write compares with), and the whole document.
 * `whole`: stored as one string, actors included, as before they had a hash of their own (see assembled).
 */
interface Read {
  stored: string | null;
  head: Head | undefined;
  doc: NotificationDoc | undefined;
  whole?: boolean;
}

/**
 * The one write of a notification: its head (KEYS[1]) set to ARGV[3] (deleted with its actors when empty) only
 * while it still holds what was read, ARGV[2] (nothing when ARGV[1] is 0); in the same step its id (ARGV[4]) moved
 * in its ARGV[5] indexes (KEYS[2 + i], ARGV[5 + i] as in RedisDocuments), and its actors' hash (KEYS[2]) changed:
 * after the index changes, a count of actors to set, then that many pairs (actor, time), then the actors to
 * delete. Every write counts itself into the head (`writes`), so a write of the actors alone changes the head
 * too: a writer that read the actors before it finds the head changed, and reads them again. A notification made
 * anew starts with no actors but its own: actors left without their head (a head lost from Redis) are dropped.
 */
const writeScript = `${unlessChangedSinceRead('0')}
if ARGV[3] == '' then redis.call('DEL', KEYS[1], KEYS[2]) else redis.call('SET', KEYS[1], ARGV[3]) end
if ARGV[1] == '0' then redis.call('DEL', KEYS[2]) end
local indexes = tonumber(ARGV[5])
for i = 1, indexes do
  local change = ARGV[5 + i]
  if change == 'SADD' or change == 'SREM' or change == 'ZREM' then
    redis.call(change, KEYS[2 + i], ARGV[4])
  else
    redis.call('ZADD', KEYS[2 + i], change, ARGV[4])
  end
end
local at = 6 + indexes
local set = tonumber(ARGV[at])
for i = 1, set do redis.call('HSET', KEYS[2], ARGV[at + 2 * i - 1], ARGV[at + 2 * i]) end
for i = at + 2 * set + 1, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
return 1
`;

/**
 * The reads of notifications, each a script: Redis runs it alone, so a head is never read beside another write's
 * actors, as a MULTI would give; and a script is one command, which the store's connection auto-pipelines with
 * the other commands of its turn, where each MULTI went out in a socket write of its own (in the live bench's
 * gateway phase, the service's socket writes to Redis were a sixth of its CPU, most of them those).
 *
 * readWholeScript: for each notification, KEYS[2i - 1] its head and KEYS[2i] its actors' hash, answered as a
 * list of pairs (the head's string or nil, the hash's fields and values flat). readActorScript: the head
 * (KEYS[1]), the time of one actor (ARGV[1]) in the hash (KEYS[2]) and how many actors the hash holds.
 */
const readWholeScript = `
local read = {}
for i = 1, #KEYS, 2 do
  read[#read + 1] = {redis.call('GET', KEYS[i]), redis.call('HGETALL', KEYS[i + 1])}
end
return read
`;
const readActorScript = `
return {redis.call('GET', KEYS[1]), redis.call('HGET', KEYS[2], ARGV[1]), redis.call('HLEN', KEYS[2])}
`;

type WithScripts = Redis & {
  notificationWrite(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  notificationsReadWhole(keyCount: number, ...keys: string[]): Promise<[string | null, string[]][]>;
  notificationReadActor(
    head: string,
    actors: string,
    actor: string,
  ): Promise<[stored: string | null, held: string | null, count: number]>;
};

/**
 * The notifications in Redis, found by actor, post, post author, comment and reply (the sets of RedisDocuments),
 * and by recipient from a sorted set of each recipient's ids, `<prefix>by-update-time:<recipient>`, scored by
 * `updatedAt` in ms and written in the same step as the notification: the lists page it, the unread count takes
 * from it those updated after the read marker. Redis orders the ids of one score by their bytes, the order of the
 * ids (UUIDs) in JavaScript, so newest first is the list's order: `updatedAt`, then id, descending.
 *
 * A notification is kept in two parts: its head (every field but its actors) as a JSON string under `<prefix><id>`,
 * and its actors in a hash, `<prefix>actors:<id>` (actor -> time), both written by one script (writeScript) and
 * read in one transaction. A like adds its actor to the hash and rewrites the head alone: what it costs does not
 * grow with the actors the notification already has. When the whole notification was one string, a like read,
 * parsed, copied and wrote back all of them: 1.3 ms of CPU a like at 200 actors, 38 ms at 10,000 (a 1 MiB string).
 */
export class RedisNotifications extends RedisDocuments<NotificationDoc> implements NotificationDocuments {
  private readonly byUpdateTime: string;
  private readonly scripts: WithScripts;

  constructor(redis: Redis, prefix: string) {
    super(redis, prefix, ['actorIds', 'postId', 'postAuthorId', 'commentId', 'replyId']);
    this.byUpdateTime = `${prefix}by-update-time:`;
    if (!('notificationWrite' in redis)) {
      redis.defineCommand('notificationWrite', { lua: writeScript });
      redis.defineCommand('notificationsReadWhole', { lua: readWholeScript });
      redis.defineCommand('notificationReadActor', { lua: readActorScript, numberOfKeys: 2 });
    }
    this.scripts = redis as WithScripts;
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

  override async get(id: string): Promise<NotificationDoc | undefined> {
    return (await this.readMany([id]))[0]?.doc;
  }

  override async getMany(ids: readonly string[]): Promise<NotificationDoc[]> {
    return (await this.readMany(ids)).flatMap(({ doc }) => (doc ? [doc] : []));
  }

  /** Each notification's head and actors, all in one script: a head never meets another write's actors. */
  private async readMany(ids: readonly string[]): Promise<Read[]> {
    if (ids.length === 0) return [];
    const keys = ids.flatMap((id) => [this.prefix + id, this.actorsKey(id)]);
    const read = await this.scripts.notificationsReadWhole(keys.length, ...keys);
    return read.map(([stored, actors]) => assembled(stored, fromPairs(actors)));
  }

  /** One change of a notification at a time in this process (see RedisDocuments.update). */
  override async update(
    id: string,
    change: (current: NotificationDoc | undefined) => NotificationDoc | undefined,
  ): Promise<Updated<NotificationDoc>> {
    return this.updating.run(id, () => this.changeWhole(id, change));
  }

  /**
   * Puts `actor` into the notification: its head and the actor's entry read (not the other actors), the head
   * rewritten and the actor set. A notification about something else than `about` (another text, say), or one
   * whose latest time the actor held and moves back, is changed whole (update).
   */
  async addActor(about: NotificationAbout, actor: string, at: string, keepTime: boolean): Promise<boolean> {
    const fields = withoutUndefined(about);
    return this.updating.run(about._id, async () => {
      for (;;) {
        const [stored, held] = await this.readActor(about._id, actor);
        const head = stored === null ? undefined : (JSON.parse(stored) as Head);
        // Actors without a head are what a lost head left (see writeScript): none.
        const had = head === undefined ? undefined : (held ?? undefined);
        // as actorTime says
        const time = keepTime && had !== undefined ? had : at;
        if (had === time) return false;
        if ((head && !isAbout(head, fields)) || (head && time < head.updatedAt && had === head.updatedAt)) {
          const slow = await this.changeWhole(about._id, (current) =>
            withActor(current, about, actor, at, keepTime),
          );
          return slow.changed;
        }
        const before = head && { ...head, actors: {}, actorIds: had === undefined ? [] : [actor] };
        const after: NotificationDoc = {
          ...fields,
          actors: {},
          actorIds: [actor],
          createdAt: head && head.createdAt < time ? head.createdAt : time,
          updatedAt: head && head.updatedAt > time ? head.updatedAt : time,
        };
        const read: Read = { stored, head, doc: before && stripWrites(before) };
        if (await this.write(about._id, read, after, { set: [[actor, time]], deleted: [] })) return true;
      }
    });
  }

  /**
   * Takes `actor` out of the notification: its head, the actor's entry and their count read (not the other
   * actors), the head rewritten and the entry deleted. The removal of its last actor, of the actor that held its
   * latest time (which moves back to the latest of the others), or from a notification stored whole, is made
   * whole (update).
   */
  async removeActor(id: string, actor: string): Promise<ActorRemoval> {
    return this.updating.run(id, async () => {
      for (;;) {
        const [stored, held, count] = await this.readActor(id, actor);
        if (stored === null) return 'unchanged';
        const head = JSON.parse(stored) as Head;
        const whole = 'actors' in head;
        if (!whole && held === null) return 'unchanged';
        if (whole || count <= 1 || held === head.updatedAt) {
          const slow = await this.changeWhole(id, (current) => withoutActor(current, actor));
          return !slow.changed ? 'unchanged' : slow.after ? 'changed' : 'removed';
        }
        const { writes: _writes, ...fields } = head;
        const read: Read = { stored, head, doc: { ...fields, actors: {}, actorIds: [actor] } };
        const after: NotificationDoc = { ...fields, actors: {}, actorIds: [] };
        if (await this.write(id, read, after, { set: [], deleted: [actor] })) return 'changed';
      }
    });
  }

  /** `update`'s change, read and written whole: within a run of `updating`, which never nests. */
  private async changeWhole(
    id: string,
    change: (current: NotificationDoc | undefined) => NotificationDoc | undefined,
  ): Promise<Updated<NotificationDoc>> {
    for (;;) {
      const read = (await this.readMany([id]))[0] as Read;
      const before = read.doc;
      const after = withoutUndefined(change(before));
      if (isDeepStrictEqual(before, after)) return { before, after: before, changed: false };
      if (await this.write(id, read, after, actorChanges(before?.actors, after?.actors)))
        return { before, after, changed: true };
    }
  }

  /**
   * Writes `after` over the notification as `read`, with `actors` changed in its hash and its indexes moved from
   * `read.doc` (whose `actorIds` need only hold the actors whose membership changes); false when another write
   * came first.
   */
  private async write(
    id: string,
    read: Read,
    after: NotificationDoc | undefined,
    actors: ActorChanges,
  ): Promise<boolean> {
    const changes = this.indexChanges(read.doc, after);
    // A notification stored whole (see assembled) has no hash yet: every actor it keeps goes into one.
    const moved: ActorChanges = read.whole
      ? { set: Object.entries(after?.actors ?? {}), deleted: [] }
      : actors;
    let head = '';
    if (after) {
      const { actors: _actors, actorIds: _actorIds, ...rest } = after;
      head = JSON.stringify({ ...rest, writes: (read.head?.writes ?? 0) + 1 });
    }
    const written = await this.scripts.notificationWrite(
      2 + changes.length,
      this.prefix + id,
      this.actorsKey(id),
      ...changes.map(([indexKey]) => indexKey),
      read.stored === null ? '0' : '1',
      read.stored ?? '',
      head,
      id,
      changes.length,
      ...changes.map(([, indexChange]) => indexChange),
      moved.set.length,
      ...moved.set.flat(),
      ...moved.deleted,
    );
    return written === 1;
  }

  /** The notification's head as stored, the time `actor` has in it (null: none) and its count of actors. */
  private readActor(id: string, actor: string): Promise<[string | null, string | null, number]> {
    return this.scripts.notificationReadActor(this.prefix + id, this.actorsKey(id), actor);
  }

  private actorsKey(id: string): string {
    return `${this.prefix}actors:${id}`;
  }

  override async find(field: string, value: string): Promise<NotificationDoc[]> {
    if (field !== 'recipient') return super.find(field, value);
    const docs = await this.getMany(await this.redis.zrange(this.byUpdateTime + value, 0, -1));
    return docs.filter((doc) => doc.recipient === value);
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

/** A hash as HGETALL answers it inside a script: its fields and values, flat. */
function fromPairs(flat: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

/** The members and scores of a reply WITHSCORES. */
function scored(reply: string[]): Listed[] {
  const listed: Listed[] = [];
  for (let i = 0; i < reply.length; i += 2)
    listed.push({ id: reply[i] as string, score: Number(reply[i + 1]) });
  return listed;
}

/** The actors a write sets (actor, time) and deletes. */
interface ActorChanges {
  set: [actor: string, time: string][];
  deleted: string[];
}

function actorChanges(
  before: Record<string, string> | undefined,
  after: Record<string, string> | undefined,
): ActorChanges {
  const changes: ActorChanges = { set: [], deleted: [] };
  for (const actor in after)
    if (before?.[actor] !== after[actor]) changes.set.push([actor, after[actor] as string]);
  // A notification deleted takes its hash with it (writeScript).
  if (after) for (const actor in before) if (!(actor in after)) changes.deleted.push(actor);
  return changes;
}

/**
 * A notification from its head as stored and its actors' hash. A Redis written before the actors had a hash of
 * their own holds each notification whole in one string: it is read as it is, and its first write moves its
 * actors into their hash (write), so a deployment that upgrades keeps its notifications without a rebuild.
 */
function assembled(stored: string | null, actors: Record<string, string>): Read {
  if (stored === null) return { stored, head: undefined, doc: undefined };
  const head = JSON.parse(stored) as Head & Partial<Pick<NotificationDoc, 'actors' | 'actorIds'>>;
  const { writes: _writes, actors: wholeActors, actorIds: _wholeIds, ...fields } = head;
  const held = wholeActors ?? actors;
  const doc = { ...fields, actors: { ...held }, actorIds: Object.keys(held).sort() };
  return { stored, head, doc, whole: wholeActors !== undefined };
}

function stripWrites(doc: NotificationDoc & { writes?: number }): NotificationDoc {
  const { writes: _writes, ...rest } = doc;
  return rest;
}

/** Whether `head` is about what `about` says, every field of it: then only its actors and times may change. */
function isAbout(head: Head, about: NotificationAbout): boolean {
  const fields = Object.keys(about) as (keyof NotificationAbout)[];
  const held = Object.keys(head).length - 3; // its created and updated times, its count of writes
  return held === fields.length && fields.every((field) => head[field] === about[field]);
}
