import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History } from '../../test/history.js';
import { notificationRules, project } from '../../test/rules.js';
import { mongoNotificationStore } from './mongo.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'notifications on MongoDB (FerretDB) and Redis',
  () => {
    let client: MongoClient;
    let redis: Redis;
    const prefixes: string[] = [];
    beforeAll(async () => {
      client = await MongoClient.connect(mongoUrl as string);
      redis = new Redis(redisUrl as string);
    });
    afterAll(async () => {
      const db = client.db('notifications_test');
      for (const { name } of await db.listCollections().toArray()) {
        if (prefixes.some((prefix) => name.startsWith(prefix))) await db.dropCollection(name);
      }
      await client.close();
      await redis.quit();
    });
    it('opens on the collections and indexes an earlier start made: a restart, another instance starting at once', async () => {
      const prefix = `n${Math.floor(Math.random() * 1e9)}`;
      prefixes.push(prefix);
      const db = client.db('notifications_test');
      await mongoNotificationStore(db, redis, prefix);
      const others = await Promise.all(
        [1, 2].map(async () => {
          const other = await MongoClient.connect(mongoUrl as string);
          try {
            await mongoNotificationStore(other.db('notifications_test'), redis, prefix);
            return 'opened';
          } finally {
            await other.close();
          }
        }),
      );
      expect(others).toEqual(['opened', 'opened']);
    });

    it('lands every one of many changes of one document made at once (compare-and-set)', async () => {
      const prefix = `n${Math.floor(Math.random() * 1e9)}`;
      prefixes.push(prefix);
      const store = await mongoNotificationStore(client.db('notifications_test'), redis, prefix);
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

    it('reads a notification whose copy and index writes a crash lost once its event is delivered again', async () => {
      const prefix = `n${Math.floor(Math.random() * 1e9)}`;
      prefixes.push(prefix);
      const store = await mongoNotificationStore(client.db('notifications_test'), redis, prefix);
      const h = new History();
      const [author, fan] = [h.register('author'), h.register('fan')] as [string, string];
      h.like(h.post(author), author, fan);
      const { queries, list } = await project(store, h.events);
      const [liked] = await list(author);
      const id = liked?.id as string;
      expect(await queries.unreadCount(author)).toBe(1);
      // The crash: the notification written in MongoDB, its copy and its place in the recipient's index not.
      await redis.del(
        `notifications_test:${prefix}:by-update-time:${author}`,
        `notifications_test:${prefix}:notifications:${id}`,
      );
      expect(await queries.unreadCount(author)).toBe(0);
      expect(await queries.one(author, id)).toBeUndefined();
      await project(store, h.events.slice(-1));
      expect(await queries.unreadCount(author)).toBe(1);
      expect(await queries.one(author, id)).toEqual(liked);
    });

    notificationRules(async () => {
      const prefix = `n${Math.floor(Math.random() * 1e9)}`;
      prefixes.push(prefix);
      return mongoNotificationStore(client.db('notifications_test'), redis, prefix);
    });
  },
);
