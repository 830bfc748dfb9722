import { randomUUID } from 'node:crypto';
import { createKafka, silentLogger } from '@gram/messaging';
import type { IHeaders, Kafka } from 'kafkajs';
import { inject } from 'vitest';
import '@gram/test-servers';

/** The real Kafka of the int project's global setup (or KAFKA_BROKERS); undefined when none runs. */
export function testBrokers(): string[] | undefined {
  const injected = inject('kafkaBrokers');
  if (injected?.length) return injected;
  return process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
}

export function testKafka(brokers: string[], clientId = `test-${randomUUID().slice(0, 8)}`): Kafka {
  return createKafka({ brokers, clientId, logger: silentLogger });
}

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** The current end of every partition of `topics`: where messages written from now on will start. */
export async function topicEnds(kafka: Kafka, topics: readonly string[]): Promise<Map<string, string[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, string[]>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(
        topic,
        offsets.sort((a, b) => a.partition - b.partition).map((p) => p.high),
      );
    }
    return ends;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topics` from the beginning (or from `from`, as `topicEnds` gave it) with a fresh consumer group until `done(messages)` holds, then for `quietMs`
 * more (to catch anything unexpected after the last expected message, such as a duplicate), or fails after
 * `timeoutMs`. read_committed unless `readUncommitted`.
 */
export async function readTopics(
  kafka: Kafka,
  options: {
    topics: readonly string[];
    done: (messages: readonly ReadMessage[]) => boolean;
    quietMs?: number;
    timeoutMs?: number;
    readUncommitted?: boolean;
    from?: Map<string, string[]>;
  },
): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({
    groupId: `test-reader-${randomUUID()}`,
    readUncommitted: options.readUncommitted ?? false,
    maxWaitTimeInMs: 200,
  });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headerStrings(message.headers),
        });
      },
    });
    for (const [topic, offsets] of options.from ?? []) {
      offsets.forEach((offset, partition) => {
        consumer.seek({ topic, partition, offset });
      });
    }
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (!options.done(messages)) {
      if (Date.now() > deadline) {
        throw new Error(
          `readTopics: condition not met after ${options.timeoutMs ?? 60_000} ms (${messages.length} read)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, options.quietMs ?? 500));
    return messages;
  } finally {
    await consumer.disconnect();
  }
}
