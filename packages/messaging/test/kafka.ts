import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { inject } from 'vitest';
import '@gram/test-servers';
import { createKafka } from '../src/kafka-client.js';
import { silentLogger } from '../src/logger.js';
import type { EventMessage } from '../src/messages.js';
import { ensureTopics } from '../src/topics.js';

/** The real Kafka of the int project's global setup (or KAFKA_BROKERS); undefined when none runs. */
export function testBrokers(): string[] | undefined {
  const injected = inject('kafkaBrokers');
  if (injected?.length) return injected;
  return process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
}

export function testKafka(brokers: string[]): Kafka {
  return createKafka({ brokers, clientId: `test-${randomUUID().slice(0, 8)}`, logger: silentLogger });
}

/** A fresh topic per test: other test files use the same broker at the same time. */
export async function freshTopic(kafka: Kafka, partitions = 3): Promise<string> {
  const topic = `test.messaging.${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: partitions }]);
  await admin.disconnect();
  return topic;
}

export function eventMessage(streamId: string, streamRevision: number, position = 0): EventMessage {
  return {
    id: randomUUID(),
    type: 'PostLiked',
    version: 1,
    streamId,
    streamRevision,
    position,
    time: new Date().toISOString(),
    data: { n: streamRevision },
  };
}

export async function eventually(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
