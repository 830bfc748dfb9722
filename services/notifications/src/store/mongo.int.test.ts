import { injectServer } from '@gram/test-servers/inject';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationRules } from '../../test/rules.js';
import { mongoNotificationStore } from './mongo.js';

const mongoUrl = injectServer('mongoUrl');

describe.skipIf(mongoUrl === undefined)('notifications on MongoDB (FerretDB)', () => {
  let client: MongoClient;
  const prefixes: string[] = [];
  beforeAll(async () => {
    client = await MongoClient.connect(mongoUrl as string);
  });
  afterAll(async () => {
    const db = client.db('notifications_test');
    for (const { name } of await db.listCollections().toArray()) {
      if (prefixes.some((prefix) => name.startsWith(prefix))) await db.dropCollection(name);
    }
    await client.close();
  });
  it('opens on the collections and indexes an earlier start made: a restart, another instance starting at once', async () => {
    const prefix = `n${Math.floor(Math.random() * 1e9)}`;
    prefixes.push(prefix);
    const db = client.db('notifications_test');
    await mongoNotificationStore(db, prefix);
    const others = await Promise.all(
      [1, 2].map(async () => {
        const other = await MongoClient.connect(mongoUrl as string);
        try {
          await mongoNotificationStore(other.db('notifications_test'), prefix);
          return 'opened';
        } finally {
          await other.close();
        }
      }),
    );
    expect(others).toEqual(['opened', 'opened']);
  });

  notificationRules(async () => {
    const prefix = `n${Math.floor(Math.random() * 1e9)}`;
    prefixes.push(prefix);
    return mongoNotificationStore(client.db('notifications_test'), prefix);
  });
});
