import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import { toKafkaRecord } from './cloudevents.js';
import type { EventMessage, Publisher } from './messages.js';
import { streamPartitioner } from './partitioner.js';

/**
 * Messages in the CloudEvents binary format (see cloudevents.ts), as KafkaJS TopicMessages grouped by topic and
 * keyed by stream id, in the order given: Kafka keeps that order within each partition, so each stream's events
 * stay in order.
 */
export function topicMessagesOf(
  messages: readonly { topic: string; message: EventMessage }[],
): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const { topic, message } of messages) {
    let entry = byTopic.get(topic);
    if (!entry) {
      entry = { topic, messages: [] };
      byTopic.set(topic, entry);
    }
    entry.messages.push(toKafkaRecord(message));
  }
  return [...byTopic.values()];
}

/** Producer settings shared by every writer of event topics. */
export const eventProducerSettings = {
  createPartitioner: streamPartitioner,
  // Idempotence: a retried produce request cannot duplicate or reorder messages of a partition. kafkajs
  // guarantees it only with one request in flight per broker.
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
} as const;

/**
 * A Publisher over an idempotent Kafka producer: `publish` resolves once every message is acknowledged by all
 * in-sync replicas (acks = -1). The relay uses a transactional producer of its own (services/relay) because it
 * also stores its checkpoint with each batch; this one serves tests, tools and re-publishing dead letters.
 */
export class KafkaPublisher implements Publisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer(eventProducerSettings);
  }

  async publish(messages: readonly { topic: string; message: EventMessage }[]): Promise<void> {
    if (messages.length === 0) return;
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.sendBatch({ topicMessages: topicMessagesOf(messages), acks: -1 });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}
