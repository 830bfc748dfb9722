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
 * Safe when several processes race to create the same topic.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.numPartitions,
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}
