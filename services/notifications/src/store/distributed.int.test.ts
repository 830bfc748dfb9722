import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { byId, everyLookupHistory, History, twiceShuffled } from '../../test/history.js';
import { notificationRules, project } from '../../test/rules.js';
import { NotificationProjector } from '../read-model/projector.js';
import type { NotificationAbout } from './actors.js';
import { distributedNotificationStore } from './distributed.js';
import type { NotificationDoc } from './documents.js';
import { memoryNotificationStore } from './memory.js';
import type { Documents, NotificationPosition } from './port.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

/** The notification of the likes of post 1, which the concurrency tests add actors to. */
const likeOfPost1: NotificationAbout = {
  _id: 'like-1',
  recipient: 'author',
  key: 'like:1',
  type: 'like',
  postId: '1',
  postAuthorId: 'author',
};

/** Counts the notifications read with all their actors (the `notificationsReadWhole` script) by `connection` from now on. */
function countWholeReads(connection: Redis): { count: number } {
  const reads = { count: 0 };
  const withRead = connection as Redis & {
    notificationsReadWhole(keyCount: number, ...keys: string[]): unknown;
  };
  const readWhole = withRead.notificationsReadWhole.bind(connection);
  vi.spyOn(withRead, 'notificationsReadWhole').mockImplementation((keyCount, ...keys) => {
    reads.count += keyCount / 2;
    return readWhole(keyCount, ...keys);
  });
  return reads;
}

type StoredDoc = { _id: string } & Record<string, unknown>;

/** What each kind is found by (a notification's recipient: the sorted set of its ids by update time). */
const indexedFields = {
  replies: ['commentId'],
  edges: ['from', 'to'],
  notifications: ['recipient', 'actorIds', 'postId', 'postAuthorId', 'commentId', 'replyId'],
} as const;

/** The indexes `docs` call for, as `stored` reads them. */
function indexOf(docs: StoredDoc[], fields: readonly string[]): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const doc of docs) {
    for (const field of fields) {
      const held = doc[field];
      const entry = field === 'recipient' ? `${doc._id} ${Date.parse(doc.updatedAt as string)}` : doc._id;
      for (const value of held === undefined ? [] : Array.isArray(held) ? held : [held])
        sets[`${field} ${value}`] = [...(sets[`${field} ${value}`] ?? []), entry];
    }
  }
  for (const ids of Object.values(sets)) ids.sort();
  return sets;
}

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'notifications in Redis, read markers in MongoDB (FerretDB)',
  () => {
    let client: MongoClient;
    let redis: Redis;
    const prefixes: string[] = [];
    beforeAll(async () => {
      client = await MongoClient.connect(mongoUrl as string);
      redis = new Redis(redisUrl as string);
    });
    const freshPrefix = () => {
      const prefix = `n${Math.floor(Math.random() * 1e9)}`;
      prefixes.push(prefix);
      return prefix;
    };
    /** The documents of a kind as stored, and its indexes: `<field> <value>` -> the ids (with their scores). */
    const stored = async (prefix: string, kind: string) => {
      const docs: StoredDoc[] = [];
      const sets: Record<string, string[]> = {};
      const actors = new Map<string, Record<string, string>>();
      const start = `notifications_test:${prefix}:${kind}:`;
      for (const key of await redis.keys(`${start}*`)) {
        const [type, rest] = [await redis.type(key), key.slice(start.length)];
        if (type === 'string') docs.push(JSON.parse((await redis.get(key)) as string));
        else if (type === 'set') {
          const [, field, ...value] = rest.split(':');
          sets[`${field} ${value.join(':')}`] = (await redis.smembers(key)).sort();
        } else if (type === 'zset') {
          const [, ...recipient] = rest.split(':');
          const members = await redis.zrange(key, 0, -1, 'WITHSCORES');
          sets[`recipient ${recipient.join(':')}`] = members
            .flatMap((member, i) => (i % 2 === 0 ? [`${member} ${members[i + 1]}`] : []))
            .sort();
        } else if (type === 'hash' && rest.startsWith('actors:')) {
          actors.set(rest.slice('actors:'.length), await redis.hgetall(key));
        } else throw new Error(`${key} is a ${type}`);
      }
      // A notification's actors are a hash of their own beside the rest of it (RedisNotifications).
      for (const doc of kind === 'notifications' ? docs : []) {
        const held = actors.get(doc._id) ?? {};
        Object.assign(doc, { actors: held, actorIds: Object.keys(held).sort() });
        delete doc.writes;
        actors.delete(doc._id);
      }
      expect([...actors.keys()], 'actors without their notification').toEqual([]);
      return { docs, sets };
    };
    afterAll(async () => {
      const db = client.db('notifications_test');
      for (const { name } of await db.listCollections().toArray()) {
        if (prefixes.some((prefix) => name.startsWith(prefix))) await db.dropCollection(name);
      }
      await client.close();
      await redis.quit();
    });
    it('opens where an earlier start left its documents: a restart, another instance starting at once', async () => {
      const prefix = freshPrefix();
      const db = client.db('notifications_test');
      await distributedNotificationStore(db, redis, prefix);
      const others = await Promise.all(
        [1, 2].map(async () => {
          const other = await MongoClient.connect(mongoUrl as string);
          try {
            await distributedNotificationStore(other.db('notifications_test'), redis, prefix);
            return 'opened';
          } finally {
            await other.close();
          }
        }),
      );
      expect(others).toEqual(['opened', 'opened']);
    });

    it('lands every one of many changes of one document made at once in one instance', async () => {
      const prefix = freshPrefix();
      const store = await distributedNotificationStore(client.db('notifications_test'), redis, prefix);
      const recipient = 'author';
      const fans = Array.from({ length: 20 }, (_, i) => `fan${i}`);
      await Promise.all(
        fans.map((fan) =>
          store.notifications.update('like-1', (current) => {
            const actors = { ...current?.actors, [fan]: '2025-01-01T00:00:00.000Z' };
            return {
              _id: 'like-1',
              recipient,
              key: 'like:1',
              type: 'like',
              actors,
              actorIds: Object.keys(actors).sort(),
              createdAt: '2025-01-01T00:00:00.000Z',
              updatedAt: '2025-01-01T00:00:00.000Z',
            };
          }),
        ),
      );
      expect((await store.notifications.get('like-1'))?.actorIds).toEqual([...fans].sort());
      // and in Redis
      await Promise.all(
        fans.map((fan) =>
          store.posts.update('post-1', (current) => ({
            _id: 'post-1',
            rev: 0,
            authorId: recipient,
            photo: '',
            mentions: [...(current?.mentions ?? []), fan],
            mentionedAt: '2025-01-01T00:00:00.000Z',
            deleted: false,
          })),
        ),
      );
      expect([...((await store.posts.get('post-1'))?.mentions ?? [])].sort()).toEqual([...fans].sort());
    });

    it("puts back a notification lost from Redis, with its place in its recipient's list, once its event is delivered again", async () => {
      const prefix = freshPrefix();
      const store = await distributedNotificationStore(client.db('notifications_test'), redis, prefix);
      const h = new History();
      const [author, fan] = [h.register('author'), h.register('fan')] as [string, string];
      h.like(h.post(author), author, fan);
      const { queries, list } = await project(store, h.events);
      const [liked] = await list(author);
      const id = liked?.id as string;
      expect(await queries.unreadCount(author)).toBe(1);
      await redis.del(
        `notifications_test:${prefix}:notifications:by-update-time:${author}`,
        `notifications_test:${prefix}:notifications:${id}`,
      );
      expect(await queries.unreadCount(author)).toBe(0);
      expect(await queries.one(author, id)).toBeUndefined();
      await project(store, h.events.slice(-1));
      expect(await queries.unreadCount(author)).toBe(1);
      expect(await queries.one(author, id)).toEqual(liked);
    });

    it('keeps every index exact through a shuffled history: each set of ids is what a scan of the documents finds, and a lookup finds what the memory store finds', async () => {
      const { events, values } = everyLookupHistory();
      for (const seed of [1, 2]) {
        const prefix = freshPrefix();
        const store = await distributedNotificationStore(client.db('notifications_test'), redis, prefix);
        const memory = memoryNotificationStore();
        for (const event of twiceShuffled(events, seed)) {
          await new NotificationProjector(store).apply(event);
          await new NotificationProjector(memory).apply(event);
        }
        for (const [kind, fields] of Object.entries(indexedFields)) {
          const { docs, sets } = await stored(prefix, kind);
          expect(docs.length, `${kind} ${seed}`).toBeGreaterThan(0);
          expect(sets, `${kind} ${seed}`).toEqual(indexOf(docs, fields));
          for (const field of fields) {
            for (const value of values) {
              const [found, expected] = await Promise.all(
                [store, memory].map((documents) =>
                  (documents[kind as keyof typeof indexedFields] as Documents<{ _id: string }>).find(
                    field,
                    value,
                  ),
                ),
              );
              expect(byId(found as { _id: string }[]), `${kind} ${field} ${value} ${seed}`).toEqual(
                byId(expected as { _id: string }[]),
              );
            }
          }
        }
      }
    });

    it('pages newest first across notifications updated in the same millisecond: pages of 1 and 2 are the memory order, no repeat, no gap', async () => {
      const store = await distributedNotificationStore(client.db('notifications_test'), redis, freshPrefix());
      const memory = memoryNotificationStore();
      const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
      // Ids in no order of their times; five share .005, two .003.
      const times: [string, number][] = [
        ['c3', 5],
        ['a1', 5],
        ['e5', 3],
        ['b2', 5],
        ['f6', 7],
        ['d4', 5],
        ['g7', 3],
        ['h8', 5],
        ['i9', 1],
      ];
      for (const [id, ms] of times) {
        const doc: NotificationDoc = {
          _id: id,
          recipient: 'ann',
          key: `comment:${id}`,
          type: 'comment',
          actors: { bob: at(ms) },
          actorIds: ['bob'],
          createdAt: at(ms),
          updatedAt: at(ms),
        };
        await store.notifications.update(id, () => doc);
        await memory.notifications.update(id, () => doc);
        // another recipient's, at the same times
        await store.notifications.update(`x${id}`, () => ({ ...doc, _id: `x${id}`, recipient: 'bob' }));
      }
      const expected = (await memory.notifications.newestFirst('ann', undefined, 100)).map((doc) => doc._id);
      expect(expected).toEqual(['f6', 'h8', 'd4', 'c3', 'b2', 'a1', 'g7', 'e5', 'i9']);
      for (const limit of [1, 2]) {
        const seen: string[] = [];
        let after: NotificationPosition | undefined;
        for (let page = 0; page < 20; page++) {
          const docs = await store.notifications.newestFirst('ann', after, limit);
          seen.push(...docs.map((doc) => doc._id));
          const last = docs.at(-1);
          if (docs.length < limit || last === undefined) break;
          after = { updatedAt: last.updatedAt, id: last._id };
        }
        expect(seen, `pages of ${limit}`).toEqual(expected);
      }
      // from a position no notification holds any longer (the one a client last saw was taken back)
      const position = { updatedAt: at(5), id: 'c' };
      expect((await store.notifications.newestFirst('ann', position, 3)).map((doc) => doc._id)).toEqual(
        (await memory.notifications.newestFirst('ann', position, 3)).map((doc) => doc._id),
      );
    });

    it("applies an instance's changes of one document one after another: each reads it once, none is retried", async () => {
      const connection = new Redis(redisUrl as string);
      try {
        const store = await distributedNotificationStore(
          client.db('notifications_test'),
          connection,
          freshPrefix(),
        );
        // A notification's head and an actor's time are read by one script (RedisNotifications).
        const reads = vi.spyOn(
          connection as Redis & { notificationReadActor(...args: string[]): unknown },
          'notificationReadActor',
        );
        const fans = Array.from({ length: 20 }, (_, i) => `fan${i}`);
        await Promise.all(
          fans.map((fan) =>
            store.notifications.addActor(likeOfPost1, fan, '2025-01-01T00:00:00.000Z', false),
          ),
        );
        expect(reads).toHaveBeenCalledTimes(fans.length);
        expect((await store.notifications.get('like-1'))?.actorIds).toEqual([...fans].sort());
      } finally {
        await connection.quit();
      }
    });

    it("adds a like's actor without reading or rewriting the others: the stored notification stays one size however many actors it has", async () => {
      const connection = new Redis(redisUrl as string);
      try {
        const prefix = freshPrefix();
        const store = await distributedNotificationStore(client.db('notifications_test'), connection, prefix);
        const head = `notifications_test:${prefix}:notifications:like-1`;
        const like = (fan: string, second: number) =>
          store.notifications.addActor(
            likeOfPost1,
            fan,
            new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString(),
            false,
          );
        for (let i = 0; i < 10; i++) await like(`fan${String(i).padStart(3, '0')}`, i);
        const sizeWithTen = await connection.strlen(head);
        const wholeReads = countWholeReads(connection);
        for (let i = 10; i < 300; i++) await like(`fan${String(i).padStart(3, '0')}`, i);
        expect(wholeReads.count).toBe(0);
        // only its count of writes grows (10 to 300: a digit)
        expect(await connection.strlen(head)).toBeLessThanOrEqual(sizeWithTen + 1);
        const liked = await store.notifications.get('like-1');
        expect(liked?.actorIds).toHaveLength(300);
        expect(liked?.updatedAt).toBe(new Date(Date.UTC(2025, 0, 1, 0, 0, 299)).toISOString());
        expect(liked?.createdAt).toBe(new Date(Date.UTC(2025, 0, 1)).toISOString());
      } finally {
        await connection.quit();
      }
    });

    it("takes an unlike's actor back without reading the others unless it held the latest time, leaving what the memory store leaves, to the last actor", async () => {
      const connection = new Redis(redisUrl as string);
      try {
        const prefix = freshPrefix();
        const store = await distributedNotificationStore(client.db('notifications_test'), connection, prefix);
        const memory = memoryNotificationStore();
        const fan = (i: number) => `fan${String(i).padStart(3, '0')}`;
        const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString();
        for (let i = 0; i < 50; i++) {
          await store.notifications.addActor(likeOfPost1, fan(i), at(i), false);
          await memory.notifications.addActor(likeOfPost1, fan(i), at(i), false);
        }
        const wholeReads = countWholeReads(connection);
        const unlike = async (i: number) => {
          const removal = await store.notifications.removeActor('like-1', fan(i));
          expect(removal).toBe(await memory.notifications.removeActor('like-1', fan(i)));
          // what this check reads is not the removal's
          const readsByRemovals = wholeReads.count;
          expect(await store.notifications.get('like-1')).toEqual(await memory.notifications.get('like-1'));
          wholeReads.count = readsByRemovals;
          return removal;
        };
        // the earlier likes: their actors alone are read and deleted
        for (let i = 0; i < 40; i++) expect(await unlike(i)).toBe('changed');
        expect(await unlike(3)).toBe('unchanged');
        expect(wholeReads.count).toBe(0);
        // the latest like: the notification's time moves back to the latest of the others
        expect(await unlike(49)).toBe('changed');
        expect(wholeReads.count).toBeGreaterThan(0);
        expect((await store.notifications.get('like-1'))?.updatedAt).toBe(at(48));
        for (let i = 40; i < 48; i++) await unlike(i);
        // the last actor takes the notification with it
        expect(await unlike(48)).toBe('removed');
        expect(await store.notifications.get('like-1')).toBeUndefined();
        const { docs, sets } = await stored(prefix, 'notifications');
        expect(docs).toEqual([]);
        expect(sets).toEqual({});
        expect(await connection.exists(`notifications_test:${prefix}:notifications:actors:like-1`)).toBe(0);
      } finally {
        await connection.quit();
      }
    });

    it('reads a notification stored whole, as before its actors had a hash of their own, and moves its actors there at its next write', async () => {
      const prefix = freshPrefix();
      const store = await distributedNotificationStore(client.db('notifications_test'), redis, prefix);
      const start = `notifications_test:${prefix}:notifications:`;
      const whole: NotificationDoc = {
        ...likeOfPost1,
        actors: { ann: '2025-01-01T00:00:01.000Z', bob: '2025-01-01T00:00:02.000Z' },
        actorIds: ['ann', 'bob'],
        createdAt: '2025-01-01T00:00:01.000Z',
        updatedAt: '2025-01-01T00:00:02.000Z',
      };
      // as the single-string store wrote it: the document, and its indexes
      await redis
        .multi()
        .set(`${start}like-1`, JSON.stringify(whole))
        .sadd(`${start}index:actorIds:ann`, 'like-1')
        .sadd(`${start}index:actorIds:bob`, 'like-1')
        .sadd(`${start}index:postId:1`, 'like-1')
        .sadd(`${start}index:postAuthorId:author`, 'like-1')
        .zadd(`${start}by-update-time:author`, Date.parse(whole.updatedAt), 'like-1')
        .exec();
      expect(await store.notifications.get('like-1')).toEqual(whole);
      expect(await store.notifications.addActor(likeOfPost1, 'cat', '2025-01-01T00:00:03.000Z', false)).toBe(
        true,
      );
      expect(await store.notifications.get('like-1')).toEqual({
        ...whole,
        actors: { ...whole.actors, cat: '2025-01-01T00:00:03.000Z' },
        actorIds: ['ann', 'bob', 'cat'],
        updatedAt: '2025-01-01T00:00:03.000Z',
      });
      expect(JSON.parse((await redis.get(`${start}like-1`)) as string)).not.toHaveProperty('actors');
      expect(await redis.hgetall(`${start}actors:like-1`)).toEqual({
        ann: '2025-01-01T00:00:01.000Z',
        bob: '2025-01-01T00:00:02.000Z',
        cat: '2025-01-01T00:00:03.000Z',
      });
      const { docs, sets } = await stored(prefix, 'notifications');
      expect(sets).toEqual(indexOf(docs, indexedFields.notifications));
    });

    it('lands every change two instances of the service make to one notification at once', async () => {
      const prefix = freshPrefix();
      const [one, two] = [new Redis(redisUrl as string), new Redis(redisUrl as string)];
      const [first, second] = await Promise.all([
        MongoClient.connect(mongoUrl as string),
        MongoClient.connect(mongoUrl as string),
      ]);
      try {
        const instances = [
          await distributedNotificationStore(first.db('notifications_test'), one, prefix),
          await distributedNotificationStore(second.db('notifications_test'), two, prefix),
        ];
        const fans = Array.from({ length: 20 }, (_, i) => `fan${i}`);
        await Promise.all(
          fans.map((fan, i) =>
            instances[i % 2]?.notifications.addActor(
              likeOfPost1,
              fan,
              `2025-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
              false,
            ),
          ),
        );
        const stored = await instances[0]?.notifications.get('like-1');
        expect(stored?.actorIds).toEqual([...fans].sort());
        expect(stored?.updatedAt).toBe('2025-01-01T00:00:19.000Z');
      } finally {
        await Promise.all([one.quit(), two.quit(), first.close(), second.close()]);
      }
    });

    describe('a document written without reading it first', () => {
      const post = (rev: number, mentions: string[]) => ({
        _id: 'post-1',
        rev,
        authorId: 'author',
        photo: '',
        mentions,
        mentionedAt: '2025-01-01T00:00:00.000Z',
        deleted: false,
      });
      /** This instance and another on the same prefix, each on a connection of its own. */
      const twoInstances = async () => {
        const prefix = freshPrefix();
        const [mine, theirs] = [new Redis(redisUrl as string), new Redis(redisUrl as string)];
        const db = client.db('notifications_test');
        return {
          store: await distributedNotificationStore(db, mine, prefix),
          elsewhere: await distributedNotificationStore(db, theirs, prefix),
          reads: vi.spyOn(mine, 'get'),
          close: () => Promise.all([mine.quit(), theirs.quit()]),
        };
      };

      it('makes a new document, and changes one another instance changed since, without a read: the refused write answers what is stored', async () => {
        const { store, elsewhere, reads, close } = await twoInstances();
        try {
          await store.posts.update('post-1', () => post(0, ['ann']));
          await elsewhere.posts.update('post-1', (current) => post(0, [...(current?.mentions ?? []), 'bob']));
          const changed = await store.posts.update('post-1', (current) =>
            post(0, [...(current?.mentions ?? []), 'cat']),
          );
          expect(reads).not.toHaveBeenCalled();
          expect(changed).toEqual({
            before: post(0, ['ann', 'bob']),
            after: post(0, ['ann', 'bob', 'cat']),
            changed: true,
          });
          expect(await elsewhere.posts.get('post-1')).toEqual(post(0, ['ann', 'bob', 'cat']));
        } finally {
          await close();
        }
      });

      it('reads the document before answering that a deletion leaves it as it is, since it guessed there was none', async () => {
        const { store, elsewhere, reads, close } = await twoInstances();
        try {
          await elsewhere.posts.update('post-1', () => post(0, ['ann']));
          const deleted = await store.posts.update('post-1', () => undefined);
          expect(reads).toHaveBeenCalledTimes(1);
          expect(deleted).toEqual({ before: post(0, ['ann']), after: undefined, changed: true });
          expect(await elsewhere.posts.get('post-1')).toBeUndefined();
        } finally {
          await close();
        }
      });
    });

    notificationRules(async () => {
      const prefix = freshPrefix();
      return distributedNotificationStore(client.db('notifications_test'), redis, prefix);
    });
  },
);
