import { describe, expect, it } from 'vitest';
import { HourlyCounts } from './hourly-counts.js';

describe('hourly counts', () => {
  it('counts posts, likes and follows in the hour they were recorded', () => {
    const counts = new HourlyCounts();
    counts.record({
      type: 'PostCreated',
      time: '2031-05-01T10:59:59.999Z',
      streamId: 'post-1',
      streamRevision: 0,
    });
    counts.record({
      type: 'PostLiked',
      time: '2031-05-01T10:00:00.000Z',
      streamId: 'like-1_2',
      streamRevision: 0,
    });
    counts.record({
      type: 'UserFollowed',
      time: '2031-05-01T11:00:00.000Z',
      streamId: 'follow-1_2',
      streamRevision: 0,
    });
    expect(counts.table()).toEqual([
      { hour: '2031-05-01T10:00:00.000Z', posts: 1, likes: 1, follows: 0 },
      { hour: '2031-05-01T11:00:00.000Z', posts: 0, likes: 0, follows: 1 },
    ]);
  });

  it('counts a redelivered event once, and a like again after an unlike', () => {
    const counts = new HourlyCounts();
    const liked = {
      type: 'PostLiked',
      time: '2031-05-01T10:00:00.000Z',
      streamId: 'like-1_2',
      streamRevision: 0,
    };
    expect(counts.record(liked)).toBe(true);
    expect(counts.record(liked)).toBe(false);
    expect(counts.record({ ...liked, type: 'PostUnliked', streamRevision: 1 })).toBe(false);
    expect(counts.record({ ...liked, streamRevision: 2 })).toBe(true);
    expect(counts.record({ ...liked, streamRevision: 1, type: 'PostUnliked' })).toBe(false);
    expect(counts.table()).toEqual([{ hour: '2031-05-01T10:00:00.000Z', posts: 0, likes: 2, follows: 0 }]);
  });

  it('ignores event types it does not count', () => {
    const counts = new HourlyCounts();
    counts.record({
      type: 'CommentAdded',
      time: '2031-05-01T10:00:00.000Z',
      streamId: 'comment-1',
      streamRevision: 0,
    });
    expect(counts.table()).toEqual([]);
  });
});
