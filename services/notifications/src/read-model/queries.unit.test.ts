import { describe, expect, it } from 'vitest';
import { History } from '../../test/history.js';
import { memoryNotificationStore } from '../store/memory.js';
import type { NotificationStore } from '../store/port.js';
import { NotificationProjector } from './projector.js';
import { NotificationQueries } from './queries.js';

/** The store, counting every call that would be a round trip to a store of its own (Redis in the distributed mode). */
function countingCalls(store: NotificationStore): {
  store: NotificationStore;
  calls: () => number;
  callsOf: (kind: keyof NotificationStore) => number;
} {
  let calls = 0;
  const byKind = new Map<string, number>();
  const counted = <T extends object>(kind: string, documents: T): T =>
    new Proxy(documents, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls++;
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
          return value.apply(target, args);
        };
      },
    });
  const wrapped = Object.fromEntries(
    Object.entries(store).map(([kind, documents]) => [kind, counted(kind, documents)]),
  ) as unknown as NotificationStore;
  return { store: wrapped, calls: () => calls, callsOf: (kind) => byKind.get(kind) ?? 0 };
}

/** The calls to the store that one unread count of an author makes, with `unread` liked posts (one a private author's). */
async function callsToCount(unread: number): Promise<{ calls: number; count: number }> {
  const h = new History();
  const [ann, bob, cat] = [h.register('ann'), h.register('bob'), h.register('cat')] as [
    string,
    string,
    string,
  ];
  for (let i = 0; i < unread; i++) h.like(h.post(ann), ann, i % 2 === 0 ? bob : cat);
  h.goPrivate(ann);
  const counting = countingCalls(memoryNotificationStore());
  const projector = new NotificationProjector(counting.store);
  for (const event of h.events) await projector.apply(event);
  const queries = new NotificationQueries(counting.store);
  const before = counting.calls();
  const count = await queries.unreadCount(ann);
  return { calls: counting.calls() - before, count };
}

describe('NotificationQueries', () => {
  it("counts an account's unread notifications in the same few calls to the store however many there are", async () => {
    const few = await callsToCount(4);
    const many = await callsToCount(40);
    expect([few.count, many.count]).toEqual([4, 40]);
    expect(many.calls).toBe(few.calls);
  });

  it("reads an account's relations and read marker once for what the live stream sends after changes, and again only to recount", async () => {
    const h = new History();
    const [ann, bob] = [h.register('ann'), h.register('bob')] as [string, string];
    h.like(h.post(ann), ann, bob);
    const counting = countingCalls(memoryNotificationStore());
    const projector = new NotificationProjector(counting.store);
    for (const event of h.events) await projector.apply(event);
    const queries = new NotificationQueries(counting.store);
    const [newest] = (await queries.page(ann, { limit: 1 })).items;
    const marksBefore = counting.callsOf('marks');
    const sent = await queries.forStream(ann, [newest?.id as string], true);
    expect(sent).toMatchObject({ views: [newest], unread: [newest?.id] });
    expect(counting.callsOf('marks') - marksBefore).toBe(1);
    // The next change of the stream, no recount asked: the relations and marker it was given back are used.
    const [edgesBefore, marksThen] = [counting.callsOf('edges'), counting.callsOf('marks')];
    const again = await queries.forStream(ann, [newest?.id as string], false, sent.viewer);
    expect(again).toMatchObject({ views: [newest], unread: undefined, viewer: sent.viewer });
    expect([counting.callsOf('edges') - edgesBefore, counting.callsOf('marks') - marksThen]).toEqual([0, 0]);
    // A recount reads them again, whatever it is given.
    await queries.forStream(ann, [], true, sent.viewer);
    expect([counting.callsOf('edges') - edgesBefore, counting.callsOf('marks') - marksThen]).toEqual([2, 1]);
  });
});
