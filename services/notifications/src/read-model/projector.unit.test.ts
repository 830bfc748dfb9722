import { describe, expect, it } from 'vitest';
import { History, twiceShuffled } from '../../test/history.js';
import type { NotificationDoc } from '../store/documents.js';
import { memoryNotificationStore } from '../store/memory.js';
import { keys, notificationId } from './ids.js';
import { type NotificationEvent, NotificationProjector } from './projector.js';

describe('the notification projector', () => {
  it("keeps a like notification's actor ids sorted and its time its latest actor's, whatever the order of likes and unlikes", async () => {
    const h = new History();
    const author = h.register('ann');
    const fans = Array.from({ length: 12 }, (_, i) => h.register(`fan${i}`));
    const post = h.post(author);
    for (const fan of fans) h.like(post, author, fan);
    // the latest likes taken back, and one of them given again: the time falls back, then moves on
    for (const fan of fans.slice(-3)) h.unlike(post, fan);
    h.like(post, author, fans[10] as string);
    for (let seed = 1; seed <= 20; seed++) {
      const store = memoryNotificationStore();
      const projector = new NotificationProjector(store);
      for (const event of twiceShuffled(h.events, seed)) await projector.apply(event);
      const doc = await store.notifications.get(notificationId(author, keys.like(post)));
      const actors = doc?.actors ?? {};
      expect(Object.keys(actors).sort()).toEqual([...fans.slice(0, 9), fans[10]].sort());
      expect(doc?.actorIds).toEqual(Object.keys(actors).sort());
      expect(doc?.updatedAt).toBe(Object.values(actors).sort().at(-1));
      expect(doc?.createdAt).toBe(Object.values(actors).sort()[0]);
    }
  });

  it('adds a like to its notification in place on the memory store: a much-liked post copies none of its actors', async () => {
    const h = new History();
    const author = h.register('ann');
    const fans = Array.from({ length: 3 }, (_, i) => h.register(`fan${i}`));
    const post = h.post(author);
    for (const fan of fans) h.like(post, author, fan);
    const store = memoryNotificationStore();
    const projector = new NotificationProjector(store);
    const id = notificationId(author, keys.like(post));
    const [first, ...later] = h.events.filter((event) => event.type === 'PostLiked');
    for (const event of h.events.filter((event) => event.type !== 'PostLiked')) await projector.apply(event);
    await projector.apply(first as NotificationEvent);
    const notification = await store.notifications.get(id);
    const { actors, actorIds } = notification as NotificationDoc;
    for (const event of later) await projector.apply(event);
    expect(await store.notifications.get(id)).toBe(notification);
    expect(notification?.actors).toBe(actors);
    expect(notification?.actorIds).toBe(actorIds);
    expect(notification?.actorIds).toEqual([...fans].sort());
  });
});
