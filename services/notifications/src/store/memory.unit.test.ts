import { describe, expect, it } from 'vitest';
import { byId, everyLookupHistory, History, twiceShuffled } from '../../test/history.js';
import { NotificationProjector } from '../read-model/projector.js';
import { NotificationQueries } from '../read-model/queries.js';
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

/** A memory store and the maps it keeps each kind of document in, in the order of the store's fields. */
function storeWithItsMaps() {
  const maps: Map<string, unknown>[] = [];
  const store = memoryNotificationStore(() => {
    const map = new Map();
    maps.push(map);
    return map;
  });
  return { store, maps };
}

/** The order an account's notifications are listed in, written out apart from the store's. */
function newestFirst(a: NotificationDoc, b: NotificationDoc): number {
  return a.updatedAt === b.updatedAt ? b._id.localeCompare(a._id) : b.updatedAt.localeCompare(a.updatedAt);
}

/** A map that counts the documents read out of it: by id, or by going through them. */
class CountingMap<T> extends Map<string, T> {
  constructor(private readonly visit: () => void) {
    super();
  }
  override get(id: string): T | undefined {
    const doc = super.get(id);
    if (doc !== undefined) this.visit();
    return doc;
  }
  override *values(): MapIterator<T> {
    for (const doc of super.values()) {
      this.visit();
      yield doc;
    }
  }
  override *entries(): MapIterator<[string, T]> {
    for (const entry of super.entries()) {
      this.visit();
      yield entry;
    }
  }
  override [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }
  override forEach(each: (doc: T, id: string, map: Map<string, T>) => void): void {
    for (const [id, doc] of this.entries()) each(doc, id, this);
  }
}

/**
 * `others` pairs of accounts that notify each other of everything (a mention, a like, a comment, a reply, a follow),
 * then what `then` adds: how many documents the store reads to apply the latter, and then to answer `read`.
 */
async function visitsAfter(
  others: number,
  then: (h: History) => (queries: NotificationQueries) => Promise<unknown>,
): Promise<{ applying: number; reading: number }> {
  const h = new History();
  for (let i = 0; i < others; i++) {
    const [a, b] = [h.register(`a${i}`), h.register(`b${i}`)] as [string, string];
    const post = h.post(a, [b]);
    h.like(post, a, b);
    const comment = h.comment(post, a, b, [a]);
    h.reply(comment, post, a, a, [b]);
    h.follow(b, a);
    h.mute(a, b);
  }
  const before = h.events.length;
  const read = then(h);
  let visited = 0;
  const store = memoryNotificationStore(() => new CountingMap(() => visited++));
  const projector = new NotificationProjector(store);
  for (const event of h.events.slice(0, before)) await projector.apply(event);
  visited = 0;
  for (const event of h.events.slice(before)) await projector.apply(event);
  const applying = visited;
  visited = 0;
  await read(new NotificationQueries(store, undefined, () => new Date('2026-01-01')));
  return { applying, reading: visited };
}

describe('the lookups of the memory notification store', () => {
  it('apply comments, replies, unfollows, answered requests and the deletion of a post, comment, reply or account reading only the documents they concern, however many others it holds', async () => {
    const story = (h: History) => {
      const [ann, bob, cat] = [h.register('ann'), h.register('bob'), h.register('cat')] as [
        string,
        string,
        string,
      ];
      const post = h.post(ann, [bob]);
      const comment = h.comment(post, ann, bob, [cat]);
      h.reply(comment, post, ann, cat, [bob]);
      const reply = h.reply(comment, post, ann, ann);
      const early = h.comment(post, ann, cat);
      h.deleteReply(reply, comment, post, ann);
      h.deleteComment(comment, post, bob);
      h.follow(bob, ann);
      h.unfollow(bob, ann);
      h.goPrivate(ann);
      h.requestFollow(cat, ann);
      h.acceptRequest(ann, cat);
      h.requestFollow(bob, ann);
      h.declineRequest(ann, bob);
      h.deletePost(post, ann);
      h.comment(h.post(bob), bob, cat);
      h.reply(early, post, ann, bob);
      h.deleteUser(cat);
      return async () => {};
    };
    const few = await visitsAfter(20, story);
    expect(few.applying).toBeGreaterThan(0);
    expect(await visitsAfter(40, story)).toEqual(few);
  });

  it("lists, counts and marks read an account's notifications reading only its own and its relations, however many others it holds", async () => {
    const story = (h: History) => {
      const [ann, bob, cat] = [h.register('ann'), h.register('bob'), h.register('cat')] as [
        string,
        string,
        string,
      ];
      const post = h.post(ann);
      h.like(post, ann, bob);
      h.comment(post, ann, cat);
      h.follow(bob, ann);
      h.mute(ann, cat);
      h.block(bob, cat);
      return async (queries: NotificationQueries) => {
        await queries.page(ann, { limit: 10 });
        await queries.unreadCount(ann);
        await queries.markRead(ann, undefined);
      };
    };
    const few = await visitsAfter(20, story);
    expect(few.reading).toBeGreaterThan(0);
    expect(await visitsAfter(40, story)).toEqual(few);
  });

  it('keeps its indexes exact through every write, in place or not: a lookup finds what going through every document finds', async () => {
    const { events, values } = everyLookupHistory();
    const holding = (docs: Map<string, unknown>, field: string, value: unknown) =>
      [...docs.values()].filter((doc) => {
        const held = (doc as Record<string, unknown>)[field];
        return Array.isArray(held) ? held.includes(value) : held === value;
      });
    for (let seed = 1; seed <= 10; seed++) {
      const { store, maps } = storeWithItsMaps();
      // made in the order of the store's fields
      const [, , , replies, , edges, , notifications] = maps;
      const projector = new NotificationProjector(store);
      for (const event of twiceShuffled(events, seed)) await projector.apply(event);
      const lookups = [
        ...['recipient', 'actorIds', 'postId', 'postAuthorId', 'commentId', 'replyId'].map(
          (field) => [store.notifications, notifications, field] as const,
        ),
        [store.replies, replies, 'commentId'] as const,
        ...['from', 'to'].map((field) => [store.edges, edges, field] as const),
      ];
      for (const [documents, docs, field] of lookups) {
        for (const value of values) {
          const found: { _id: string }[] = await documents.find(field, value);
          expect(byId(found), `${field} ${value}`).toEqual(
            byId(holding(docs as Map<string, unknown>, field, value) as { _id: string }[]),
          );
        }
      }
      for (const recipient of values) {
        const all = holding(
          notifications as Map<string, unknown>,
          'recipient',
          recipient,
        ) as NotificationDoc[];
        const sorted = all.sort(newestFirst);
        const listed = await store.notifications.newestFirst(recipient, undefined, 1_000);
        expect(
          listed.map((doc) => doc._id),
          `listed for ${recipient}`,
        ).toEqual(sorted.map((doc) => doc._id));
        for (const [i, doc] of sorted.entries()) {
          const after = { updatedAt: doc.updatedAt, id: doc._id };
          expect(await store.notifications.newestFirst(recipient, after, 2)).toEqual(
            sorted.slice(i + 1, i + 3),
          );
          expect(byId(await store.notifications.updatedAfter(recipient, doc.updatedAt))).toEqual(
            byId(sorted.filter((other) => other.updatedAt > doc.updatedAt)),
          );
        }
      }
    }
  });

  it("keeps an account's notifications listed newest first as likes move them to the top, in any order of events", async () => {
    const h = new History();
    const ann = h.register('ann');
    const fans = Array.from({ length: 8 }, (_, i) => h.register(`fan${i}`));
    const posts = Array.from({ length: 5 }, () => h.post(ann));
    for (const [i, fan] of fans.entries()) {
      h.like(posts[(i * 3) % posts.length] as string, ann, fan);
      h.like(posts[(i * 7 + 1) % posts.length] as string, ann, fan);
    }
    h.unlike(posts[1] as string, fans[7] as string);
    for (let seed = 1; seed <= 20; seed++) {
      const { store, maps } = storeWithItsMaps();
      const docs = maps.at(-1) as Map<string, NotificationDoc>; // the notifications, made last
      const projector = new NotificationProjector(store);
      for (const event of twiceShuffled(h.events, seed)) await projector.apply(event);
      const sorted = [...docs.values()].filter((doc) => doc.recipient === ann).sort(newestFirst);
      const listed = await store.notifications.newestFirst(ann, undefined, 100);
      expect(
        listed.map((doc) => doc.updatedAt),
        `seed ${seed}`,
      ).toEqual(sorted.map((doc) => doc.updatedAt));
      expect(listed, `seed ${seed}`).toEqual(sorted);
    }
  });

  it("reads a page of an account's notifications visiting as many documents whether it has 30 or 300", async () => {
    const visits = async (notified: number) => {
      const h = new History();
      const ann = h.register('ann');
      const fans = Array.from({ length: 10 }, (_, i) => h.register(`fan${i}`));
      for (let i = 0; i < notified; i++) h.like(h.post(ann), ann, fans[i % fans.length] as string);
      let visited = 0;
      const store = memoryNotificationStore(() => new CountingMap(() => visited++));
      const projector = new NotificationProjector(store);
      for (const event of h.events) await projector.apply(event);
      visited = 0;
      const page = await new NotificationQueries(store).page(ann, { limit: 10 });
      expect(page.items).toHaveLength(10);
      return visited;
    };
    expect(await visits(300)).toBe(await visits(30));
  });
});
