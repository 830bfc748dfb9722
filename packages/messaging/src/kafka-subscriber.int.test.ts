import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventMessage, eventually, freshTopic, testBrokers, testKafka } from '../test/kafka.js';
import { deadLetterTopicOf } from './dead-letters.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { KafkaSubscriber, type KafkaSubscriberOptions } from './kafka-subscriber.js';
import { silentLogger } from './logger.js';
import type { EventMessage } from './messages.js';

const brokers = testBrokers();

describe.skipIf(!brokers)('Kafka subscriber against real Kafka', () => {
  const kafka = testKafka(brokers ?? []);
  const closing: { stop?: () => Promise<void>; close?: () => Promise<void> }[] = [];
  const subscriber = (options: Partial<KafkaSubscriberOptions> = {}) => {
    const created = new KafkaSubscriber({ kafka, logger: silentLogger, shutdownSignals: [], ...options });
    closing.push(created);
    return created;
  };
  const publisher = () => {
    const created = new KafkaPublisher(kafka);
    closing.push(created);
    return created;
  };

  afterEach(async () => {
    for (const c of closing.splice(0).reverse()) await (c.stop ?? c.close)?.call(c);
  });

  it("hands each stream's messages to the handler in order, one at a time per partition", async () => {
    const topic = await freshTopic(kafka);
    const streams = Array.from({ length: 12 }, (_, i) => `like-${i}`);
    const seen = new Map<string, number[]>();
    const inFlight = new Set<number>();
    let overlapped = false;
    const consumer = subscriber({ partitionsConsumedConcurrently: 3 });
    await consumer.subscribe({
      groupId: `g-${randomUUID()}`,
      topics: [topic],
      handler: async (m) => {
        const partition = Number((m.data as { partition: number }).partition);
        if (inFlight.has(partition)) overlapped = true;
        inFlight.add(partition);
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.set(m.streamId, [...(seen.get(m.streamId) ?? []), m.streamRevision]);
        inFlight.delete(partition);
      },
    });
    const { partitionOf } = await import('./partitioner.js');
    const messages: { topic: string; message: EventMessage }[] = [];
    for (let revision = 0; revision < 25; revision++) {
      for (const stream of streams) {
        messages.push({
          topic,
          message: { ...eventMessage(stream, revision), data: { partition: partitionOf(stream, 3) } },
        });
      }
    }
    await publisher().publish(messages);
    await eventually(() => [...seen.values()].reduce((n, r) => n + r.length, 0) === 300);
    for (const stream of streams) expect(seen.get(stream), stream).toEqual([...Array(25).keys()]);
    expect(overlapped).toBe(false);
  });

  it('hands runs of a partition to the batch handler in offset order; a run that fails for good goes through the one-message handler, so only the poisoned message is dead-lettered', async () => {
    const topic = await freshTopic(kafka, 1);
    const groupId = `g-${randomUUID()}`;
    const batches: number[][] = [];
    const one: number[] = [];
    const consumer = subscriber({
      maxBatchSize: 10,
      retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 20 },
    });
    await consumer.subscribe({
      groupId,
      topics: [topic],
      handler: async (m) => {
        if (m.streamRevision === 13) throw new Error('projection refused it');
        one.push(m.streamRevision);
      },
      batchHandler: async (messages) => {
        const revisions = messages.map((m) => m.streamRevision);
        if (revisions.includes(13)) throw new Error('projection refused one of them');
        batches.push(revisions);
      },
    });
    await publisher().publish(
      Array.from({ length: 30 }, (_, i) => ({ topic, message: eventMessage('s', i) })),
    );
    const dlq: number[] = [];
    const reader = subscriber();
    await reader.subscribe({
      groupId: `dlq-${randomUUID()}`,
      topics: [deadLetterTopicOf(topic)],
      handler: async (m) => void dlq.push(m.streamRevision),
    });
    await eventually(() => dlq.length === 1 && batches.flat().length + one.length === 29);
    expect(batches.every((run) => run.length <= 10)).toBe(true);
    // The run holding the poisoned message went one at a time; every other run went whole, all in order.
    expect([...batches.flat(), ...one].sort((a, b) => a - b)).toEqual(
      [...Array(30).keys()].filter((r) => r !== 13),
    );
    expect(one.length).toBeGreaterThan(0);
    expect(Math.max(...one, 13) - Math.min(...one, 13)).toBeLessThan(10);
    expect(batches.flat()).toEqual([...batches.flat()].sort((a, b) => a - b));
    expect(dlq).toEqual([13]);
  });

  it('resumes a group after the last message it handled: a restart neither loses nor repeats committed work', async () => {
    const topic = await freshTopic(kafka, 1);
    const groupId = `g-${randomUUID()}`;
    await publisher().publish(
      Array.from({ length: 100 }, (_, i) => ({ topic, message: eventMessage('s', i) })),
    );
    const first: number[] = [];
    const one = subscriber({ commitIntervalMs: 0 });
    await one.subscribe({
      groupId,
      topics: [topic],
      handler: async (m) => {
        first.push(m.streamRevision);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    await eventually(() => first.length >= 30);
    await one.stop();

    const second: number[] = [];
    const two = subscriber();
    await two.subscribe({
      groupId,
      topics: [topic],
      handler: async (m) => void second.push(m.streamRevision),
    });
    await eventually(() => first.length + second.length >= 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...first, ...second]).toEqual([...Array(100).keys()]);
  });

  it('retries a failing handler, then dead-letters the message to <topic>.dlq with why, logs it, and moves on', async () => {
    const topic = await freshTopic(kafka, 1);
    const logged: { fields: Record<string, unknown>; line: string }[] = [];
    const consumer = subscriber({
      retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 },
      logger: { ...silentLogger, error: (fields, line) => void logged.push({ fields, line }) },
    });
    const groupId = `g-${randomUUID()}`;
    const attempts = new Map<number, number>();
    const handled: number[] = [];
    await consumer.subscribe({
      groupId,
      topics: [topic],
      handler: async (m) => {
        attempts.set(m.streamRevision, (attempts.get(m.streamRevision) ?? 0) + 1);
        if (m.streamRevision === 1) throw new Error('projection refused it');
        if (m.streamRevision === 2 && (attempts.get(2) ?? 0) < 2) throw new Error('transient');
        handled.push(m.streamRevision);
      },
    });
    const poison = eventMessage('post-1', 1);
    await publisher().publish(
      [0, 1, 2, 3].map((r) => ({ topic, message: r === 1 ? poison : eventMessage('post-1', r) })),
    );
    // A message that is not a CloudEvent at all cannot succeed on retry: dead-lettered at once.
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [{ key: 'post-1', value: 'not json', headers: { source: 'elsewhere' } }],
    });
    await raw.disconnect();

    await eventually(() => logged.length === 2);
    expect(handled).toEqual([0, 2, 3]);
    expect(attempts.get(1)).toBe(3);
    expect(logged[0]?.line).toBe(
      `dead-lettered PostLiked ${poison.id} (post-1@1) at ${topic}[0]@1 for group ${groupId} to ${topic}.dlq after 3 failed attempts: projection refused it`,
    );
    expect(logged[1]?.line).toMatch(
      /^dead-lettered message at .*\[0\]@4 .* without retrying, it is malformed: header ce_specversion is missing$/,
    );

    const dlq: { key: string; value: string; headers: Record<string, string> }[] = [];
    const reader = kafka.consumer({ groupId: `r-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: deadLetterTopicOf(topic), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        dlq.push({ key: String(message.key), value: String(message.value), headers });
      },
    });
    await eventually(() => dlq.length === 2);
    await reader.disconnect();
    expect(dlq[0]).toMatchObject({
      key: 'post-1',
      value: JSON.stringify(poison.data),
      headers: {
        ce_id: poison.id,
        ce_type: 'PostLiked',
        dlq_error: 'projection refused it',
        dlq_original_topic: topic,
        dlq_original_partition: '0',
        dlq_original_offset: '1',
        dlq_group_id: groupId,
        dlq_attempts: '3',
      },
    });
    expect(dlq[1]).toMatchObject({ value: 'not json', headers: { source: 'elsewhere', dlq_attempts: '0' } });
  });

  it('retries a failure the subscription calls transient past maxAttempts, holding the partition, and dead-letters nothing', async () => {
    const topic = await freshTopic(kafka, 1);
    const warned: Record<string, unknown>[] = [];
    const deadLettered: string[] = [];
    const consumer = subscriber({
      retry: { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 40 },
      logger: {
        ...silentLogger,
        warn: (fields) => void warned.push(fields),
        error: (_fields, line) => void deadLettered.push(line),
      },
    });
    class Unreachable extends Error {}
    let outage = 8; // failed calls before the store is back: four times maxAttempts
    const handled: number[] = [];
    await consumer.subscribe({
      groupId: `g-${randomUUID()}`,
      topics: [topic],
      isTransient: (error) => error instanceof Unreachable,
      handler: async (m) => {
        if (outage > 0) {
          outage--;
          throw new Unreachable('store unreachable');
        }
        handled.push(m.streamRevision);
      },
    });
    await publisher().publish([0, 1, 2].map((r) => ({ topic, message: eventMessage('post-1', r) })));

    await eventually(() => handled.length === 3);
    expect(handled).toEqual([0, 1, 2]);
    expect(deadLettered).toEqual([]);
    expect(warned).toHaveLength(8);
    expect(warned.every((fields) => fields.transient === true && fields.offset === '0')).toBe(true);
  });

  it('on SIGTERM finishes the message in progress, commits it and exits', async () => {
    const topic = await freshTopic(kafka, 1);
    const groupId = `g-${randomUUID()}`;
    await publisher().publish(
      Array.from({ length: 5 }, (_, i) => ({ topic, message: eventMessage('s', i) })),
    );
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '..', 'test', 'sigterm-worker.ts')],
      {
        cwd: join(import.meta.dirname, '..', '..', '..'),
        env: { ...process.env, KAFKA_BROKERS: (brokers ?? []).join(','), TOPIC: topic, GROUP: groupId },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    worker.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    await eventually(() => output.includes('handling 1'), 60_000);
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('handled 1');
    expect(output).not.toContain('handling 2');

    const admin = kafka.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    // The next message to read is 2: 0 and 1 were handled and committed, nothing after them was started.
    expect(offsets?.partitions[0]?.offset).toBe('2');
  });
});
