import { openSqliteEventStore } from '@gram/event-store';
import { type DomainEvent, toStoredEvent } from '@gram/events';
import { describe, expect, it } from 'vitest';
import { History } from '../test/history.js';
import { startEmbeddedNotifications } from './embedded.js';
import { openSqliteReadMarkings } from './store/read-markings.js';

/** Nothing arrives live: each start sees only what it rebuilds from the log. */
const silentBus = { subscribe: async () => {}, stop: async () => {} };

describe('the embedded notifications, rebuilt from the log', () => {
  it('moves the read marker again at its place in the log, so follows group as they did before the restart', async () => {
    const events = openSqliteEventStore({ path: ':memory:' });
    const readMarkings = openSqliteReadMarkings({ path: ':memory:' });
    const h = new History();
    const [ann, bob, cat, dan] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    h.follow(bob, ann);
    h.follow(cat, ann);
    let appended = 0;
    const appendNew = async () => {
      for (const event of h.events.slice(appended)) {
        await events.appendToStream(event.streamId, [toStoredEvent(event as DomainEvent)], {
          expectedRevision: 'any',
        });
      }
      appended = h.events.length;
    };
    await appendNew();
    const before = await startEmbeddedNotifications({ events, bus: silentBus, readMarkings });
    const [grouped] = (await before.queries.page(ann, { limit: 10 })).items;
    await before.queries.markRead(ann, grouped?.id);
    // A follow after the marking starts a new notification, the newest one being read.
    h.follow(dan, ann);
    await appendNew();

    const after = await startEmbeddedNotifications({ events, bus: silentBus, readMarkings });
    const items = (await after.queries.page(ann, { limit: 10 })).items;
    expect(items.map((n) => [n.type, n.actors.map((actor) => actor.userName), n.read])).toEqual([
      ['follow', ['dan'], false],
      ['follow', ['cat', 'bob'], true],
    ]);
    expect(await after.queries.unreadCount(ann)).toBe(1);
    readMarkings.close();
    await events.close();
  });
});
