import { randomUUID } from 'node:crypto';
import type { Kafka, TopicMessages } from 'kafkajs';
import { relayCoordinates } from './topics.js';

/**
 * The relay's checkpoint: the global position of the last event it has published, kept in Kafka as one record per
 * transaction on the relay's own compacted topic (`<name>.checkpoint`, one partition, key = relay name). It is
 * written in the same transaction as the batch it covers, in the same produce request, so:
 * - the batch and its checkpoint become visible together or not at all: a crash at any point leaves the last
 *   committed checkpoint exactly at the end of the last committed batch, and a successor re-publishes nothing a
 *   read_committed consumer has seen;
 * - the transactional id fences it too: a zombie relay can no more move the checkpoint than publish;
 * - it works the same over every event store (SQLite positions or KurrentDB commit positions);
 * - compaction keeps the newest record for ever, however long the relay is idle.
 * Writing it costs nothing extra per transaction: the record rides in the batch's produce request (committing
 * consumer-group offsets instead would add two round trips to every transaction).
 */
export function checkpointMessages(name: string, position: number): TopicMessages {
  return {
    topic: relayCoordinates(name).checkpointTopic,
    messages: [{ key: name, value: JSON.stringify({ position }), partition: 0 }],
  };
}

/**
 * The last committed checkpoint, read after the caller has fenced every earlier producer (so no transaction is
 * open and the end of the topic is final): the committed records of the topic's tail, read with read_committed,
 * newest one wins. The tail is widened until it holds a committed record (aborted attempts and commit markers
 * take offsets too) or reaches the start of the log.
 */
export async function readCheckpoint(kafka: Kafka, name: string): Promise<number | undefined> {
  const { checkpointTopic } = relayCoordinates(name);
  const admin = kafka.admin();
  await admin.connect();
  let low: number;
  let end: number;
  try {
    const [partition] = await admin.fetchTopicOffsets(checkpointTopic);
    low = Number(partition?.low ?? 0);
    end = Number(partition?.high ?? 0);
  } finally {
    await admin.disconnect();
  }
  for (let window = 64; end > low; window *= 16) {
    const from = Math.max(low, end - window);
    const position = await lastCommittedPosition(kafka, checkpointTopic, from, end);
    if (position !== undefined || from === low) return position;
  }
  return undefined;
}

/** Reads [from, end) of the topic's only partition; the position in its last committed record. */
async function lastCommittedPosition(
  kafka: Kafka,
  topic: string,
  from: number,
  end: number,
): Promise<number | undefined> {
  // kafkajs reads only through a consumer group: a throwaway one, which never commits an offset.
  const consumer = kafka.consumer({
    groupId: `${topic}.reader-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  let position: number | undefined;
  let reachedEnd: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    reachedEnd = resolve;
  });
  // Emitted after every fetched batch, also one that held only aborted records and commit markers (which
  // `eachBatch` never sees); its last offset counts those too.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (Number(payload.lastOffset) >= end - 1) reachedEnd();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (Number(message.offset) >= end) break;
          if (message.value)
            position = (JSON.parse(message.value.toString()) as { position: number }).position;
        }
      },
    });
    consumer.seek({ topic, partition: 0, offset: String(from) });
    await withTimeout(done, 60_000, `reading ${topic} from offset ${from} to ${end}`);
  } finally {
    await consumer.disconnect();
  }
  return position;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
