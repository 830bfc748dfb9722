import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { MongoDocuments, type MongoServer } from './mongo-documents.js';
import type { NotificationStore } from './port.js';
import { RedisCachedDocuments } from './redis-cached.js';
import { RedisDocuments } from './redis-documents.js';
import { RedisNotifications } from './redis-notifications.js';

/**
 * The notifications read model of the distributed mode. Every document an event makes is in Redis, under
 * `<database>:<prefix>:<kind>:` (RedisDocuments, RedisNotifications): a like, a follow or a comment costs one
 * compare-and-set script per document it writes and no MongoDB operation, where FerretDB, the largest consumer
 * of the cores under load, spent a SQLite transaction on each read and write of a notification. Those documents
 * are rebuilt from the log. The read markers are not (no event makes them): they stay in MongoDB, in the
 * collection `<prefix>_marks`, read through a copy in Redis (RedisCachedDocuments).
 */
export async function distributedNotificationStore(
  db: Db,
  redis: Redis,
  prefix = 'notifications',
): Promise<NotificationStore> {
  const server: MongoServer = {
    ferretDb: 'ferretdbFeatures' in (await db.admin().command({ buildInfo: 1 })),
  };
  const keyed = (kind: string) => `${db.databaseName}:${prefix}:${kind}:`;
  return {
    accounts: new RedisDocuments(redis, keyed('accounts')),
    posts: new RedisDocuments(redis, keyed('posts')),
    comments: new RedisDocuments(redis, keyed('comments')),
    replies: new RedisDocuments(redis, keyed('replies'), ['commentId']),
    likes: new RedisDocuments(redis, keyed('likes')),
    edges: new RedisDocuments(redis, keyed('edges'), ['from', 'to']),
    marks: new RedisCachedDocuments(
      new MongoDocuments(db.collection(`${prefix}_marks`), server),
      redis,
      keyed('marks'),
    ),
    notifications: new RedisNotifications(redis, keyed('notifications')),
  };
}
