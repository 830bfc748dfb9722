import { randomUUID } from 'node:crypto';
import { ensureTopics } from '@gram/messaging';
import { describe, expect, it } from 'vitest';
import { testBrokers, testKafka } from '../test/kafka.js';
import { checkpointMessages, readCheckpoint } from './checkpoint.js';
import { coordinationTopicSpecs, relayCoordinates } from './topics.js';

const brokers = testBrokers();

describe.skipIf(!brokers)('relay checkpoint in Kafka', () => {
  it('is absent for a new relay, then the position of the last committed transaction, past aborted ones', async () => {
    const kafka = testKafka(brokers ?? []);
    const name = `test-relay-${randomUUID().slice(0, 8)}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, coordinationTopicSpecs(name));
    await admin.disconnect();
    expect(await readCheckpoint(kafka, name)).toBeUndefined();

    const producer = kafka.producer({
      transactionalId: relayCoordinates(name).transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 1, multiplier: 1.5, retries: 30 },
    });
    await producer.connect();
    const write = async (position: number, outcome: 'commit' | 'abort') => {
      const transaction = await producer.transaction();
      await transaction.sendBatch({ topicMessages: [checkpointMessages(name, position)], acks: -1 });
      await (outcome === 'commit' ? transaction.commit() : transaction.abort());
    };
    await write(41, 'commit');
    await write(42, 'commit');
    // More aborted attempts (a record and a marker each) than the first window of the tail holds.
    for (let i = 0; i < 40; i++) await write(1_000 + i, 'abort');
    await producer.disconnect();

    expect(await readCheckpoint(kafka, name)).toBe(42);
  });
});
