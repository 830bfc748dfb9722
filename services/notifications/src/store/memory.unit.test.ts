import { describe, expect, it } from 'vitest';
import type { NotificationDoc } from './documents.js';
import { memoryNotificationStore } from './memory.js';

const liked = (actors: Record<string, string>): NotificationDoc => ({
  _id: 'n1',
  recipient: 'ann',
  key: 'like:p1',
  type: 'like',
  actors,
  actorIds: Object.keys(actors).sort(),
  postId: 'p1',
  postAuthorId: 'ann',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('the memory notification store', () => {
  it('hands a change the stored document itself, not a copy: a like on a much-liked post copies none of its actors', async () => {
    const { notifications } = memoryNotificationStore();
    const actors = Object.fromEntries(
      Array.from({ length: 1_000 }, (_, i) => [`fan${i}`, '2026-01-01T00:00:00.000Z']),
    );
    await notifications.update('n1', () => liked(actors));
    const stored = await notifications.get('n1');
    let given: NotificationDoc | undefined;
    await notifications.update('n1', (current) => {
      given = current;
      return current;
    });
    expect(given).toBe(stored);
    expect(given?.actors).toBe(actors);
  });

  it('reports a change that answers the document it was given as no change, and keeps the document', async () => {
    const { notifications } = memoryNotificationStore();
    await notifications.update('n1', () => liked({ bob: '2026-01-01T00:00:00.000Z' }));
    const stored = await notifications.get('n1');
    const updated = await notifications.update('n1', (current) => current);
    expect(updated).toEqual({ before: stored, after: stored, changed: false });
    expect(await notifications.get('n1')).toBe(stored);
  });

  it('still reports an equal document answered anew as no change', async () => {
    const { notifications } = memoryNotificationStore();
    await notifications.update('n1', () => liked({ bob: '2026-01-01T00:00:00.000Z' }));
    const stored = await notifications.get('n1');
    const updated = await notifications.update('n1', () => liked({ bob: '2026-01-01T00:00:00.000Z' }));
    expect(updated.changed).toBe(false);
    expect(await notifications.get('n1')).toBe(stored);
  });
});
