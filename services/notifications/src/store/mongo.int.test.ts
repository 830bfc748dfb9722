import { injectServer } from '@gram/test-servers/inject';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe } from 'vitest';
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
  notificationRules(async () => {
    const prefix = `n${Math.floor(Math.random() * 1e9)}`;
    prefixes.push(prefix);
    return mongoNotificationStore(client.db('notifications_test'), prefix);
  });
});
