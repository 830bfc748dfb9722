import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import yauzl from 'yauzl';

/*
 * What a system keeps, as raw as the tests can read it, to search for personal data: the files of a store as
 * they are on disk, every message of a topic from offset 0, every document of a database, every Redis value.
 * Each answers one string (latin1 for bytes), which a test searches for sentinel values.
 */

/** The bytes of `paths` (a missing file is empty), e.g. an SQLite file and its WAL. */
export function filesText(paths: readonly string[]): string {
  return paths
    .map((path) => {
      try {
        return readFileSync(path).toString('latin1');
      } catch {
        return '';
      }
    })
    .join('\n');
}

/** Each entry of a ZIP archive, inflated: its name and bytes. */
export async function zipEntries(zip: Buffer): Promise<Map<string, Buffer>> {
  const archive = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const entries = new Map<string, Buffer>();
  for await (const entry of archive.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await archive.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks));
  }
  return entries;
}

/**
 * Every file under `dir`, at any depth (a missing directory is empty), as its bytes and, for a ZIP archive (an
 * export), also its entries inflated: a search of the compressed bytes alone would miss what they hold.
 */
export async function directoryText(dir: string): Promise<string> {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return '';
  }
  const texts: string[] = [];
  for (const name of names) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, name));
    } catch {
      continue; // a directory
    }
    texts.push(bytes.toString('latin1'));
    if (bytes.subarray(0, 4).toString('latin1') === 'PK\x03\x04') {
      for (const entry of (await zipEntries(bytes)).values()) texts.push(entry.toString('latin1'));
    }
  }
  return texts.join('\n');
}

/**
 * Every message value of `topic` read from offset 0 until `count` messages keyed `key` (a stream id) were read:
 * a stream's messages share its partition, in order, so that partition was read up to them, and every value
 * the stream ever carried is among those answered.
 */
export async function topicText(
  brokers: readonly string[],
  topic: string,
  key: string,
  count: number,
): Promise<string> {
  const kafka = new Kafka({ brokers: [...brokers], clientId: 'forensics', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `forensics-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  let keyed = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(
        () => reject(new Error(`${count} messages keyed ${key} not read from ${topic}`)),
        60_000,
      );
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString('latin1') ?? '');
            if (message.key?.toString() === key && ++keyed >= count) {
              clearTimeout(timeout);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return values.join('\n');
  } finally {
    await consumer.disconnect();
  }
}

/** Every document of every collection of the database `name`. */
export async function databaseText(url: string, name: string): Promise<string> {
  const client = await MongoClient.connect(url);
  try {
    const db = client.db(name);
    const texts: string[] = [];
    for (const { name: collection } of await db.listCollections().toArray()) {
      texts.push(JSON.stringify(await db.collection(collection).find({}).toArray()));
    }
    return texts.join('\n');
  } finally {
    await client.close();
  }
}

/** Every key and value of the Redis at `url` (strings, hashes, sets, sorted sets, lists). */
export async function redisText(url: string): Promise<string> {
  const redis = new Redis(url);
  try {
    const texts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? await redis.hgetall(key)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, 0, -1)
                  : type === 'list'
                    ? await redis.lrange(key, 0, -1)
                    : null;
        texts.push(`${key} ${JSON.stringify(value)}`);
      }
      cursor = next;
    } while (cursor !== '0');
    return texts.join('\n');
  } finally {
    redis.disconnect();
  }
}
