import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionOf } from './partitioner.js';

describe('stream partitioner', () => {
  it("puts every key on the partition the Java client's (and kafkajs's) default partitioner picks", () => {
    const reference = Partitioners.DefaultPartitioner();
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'user-01890a5d-ac96-774b-bcce-b302099a8057',
      'like-01890a5d-ac96-774b-bcce-b302099a8058_01890a5d-ac96-774b-bcce-b302099a8057',
      'follow-é_ü_日本',
      ...Array.from({ length: 2_000 }, (_, i) => `post-${i.toString(36)}-${'x'.repeat(i % 7)}`),
    ];
    for (const partitions of [1, 3, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, id) => ({
        partitionId: id,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const key of keys) {
        const expected = reference({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(partitionOf(key, partitions), key).toBe(expected);
      }
    }
  });
});
