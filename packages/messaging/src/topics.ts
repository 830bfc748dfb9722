import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** topic-level configuration, e.g. `{ 'retention.ms': '604800000' }` */
  config?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they are (their partition count is part of
 * the contract: changing it moves keys to other partitions, so it is an operator's decision, never a side effect).
 * Safe when several processes race to create the same topic: it returns once every partition of every topic
 * has a leader, also when another process created them. A topic listed while its creator is still waiting for
 * leaders has partitions without one, and a read or write there fails with "not the leader" (seen when the relay
 * and a consumer started together).
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) await createTopics(admin, missing);
  await leadersElected(
    admin,
    specs.map((spec) => spec.topic),
  );
}

/**
 * Waits (up to `timeoutMs`) until the leader of every partition of `topics` answers for it. The metadata
 * can name a leader a moment before that broker serves the partition (it is still loading it), so the
 * test is the request clients make first: a partition's offsets.
 */
async function leadersElected(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const topic of topics) {
    for (;;) {
      const answered = await admin.fetchTopicOffsets(topic).then(
        () => true,
        (error: unknown) => {
          if (Date.now() > deadline) throw error;
          return false;
        },
      );
      if (answered) break;
      await sleep(100);
    }
  }
}

async function createTopics(admin: Admin, missing: TopicSpec[]): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.numPartitions,
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}
