import type { TopicOffsets } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { HandledOffsets } from './handled-offsets.js';

describe('handled offsets', () => {
  it('commits the newest offset of each partition in one request, and nothing twice', async () => {
    const offsets = new HandledOffsets(0);
    const commits: TopicOffsets[][] = [];
    const commit = async ({ topics }: { topics: TopicOffsets[] }) => void commits.push(topics);
    offsets.handled('t', 0, '5');
    offsets.handled('t', 0, '6');
    offsets.handled('t', 1, '3');
    offsets.handled('u', 0, '9');
    await offsets.flush(commit);
    await offsets.flush(commit);
    expect(commits).toEqual([
      [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '6' },
            { partition: 1, offset: '3' },
          ],
        },
        { topic: 'u', partitions: [{ partition: 0, offset: '9' }] },
      ],
    ]);
  });

  it('is due only once the interval has passed since the last commit', async () => {
    const offsets = new HandledOffsets(60_000);
    offsets.handled('t', 0, '1');
    expect(offsets.due).toBe(false);
    expect(new HandledOffsets(0).due).toBe(false);
  });

  it('keeps offsets whose commit failed, unless a newer one was handled meanwhile', async () => {
    const offsets = new HandledOffsets(0);
    offsets.handled('t', 0, '5');
    offsets.handled('t', 1, '7');
    await expect(
      offsets.flush(async () => {
        offsets.handled('t', 1, '8');
        throw new Error('rebalance in progress');
      }),
    ).rejects.toThrow('rebalance in progress');
    const commits: TopicOffsets[][] = [];
    await offsets.flush(async ({ topics }) => void commits.push(topics));
    expect(commits).toEqual([
      [
        {
          topic: 't',
          partitions: [
            { partition: 1, offset: '8' },
            { partition: 0, offset: '5' },
          ],
        },
      ],
    ]);
  });

  it('forgets partitions assigned to another member', async () => {
    const offsets = new HandledOffsets(0);
    offsets.handled('t', 0, '5');
    offsets.handled('t', 1, '7');
    offsets.retain({ t: [1] });
    const commits: TopicOffsets[][] = [];
    await offsets.flush(async ({ topics }) => void commits.push(topics));
    expect(commits).toEqual([[{ topic: 't', partitions: [{ partition: 1, offset: '7' }] }]]);
  });
});
