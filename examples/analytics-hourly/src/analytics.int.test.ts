import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { startHourlyAnalytics } from './consumer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers?: string[];
  }
}

const brokers = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS?.split(',').filter(Boolean);

interface MessageDoc {
  headers: { required: string[]; properties: Record<string, { const?: string }> };
  payload: Record<string, unknown>;
}
const asyncapi = parse(
  readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'asyncapi.yaml'), 'utf8'),
) as {
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  components: { messages: Record<string, MessageDoc> };
};
const ajv = new Ajv({ strict: false, validateFormats: false });

/**
 * A message exactly as docs/asyncapi.yaml describes one, built by hand: the constant headers from the document,
 * the others filled in; the test checks it against the document's header and payload schemas before sending.
 */
function cloudEvent(
  type: string,
  streamId: string,
  revision: number,
  time: string,
  payload: Record<string, unknown>,
) {
  const doc = asyncapi.components.messages[type] as MessageDoc;
  const fixed = Object.fromEntries(
    Object.entries(doc.headers.properties).flatMap(([name, schema]) =>
      schema.const ? [[name, schema.const]] : [],
    ),
  );
  const headers: Record<string, string> = {
    ...fixed,
    ce_id: randomUUID(),
    ce_time: time,
    ce_streamid: streamId,
    ce_streamrevision: String(revision),
    ce_position: String(revision + 1),
  };
  expect(ajv.validate(doc.headers, headers), JSON.stringify(ajv.errors)).toBe(true);
  expect(ajv.validate(doc.payload, payload), JSON.stringify(ajv.errors)).toBe(true);
  return { key: streamId, value: JSON.stringify(payload), headers };
}

const topicOf = (type: string) =>
  Object.values(asyncapi.channels).find((c) => Object.keys(c.messages).includes(type))?.address as string;

describe.skipIf(!brokers?.length)('hourly analytics against real Kafka', () => {
  it('counts posts, likes and follows per hour from messages produced by the contract, each once', async () => {
    const kafka = new Kafka({
      clientId: 'analytics-test',
      brokers: brokers ?? [],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const wanted = ['PostCreated', 'PostLiked', 'UserFollowed'].map(topicOf);
    await admin.createTopics({
      topics: wanted.filter((t) => !existing.has(t)).map((topic) => ({ topic, numPartitions: 3 })),
    });
    await admin.disconnect();

    // Hours of a year no other test writes to: the topics are shared with the other tests of the run.
    const hour10 = '2031-05-01T10:';
    const hour11 = '2031-05-01T11:';
    const authorId = randomUUID();
    const postId = randomUUID();
    const post = cloudEvent('PostCreated', `post-${postId}`, 0, `${hour10}05:00.000Z`, {
      postId,
      authorId,
      photo: 'https://cdn.example.com/p.jpg',
      caption: 'hello',
      createdAt: `${hour10}05:00.000Z`,
    });
    const likes = Array.from({ length: 3 }, (_, i) => {
      const userId = randomUUID();
      const at = `${i < 2 ? hour10 : hour11}1${i}:00.000Z`;
      return cloudEvent('PostLiked', `like-${postId}_${userId}`, 0, at, {
        postId,
        userId,
        postAuthorId: authorId,
        likedAt: at,
      });
    });
    const followerId = randomUUID();
    const followedAt = `${hour11}30:00.000Z`;
    const follow = cloudEvent('UserFollowed', `follow-${followerId}_${authorId}`, 0, followedAt, {
      followerId,
      followeeId: authorId,
      followedAt,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.sendBatch({
      topicMessages: [
        { topic: topicOf('PostCreated'), messages: [post] },
        // The first like is delivered twice, as at-least-once delivery allows.
        { topic: topicOf('PostLiked'), messages: [...likes, likes[0] as (typeof likes)[number]] },
        { topic: topicOf('UserFollowed'), messages: [follow] },
      ],
    });
    await producer.disconnect();

    const analytics = await startHourlyAnalytics({
      brokers: brokers ?? [],
      groupId: `analytics-test-${randomUUID()}`,
    });
    try {
      const ours = () => analytics.counts.table().filter((row) => row.hour.startsWith('2031-05-01'));
      const deadline = Date.now() + 60_000;
      while (ours().reduce((n, r) => n + r.posts + r.likes + r.follows, 0) < 5 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ours()).toEqual([
        { hour: '2031-05-01T10:00:00.000Z', posts: 1, likes: 2, follows: 0 },
        { hour: '2031-05-01T11:00:00.000Z', posts: 0, likes: 1, follows: 1 },
      ]);
    } finally {
      await analytics.stop();
    }
  });
});
