import { randomUUID } from 'node:crypto';
import { type Db, MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectServer } from '../src/inject.js';

const mongoUrl = injectServer('mongoUrl');

interface Profile {
  _id: string;
  userName: string;
  followers?: number;
  rev?: number;
}

describe.skipIf(mongoUrl === undefined)('the MongoDB-protocol test server', () => {
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = new MongoClient(mongoUrl ?? '');
    // Other test files share the server: this file works in its own database.
    db = client.db(`smoke_${randomUUID().replaceAll('-', '')}`);
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('rejects a duplicate of a unique index with error code 11000', async () => {
    const profiles = db.collection<Profile>('unique_profiles');
    await profiles.createIndex({ userName: 1 }, { unique: true });
    await profiles.insertOne({ _id: 'u1', userName: 'ada' });

    const duplicate = profiles.insertOne({ _id: 'u2', userName: 'ada' });

    await expect(duplicate).rejects.toBeInstanceOf(MongoServerError);
    await expect(duplicate).rejects.toMatchObject({ code: 11000 });
    expect(await profiles.countDocuments()).toBe(1);
  });

  it('upserts: the first update inserts, the next one updates the same document', async () => {
    const profiles = db.collection<Profile>('upsert_profiles');

    const first = await profiles.updateOne({ _id: 'u1' }, { $set: { userName: 'ada' } }, { upsert: true });
    const second = await profiles.updateOne({ _id: 'u1' }, { $set: { userName: 'ada_l' } }, { upsert: true });

    expect(first).toMatchObject({ upsertedCount: 1, upsertedId: 'u1' });
    expect(second).toMatchObject({ upsertedCount: 0, matchedCount: 1, modifiedCount: 1 });
    expect(await profiles.find().toArray()).toEqual([{ _id: 'u1', userName: 'ada_l' }]);
  });

  it('$inc creates a missing counter and adds to an existing one', async () => {
    const profiles = db.collection<Profile>('counter_profiles');
    await profiles.insertOne({ _id: 'u1', userName: 'ada' });

    await profiles.updateOne({ _id: 'u1' }, { $inc: { followers: 1 } });
    await profiles.updateOne({ _id: 'u1' }, { $inc: { followers: 1 } });
    await profiles.updateOne({ _id: 'u1' }, { $inc: { followers: -1 } });

    expect(await profiles.findOne({ _id: 'u1' })).toEqual({ _id: 'u1', userName: 'ada', followers: 1 });
  });

  it('a revision-guarded update applies once and ignores a redelivery', async () => {
    const profiles = db.collection<Profile>('guarded_profiles');
    await profiles.insertOne({ _id: 'u1', userName: 'ada', followers: 0, rev: 0 });
    const apply = (rev: number) =>
      profiles.updateOne({ _id: 'u1', rev: { $lt: rev } }, { $inc: { followers: 1 }, $set: { rev } });

    expect((await apply(1)).modifiedCount).toBe(1);
    expect((await apply(1)).modifiedCount).toBe(0);

    expect(await profiles.findOne({ _id: 'u1' })).toMatchObject({ followers: 1, rev: 1 });
  });

  it('bulkWrite applies inserts, updates, upserts, replaces and deletes in one ordered batch', async () => {
    const profiles = db.collection<Profile>('bulk_profiles');
    await profiles.insertMany([
      { _id: 'u1', userName: 'ada', followers: 0 },
      { _id: 'u2', userName: 'alan', followers: 0 },
    ]);

    const result = await profiles.bulkWrite(
      [
        { insertOne: { document: { _id: 'u3', userName: 'grace', followers: 0 } } },
        { updateOne: { filter: { _id: 'u1' }, update: { $inc: { followers: 2 } } } },
        { updateOne: { filter: { _id: 'u4' }, update: { $set: { userName: 'edsger' } }, upsert: true } },
        { updateMany: { filter: { followers: 0 }, update: { $set: { rev: 1 } } } },
        { replaceOne: { filter: { _id: 'u3' }, replacement: { userName: 'grace_h', followers: 5 } } },
        { deleteOne: { filter: { _id: 'u2' } } },
      ],
      { ordered: true },
    );

    expect(result).toMatchObject({
      insertedCount: 1,
      matchedCount: 4,
      modifiedCount: 4,
      upsertedCount: 1,
      deletedCount: 1,
    });
    expect(await profiles.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'u1', userName: 'ada', followers: 2 },
      { _id: 'u3', userName: 'grace_h', followers: 5 },
      { _id: 'u4', userName: 'edsger' },
    ]);
  });
});
