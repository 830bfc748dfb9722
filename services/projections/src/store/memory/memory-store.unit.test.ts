import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/history.js';
import type { Counter, Doc, FeedEntry } from '../document-store.js';
import { MemoryDocumentStore } from './documents.js';
import { MemoryFeedStore } from './feeds.js';

/** The Redis semantics, plainly: ZADD then ZREMRANGEBYRANK down to `cap`, ZREM, newest first. */
class ReferenceFeed {
  entries: FeedEntry[] = [];
  constructor(private readonly cap: number) {}
  add(entries: FeedEntry[]) {
    for (const entry of entries)
      if (!this.entries.some((e) => e.id === entry.id)) this.entries.push({ ...entry });
    this.entries.sort((a, b) => b.value - a.value || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    this.entries.length = Math.min(this.entries.length, this.cap);
  }
  remove(postIds: string[]) {
    this.entries = this.entries.filter((e) => !postIds.includes(e.id));
  }
}

describe('memory feeds behave like capped Redis sorted sets', () => {
  it('random adds (single, batches, out of order, duplicates) and removals keep the same newest entries', async () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const cap = 20;
      const feeds = new MemoryFeedStore(cap);
      const reference = new ReferenceFeed(cap);
      const post = () => {
        const n = Math.floor(random() * 200);
        return { id: `p${String(n).padStart(3, '0')}`, value: 1_000 + Math.floor(n / 2) };
      };
      for (let step = 0; step < 2_000; step++) {
        const r = random();
        if (r < 0.5) {
          const entries = [post()];
          await feeds.add(['u'], entries);
          reference.add(entries);
        } else if (r < 0.75) {
          const entries = Array.from({ length: 1 + Math.floor(random() * 30) }, post);
          const distinct = [...new Map(entries.map((e) => [e.id, e])).values()];
          await feeds.add(['u'], distinct);
          reference.add(distinct);
        } else {
          const removed = Array.from({ length: 1 + Math.floor(random() * 12) }, post);
          await feeds.remove(['u'], removed);
          reference.remove(removed.map((e) => e.id));
        }
        expect(await feeds.page('u', undefined, cap + 5)).toEqual(reference.entries);
      }
      const [first, second] = reference.entries;
      if (first && second) {
        expect(await feeds.page('u', first, 1)).toEqual([second]);
      }
    }
  });
});

describe('memory documents answer from their indexes as a scan would', () => {
  it('counts, finds and pages stay right while documents move between buckets', async () => {
    const random = seededRandom(5);
    const store = new MemoryDocumentStore([]);
    const all = new Map<string, Doc>();
    for (let step = 0; step < 3_000; step++) {
      const id = `e${Math.floor(random() * 300)}`;
      const fields = {
        postId: `p${Math.floor(random() * 5)}`,
        liked: random() < 0.7,
        userDeleted: random() < 0.1,
        ...(random() < 0.8 ? { at: Math.floor(random() * 50) } : {}),
      };
      await store.setFields('likes', id, fields);
      all.set(id, { ...(all.get(id) ?? { id, rev: -1 }), ...fields });
      const filter = { postId: `p${step % 5}`, liked: true, userDeleted: false };
      const matching = [...all.values()].filter(
        (doc) => doc.postId === filter.postId && doc.liked === true && doc.userDeleted === false,
      );
      expect(await store.count('likes', filter)).toBe(matching.length);
      expect((await store.findAll('likes', filter)).map((d) => d.id).sort()).toEqual(
        matching.map((d) => d.id).sort(),
      );
      expect(((await store.values('likes', filter, 'id')) as string[]).sort()).toEqual(
        matching.map((d) => d.id).sort(),
      );
      const newest = matching
        .filter((doc) => typeof doc.at === 'number')
        .sort((a, b) => (b.at as number) - (a.at as number) || (a.id < b.id ? 1 : -1));
      const page = await store.page('likes', filter, { field: 'at', order: -1 }, undefined, 4);
      expect(page.map((d) => d.id)).toEqual(newest.slice(0, 4).map((d) => d.id));
      expect(await store.pageKeys('likes', filter, { field: 'at', order: -1 }, undefined, 4)).toEqual(
        newest.slice(0, 4).map((d) => ({ value: d.at, id: d.id })),
      );
      const oldest = await store.pageKeys('likes', filter, { field: 'at', order: 1 }, undefined, 3);
      expect(oldest).toEqual(
        [...newest]
          .reverse()
          .slice(0, 3)
          .map((d) => ({ value: d.at, id: d.id })),
      );
      const last = newest[3];
      if (last) {
        const next = await store.page(
          'likes',
          filter,
          { field: 'at', order: -1 },
          { value: last.at as number, id: last.id },
          4,
        );
        expect(next.map((d) => d.id)).toEqual(newest.slice(4, 8).map((d) => d.id));
      }
    }
  });
});

describe('memory documents read by id', () => {
  it('answer with fields views holding at least those fields, and whole documents as copies the caller cannot change the store through', async () => {
    const store = new MemoryDocumentStore([]);
    await store.applyRevision('posts', 'p1', 3, { status: 'live', likesCount: 2, caption: 'hello' });
    await store.applyRevision('posts', 'p2', 1, { status: 'live', likesCount: 0 });
    const viewed = await store.getMany('posts', ['p2', 'nope', 'p1'], ['likesCount', 'caption']);
    expect(viewed).toMatchObject([
      { id: 'p2', rev: 1, likesCount: 0 },
      { id: 'p1', rev: 3, likesCount: 2, caption: 'hello' },
    ]);
    // A view is the document itself (see DocumentStore.get): no copy made for a read that only looks.
    expect(viewed[1]).toBe((await store.getMany('posts', ['p1'], ['status']))[0]);
    const [whole] = await store.getMany('posts', ['p1']);
    (whole as Doc).likesCount = 99;
    expect(await store.getMany('posts', ['p1'])).toEqual([
      { id: 'p1', rev: 3, status: 'live', likesCount: 2, caption: 'hello' },
    ]);
    expect(whole).not.toBe((await store.getMany('posts', ['p1']))[0]);
  });
});

describe('memory counts', () => {
  const likesCount: Counter = {
    collection: 'posts',
    field: 'likesCount',
    counted: 'likes',
    key: 'postId',
    filter: (postId) => ({ postId, liked: true }),
  };

  it('move the counted document between the buckets of an index that files or sorts by the count', async () => {
    const store = new MemoryDocumentStore([likesCount]);
    await store.applyRevision('posts', 'p1', 0, { status: 'live' });
    await store.applyRevision('posts', 'p2', 0, { status: 'live', likesCount: 0 });
    // Indexes over the count, asked for before the counts move: each like must move p1 within them.
    expect(await store.count('posts', { likesCount: 1 })).toBe(0);
    expect(
      await store.pageKeys('posts', { status: 'live' }, { field: 'likesCount', order: -1 }, undefined, 5),
    ).toEqual([{ value: 0, id: 'p2' }]);
    await store.applyRevision('likes', 'p1_u1', 0, { postId: 'p1', liked: true });
    await store.applyRevision('likes', 'p1_u2', 0, { postId: 'p1', liked: true });
    await store.applyRevision('likes', 'p1_u2', 1, { postId: 'p1', liked: false });
    expect(await store.count('posts', { likesCount: 1 })).toBe(1);
    expect(await store.count('posts', { likesCount: 2 })).toBe(0);
    expect(
      await store.pageKeys('posts', { status: 'live' }, { field: 'likesCount', order: -1 }, undefined, 5),
    ).toEqual([
      { value: 1, id: 'p1' },
      { value: 0, id: 'p2' },
    ]);
  });

  it('are written into the counted document when no index reads them', async () => {
    const store = new MemoryDocumentStore([likesCount]);
    await store.applyRevision('likes', 'p1_u1', 0, { postId: 'p1', liked: true });
    await store.applyRevision('posts', 'p1', 0, { status: 'live' });
    await store.applyRevision('likes', 'p1_u2', 0, { postId: 'p1', liked: true });
    await store.applyRevision('likes', 'p1_u2', 0, { postId: 'p1', liked: false });
    expect(await store.get('posts', 'p1')).toEqual({ id: 'p1', rev: 0, status: 'live', likesCount: 2 });
    // A write that leaves a like counted moves nothing; one that uncounts it moves the count down.
    await store.applyRevision('likes', 'p1_u1', 1, { postId: 'p1', liked: true });
    await store.applyRevision('likes', 'p1_u2', 1, { postId: 'p1', liked: false });
    expect(await store.get('posts', 'p1')).toEqual({ id: 'p1', rev: 0, status: 'live', likesCount: 1 });
  });
});
