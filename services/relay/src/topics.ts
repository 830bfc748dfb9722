import { workerTopics } from '@gram/events';
import type { TopicSpec } from '@gram/messaging';

/**
 * Retention of the event topics. Kafka is not the source of truth, the event store is: a consumer that falls
 * further behind than this, or a new read model, replays from the event store (the projections' rebuild CLI).
 * docs/asyncapi.yaml states the same figure as retention advice.
 */
export const eventTopicRetentionMs = 7 * 24 * 3_600_000;

export const defaultTopicPartitions = 3;

/** The event topics, public and internal, as the relay creates them when they are missing. */
export function eventTopicSpecs(partitions = defaultTopicPartitions): TopicSpec[] {
  return workerTopics.map((topic) => ({
    topic,
    numPartitions: partitions,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(eventTopicRetentionMs) },
  }));
}

/**
 * Where the relay named `name` keeps its coordination state in Kafka (see relay.ts for why each is there):
 * - `transactionalId`: every instance of the relay produces with it, so the newest one fences all earlier ones;
 * - `leaseGroup` on the one-partition `leaseTopic`: the member that holds partition 0 is the active instance;
 * - `checkpointTopic`: a compacted one-partition topic whose newest committed record is the global position of
 *   the last event the relay has published (see checkpoint.ts).
 */
export function relayCoordinates(name: string) {
  return {
    transactionalId: name,
    leaseTopic: `${name}.lease`,
    leaseGroup: `${name}.lease`,
    checkpointTopic: `${name}.checkpoint`,
  };
}

/** The relay's own topics, beside the event topics. */
export function coordinationTopicSpecs(name: string): TopicSpec[] {
  const { leaseTopic, checkpointTopic } = relayCoordinates(name);
  return [
    { topic: leaseTopic, numPartitions: 1 },
    {
      topic: checkpointTopic,
      numPartitions: 1,
      // Compaction keeps the newest checkpoint for ever; hourly segments let it clean up the older ones.
      config: {
        'cleanup.policy': 'compact',
        'segment.ms': String(3_600_000),
        'min.cleanable.dirty.ratio': '0.1',
      },
    },
  ];
}
