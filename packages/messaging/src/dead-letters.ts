/** The dead-letter topic of a topic: where a message goes after its handler kept failing. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * Headers a dead-lettered message carries beside its original ones, so that an operator can tell what failed
 * where, fix it, and re-publish the message to its topic.
 */
export const deadLetterHeaders = {
  error: 'dlq_error',
  topic: 'dlq_original_topic',
  partition: 'dlq_original_partition',
  offset: 'dlq_original_offset',
  groupId: 'dlq_group_id',
  attempts: 'dlq_attempts',
  failedAt: 'dlq_failed_at',
} as const;
