import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectServer } from '../src/inject.js';

const kafkaBrokers = injectServer('kafkaBrokers');

interface Received {
  key: string;
  seq: number;
  partition: number;
}

describe.skipIf(kafkaBrokers === undefined)('the Kafka test server', () => {
  const kafka = new Kafka({
    clientId: 'test-servers-smoke',
    brokers: kafkaBrokers ?? [],
    logLevel: logLevel.WARN,
  });
  // Other test files share the broker: this file's topics and groups have names of their own.
  const topics: string[] = [];
  let admin: Admin;

  async function createTopic(): Promise<string> {
    const topic = `smoke-${randomUUID()}`;
    topics.push(topic);
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    return topic;
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
  });

  it('creates a topic with 3 partitions through the admin API', async () => {
    const topic = await createTopic();

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });

    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers every message of an idempotent producer once to a consumer group, in order per key', async () => {
    const topic = await createTopic();
    const keys = Array.from({ length: 12 }, (_, i) => `post-${i}`);
    const perKey = 20;
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      // Interleaved keys, several batches: order within a key must survive batching and partitioning.
      for (let seq = 0; seq < perKey; seq++) {
        await producer.send({
          topic,
          messages: keys.map((key) => ({ key, value: JSON.stringify({ seq }) })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const total = keys.length * perKey;

    const received: Received[] = [];
    // disconnect() waits for the fetch in flight, which idles up to maxWaitTimeInMs (5s by default).
    const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const { seq } = JSON.parse(message.value?.toString() ?? '{}') as { seq: number };
          received.push({ key: message.key?.toString() ?? '', seq, partition });
        },
      });
      const deadline = Date.now() + 60_000;
      while (received.length < total && Date.now() < deadline) await sleep(100);
      // Linger: a duplicate delivered after the last new message would show up here.
      await sleep(1_000);
    } finally {
      await consumer.disconnect();
    }

    expect(received).toHaveLength(total);
    const ids = new Set(received.map(({ key, seq }) => `${key}#${seq}`));
    expect(ids.size).toBe(total);
    for (const key of keys) {
      const ofKey = received.filter((message) => message.key === key);
      expect(ofKey.map((message) => message.seq)).toEqual(Array.from({ length: perKey }, (_, seq) => seq));
      expect(new Set(ofKey.map((message) => message.partition)).size).toBe(1);
    }
    // Keys are spread over the partitions, so the order above held across more than one of them.
    expect(new Set(received.map((message) => message.partition)).size).toBeGreaterThan(1);
  });
});
