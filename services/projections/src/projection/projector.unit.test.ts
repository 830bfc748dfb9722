import { openSqliteEventStore } from '@gram/event-store';
import { catalogue, topicOf } from '@gram/events';
import { describe, expect, it, vi } from 'vitest';
import { expectBlocksSeparate } from '../../test/blocks.js';
import { withoutZeroCounts } from '../../test/counts.js';
import { messagesOf, twiceShuffled } from '../../test/deliveries.js';
import { expectExplore } from '../../test/explore.js';
import { expectUnfollowRefillsFullFeed } from '../../test/feed-refill.js';
import { generateHistory, HistoryBuilder } from '../../test/history.js';
import { expectMutesKeepFeeds } from '../../test/mutes.js';
import { rankingsOf } from '../../test/rankings.js';
import { expectTagPages } from '../../test/tags.js';
import { ReadModelQueries } from '../queries/read-model-queries.js';
import { counters, ignoredEvents, readModels } from '../read-models/registry.js';
import { rebuildInMemory } from '../rebuild/rebuild.js';
import { collections } from '../store/document-store.js';
import { createMemoryReadModelStore, type MemoryReadModelStore } from '../store/memory.js';
import { compareCounters, recountFromEvents } from '../verify/recount.js';
import { Projector, type ProjectorOptions } from './projector.js';

const history = generateHistory({
  users: 40,
  follows: 300,
  posts: 150,
  likes: 500,
  comments: 200,
  deletedUsers: 4,
  mutes: 80,
  privacy: true,
  hashtags: true,
  search: true,
  seed: 7,
});

async function project(messages: ReturnType<typeof messagesOf>, options: ProjectorOptions = {}) {
  const store = createMemoryReadModelStore({ counters, feedCap: options.feedCap });
  const projector = new Projector(store, options);
  for (const message of messages) await projector.handle(message);
  return store;
}

/**
 * The documents of every registered read model are the same in both stores, and there are some of each; so are
 * the search indexes and the rankings.
 */
function expectSameReadModels(actual: MemoryReadModelStore, expected: MemoryReadModelStore) {
  const [got, want] = [
    withoutZeroCounts(actual.documents.dump()),
    withoutZeroCounts(expected.documents.dump()),
  ];
  for (const model of readModels) {
    for (const collection of model.documents) {
      expect(want[collection].length, `${model.name}: ${collection}`).toBeGreaterThan(0);
      expect(got[collection], `${model.name}: ${collection}`).toEqual(want[collection]);
    }
  }
  // The search indexes (which hold no documents): every id under the same terms, the same ids erased.
  const [gotSearch, wantSearch] = [actual.search.dump(), expected.search.dump()];
  expect(Object.keys(wantSearch.users.filed).length).toBeGreaterThan(30);
  expect(Object.keys(wantSearch.tags.filed).length).toBeGreaterThan(30);
  expect(wantSearch.users.erased.length).toBeGreaterThan(0);
  expect(gotSearch).toEqual(wantSearch);
  // User search's rankings, kept from the terms and the followers counts: the same accounts in the same order.
  const wantRanks = expected.search.dumpRanks();
  expect(Object.keys(wantRanks).length).toBeGreaterThan(30);
  expect(actual.search.dumpRanks()).toEqual(wantRanks);
  // The rankings (a tag's top posts, explore), kept from the counts and places: the same entries, in the same order.
  const wantRankings = rankingsOf(expected.rankings.dump());
  expect(Object.keys(wantRankings).length).toBeGreaterThan(5);
  expect(wantRankings['explore:everyone']?.length).toBeGreaterThan(30);
  expect(rankingsOf(actual.rankings.dump())).toEqual(wantRankings);
}

/** Every account's first feed page as the query API answers it, hot authors merged in. */
async function visibleFeeds(store: MemoryReadModelStore) {
  const queries = new ReadModelQueries(() => store);
  const feeds: Record<string, string[]> = {};
  for (const user of store.documents.dump().users) {
    feeds[user.id] = (await queries.feed(user.id, { limit: 100 })).items.map((post) => post.id);
  }
  return feeds;
}

describe('projections are idempotent and order-tolerant', () => {
  it('every public or internal event type is handled by a registered read model or ignored with a reason, never both', () => {
    const handled = new Set(readModels.flatMap((model) => model.canHandle));
    for (const { type } of catalogue.filter((definition) => topicOf(definition.type) !== undefined)) {
      expect(handled.has(type) !== (ignoredEvents[type] !== undefined), type).toBe(true);
    }
  });

  it('every collection is the documents of exactly one registered read model', () => {
    expect(readModels.flatMap((model) => model.documents).sort()).toEqual([...collections].sort());
  });

  it('history under test exercises every event type a registered read model handles', () => {
    const types = new Set(messagesOf(history).map((m) => m.type));
    for (const model of readModels) {
      for (const type of model.canHandle) expect(types.has(type), `${model.name}: ${type}`).toBe(true);
    }
  });

  it("history under test ends, on the blocker's behalf, what each block ends, and makes no follow, request, like, comment or reply across a block while it lasts", () => {
    const last = new Map<string, { type: string; data: Record<string, string> }>();
    const blocks = new Set<string>();
    const ends = new Map<string, number>();
    let blocker: string | undefined;
    /** the two accounts an event that starts something puts in touch: who did it, and to whom */
    const pairOf = (type: string, data: Record<string, string>): (string | undefined)[] | undefined => {
      if (type === 'UserFollowed' || type === 'FollowRequested') return [data.followerId, data.followeeId];
      if (type === 'PostLiked') return [data.userId, data.postAuthorId];
      if (type === 'CommentAdded' || type === 'ReplyAdded') return [data.authorId, data.postAuthorId];
      return undefined;
    };
    for (const event of history) {
      const data = event.data as Record<string, string>;
      if (event.type === 'UserBlocked') blocker = data.blockerId;
      else if (event.metadata.actorId === undefined) blocker = undefined;
      else {
        expect(event.metadata.actorId, `${event.type} right after its block`).toBe(blocker);
        ends.set(event.type, (ends.get(event.type) ?? 0) + 1);
      }
      if (event.type === 'UserBlocked') blocks.add(`${data.blockerId}_${data.blockedId}`);
      if (event.type === 'UserUnblocked') blocks.delete(`${data.blockerId}_${data.blockedId}`);
      const pair = pairOf(event.type, data);
      if (pair) {
        const [one, other] = pair;
        expect(
          blocks.has(`${one}_${other}`) || blocks.has(`${other}_${one}`),
          `${event.type} across a block`,
        ).toBe(false);
      }
      const previous = last.get(event.streamId);
      last.set(event.streamId, { type: event.type, data: { ...previous?.data, ...data } });
    }
    expect([...ends.keys()]).toEqual(expect.arrayContaining(['UserUnfollowed', 'PostUnliked']));
    expect(blocks.size).toBeGreaterThan(3);
    // What each block still in force ended stays ended: follows and requests both ways, and the blocked
    // account's likes, comments and replies under the blocker's posts.
    for (const { type, data } of last.values()) {
      const pair = pairOf(type, data);
      if (!pair) continue;
      const [one, other] = pair;
      expect(blocks.has(`${other}_${one}`), `${type} ${JSON.stringify(data)} outlived a block`).toBe(false);
      if (type === 'UserFollowed' || type === 'FollowRequested')
        expect(blocks.has(`${one}_${other}`)).toBe(false);
    }
  });

  it.each([1, 2, 3])(
    'every event delivered twice, shuffled across streams (seed %i), builds the same documents of every registered read model, and the same feeds, as one clean pass',
    async (seed) => {
      const clean = await project(messagesOf(history));
      const shuffled = await project(twiceShuffled(messagesOf(history), seed));
      expectSameReadModels(shuffled, clean);
      expect(shuffled.feeds.dump()).toEqual(clean.feeds.dump());
    },
  );

  it.each([4, 5])(
    'with the most followed accounts turning hot and back, shuffled duplicates (seed %i) build the same documents, merged authors and feeds as read',
    async (seed) => {
      const options = { hotAuthorThreshold: 6 };
      const clean = await project(messagesOf(history), options);
      const shuffled = await project(twiceShuffled(messagesOf(history), seed), options);
      expect(Object.keys(clean.feeds.dumpMergedAuthors()).length).toBeGreaterThan(0);
      expectSameReadModels(shuffled, clean);
      expect(shuffled.feeds.dumpMergedAuthors()).toEqual(clean.feeds.dumpMergedAuthors());
      expect(await visibleFeeds(shuffled)).toEqual(await visibleFeeds(clean));
      expect(await compareCounters(await recountFromEvents(history), shuffled.documents)).toEqual([]);
    },
  );

  it.each([6, 7])(
    'every event delivered twice and shuffled (seed %i), applied in batches with their streams side by side, builds what one clean pass builds',
    async (seed) => {
      const clean = await project(messagesOf(history));
      const store = createMemoryReadModelStore({ counters });
      const projector = new Projector(store, { concurrency: 8 });
      const messages = twiceShuffled(messagesOf(history), seed);
      for (let i = 0; i < messages.length; i += 250) await projector.applyBatch(messages.slice(i, i + 250));
      expectSameReadModels(store, clean);
      expect(store.feeds.dump()).toEqual(clean.feeds.dump());
      expect(await compareCounters(await recountFromEvents(history), store.documents)).toEqual([]);
    },
  );

  it('every counter equals a recount from the event log, after a clean pass and after a shuffled one', async () => {
    const expected = await recountFromEvents(history);
    expect(expected.users?.size).toBeGreaterThan(30);
    for (const messages of [messagesOf(history), twiceShuffled(messagesOf(history), 9)]) {
      const store = await project(messages);
      expect(await compareCounters(expected, store.documents)).toEqual([]);
    }
  });
});

describe("an account's deletion", () => {
  it('leaves none of its personal fields in the read models (profile, captions, comments, replies), whatever the order of the events', async () => {
    const h = new HistoryBuilder();
    const gone = h.register('sentinel_user', 'Sentinel Name');
    const other = h.register('other');
    h.updateProfile(gone, { bio: 'sentinel bio' });
    const postId = h.post(gone, 'sentinel caption #sentineltag');
    h.editPost(postId, gone, 'sentinel edited caption #sentineledit');
    const othersPost = h.post(other);
    const commentId = h.comment(othersPost, other, gone, 'sentinel comment');
    h.reply(commentId, othersPost, other, gone, 'sentinel reply');
    h.deleteUser(gone);
    // After the deletion in the log: edits and comments decided before it, applied after it (another stream).
    h.editPost(postId, gone, 'sentinel late edit #sentinellate');
    h.comment(othersPost, other, gone, 'sentinel late comment');

    for (const messages of [messagesOf(h.events), twiceShuffled(messagesOf(h.events), 3)]) {
      const documents = JSON.stringify((await project(messages)).documents.dump());
      expect(documents).toContain(other);
      expect(documents.match(/sentinel[ _a-z]*/gi) ?? []).toEqual([]);
      expect(documents).not.toContain('Sentinel Name');
    }
  });
});

describe('the rebuild fold', () => {
  it('builds what the live path builds event by event', async () => {
    const events = openSqliteEventStore({ path: ':memory:' });
    for (const e of history) {
      await events.appendToStream(
        e.streamId,
        [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
        {
          expectedRevision: 'any',
        },
      );
    }
    const options = { hotAuthorThreshold: 6, feedCap: 40 };
    const live = await project(messagesOf(history), options);
    const { store: folded } = await rebuildInMemory(events, options);
    await events.close();
    expect(Object.keys(folded.feeds.dumpMergedAuthors()).length).toBeGreaterThan(0);
    expect(withoutZeroCounts(folded.documents.dump())).toEqual(withoutZeroCounts(live.documents.dump()));
    expect(folded.feeds.dump()).toEqual(live.feeds.dump());
    expect(folded.feeds.dumpMergedAuthors()).toEqual(live.feeds.dumpMergedAuthors());
    expect(folded.search.dump()).toEqual(live.search.dump());
    // The rankings, built whole at the fold's end, as the live path keeps them post by post and account by
    // account.
    expect(Object.keys(live.search.dumpRanks()).length).toBeGreaterThan(30);
    expect(folded.search.dumpRanks()).toEqual(live.search.dumpRanks());
    expect(Object.keys(live.rankings.dump()).length).toBeGreaterThan(5);
    expect(folded.rankings.dump()).toEqual(live.rankings.dump());
  });

  it('leaves rankings that the live path then keeps as it keeps its own', async () => {
    const events = openSqliteEventStore({ path: ':memory:' });
    const half = Math.floor(history.length / 2);
    for (const e of history.slice(0, half)) {
      await events.appendToStream(
        e.streamId,
        [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
        { expectedRevision: 'any' },
      );
    }
    const { store: folded } = await rebuildInMemory(events);
    await events.close();
    const projector = new Projector(folded);
    for (const message of messagesOf(history.slice(half))) await projector.handle(message);
    const live = await project(messagesOf(history));
    expect(folded.search.dumpRanks()).toEqual(live.search.dumpRanks());
    expect(folded.rankings.dump()).toEqual(live.rankings.dump());
    // Each post's entries, with what the rebuild's export loads of them.
    const entriesOf = (store: MemoryReadModelStore) =>
      [...store.rankings.entries()].sort((a, b) => (a.ranking + a.postId < b.ranking + b.postId ? -1 : 1));
    expect(entriesOf(live).length).toBeGreaterThan(100);
    expect(entriesOf(folded)).toEqual(entriesOf(live));
  });
});

describe('a batch', () => {
  it("tells of each message once its own stream's writes are done, while other streams of the batch are still being applied", async () => {
    const h = new HistoryBuilder();
    const [slow, quick] = [h.register('slow'), h.register('quick')];
    const [slowMessage, quickMessage] = messagesOf(h.events);
    const store = createMemoryReadModelStore({ counters });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const documents = new Proxy(store.documents, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'applyRevision') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<typeof target.applyRevision>) => {
          if (args[1] === slow) await held;
          return target.applyRevision(...args);
        };
      },
    });
    const applied: string[] = [];
    const batch = new Projector({ ...store, documents }).applyBatch(
      [slowMessage, quickMessage].map((message) => message as NonNullable<typeof message>),
      (message) => void applied.push(message.streamId),
    );
    await vi.waitFor(() => expect(applied).toEqual([quickMessage?.streamId]));
    expect(await store.documents.get('users', quick)).toMatchObject({ status: 'live' });
    release();
    await batch;
    expect(applied).toEqual([quickMessage?.streamId, slowMessage?.streamId]);
  });
});

describe('mutes', () => {
  it("take the muted author's posts out of the muter's feed and keep new ones out, show only in the muter's list and mutedByMe, and an unmute brings the posts back", async () => {
    await expectMutesKeepFeeds(createMemoryReadModelStore({ counters }));
  });

  it("keep a hot author, merged into feeds at read time, out of the muter's feed until unmuted", async () => {
    await expectMutesKeepFeeds(createMemoryReadModelStore({ counters }), 0);
  });
});

describe('blocks', () => {
  it("keep each account's posts out of the other's feed (a follow applied after the block included), hide the blocker from the blocked (not found) and refuse the blocked account's content to the blocker, leave each out of the other's lists, show in the blocker's list and blockedByMe, and an unblock brings back nothing the block ended", async () => {
    await expectBlocksSeparate(createMemoryReadModelStore({ counters }));
  });

  it('keep a hot author, merged into feeds at read time, out of the feed of an account in a block with it', async () => {
    await expectBlocksSeparate(createMemoryReadModelStore({ counters }), 0);
  });

  it('keep an author turning hot out of the merges of an account in a block with it whose follow has not ended yet', async () => {
    const h = new HistoryBuilder();
    const [ann, bob, cid] = ['ann', 'bob', 'cid'].map((name) => h.register(name)) as [string, string, string];
    h.follow(ann, bob);
    h.block(bob, ann);
    h.follow(cid, bob);
    const store = await project(messagesOf(h.events), { hotAuthorThreshold: 1 });
    expect(await store.feeds.mergedAuthors(cid, 10), 'bob turned hot').toEqual([bob]);
    expect(await store.feeds.mergedAuthors(ann, 10)).toEqual([]);
  });

  it('refill a full feed after an unfollow from the accounts followed but those in a block with it', async () => {
    const h = new HistoryBuilder();
    const [ann, bob, cid, dan] = ['ann', 'bob', 'cid', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    h.follow(ann, bob);
    h.follow(ann, cid);
    h.follow(ann, dan);
    const cidPosts = [h.post(cid), h.post(cid)];
    h.post(bob);
    h.post(bob);
    h.post(dan);
    h.post(dan);
    h.block(ann, bob);
    // The block's unfollow of bob has not arrived yet; ann unfollows dan, whose posts filled the feed.
    h.unfollow(ann, dan);
    const store = await project(messagesOf(h.events), { feedCap: 2 });
    const kept = (await store.feeds.page(ann, undefined, 10)).map((entry) => entry.id);
    expect(kept, "refilled from cid's posts, not bob's newer ones").toEqual([...cidPosts].reverse());
  });
});

describe('feeds at their cap', () => {
  it('an unfollow that empties part of a full feed brings back the older posts of the accounts still followed', async () => {
    await expectUnfollowRefillsFullFeed(createMemoryReadModelStore({ counters, feedCap: 5 }), 5);
  });
});

describe('tag pages', () => {
  it('hold the live posts of public accounts carrying a tag in any case, recent newest first and top most engaged first (frozen while likes move), leave out private and deleted accounts, edited-away tags, deleted posts and each side of a block, and show hashtags and the mentions the reader may see', async () => {
    await expectTagPages(createMemoryReadModelStore({ counters }));
  });
});

describe('explore', () => {
  it("ranks public posts of the last 30 days by hour and engagement, leaves out the viewer's own and those of accounts it follows, mutes or is in a block with and private accounts', and pages a frozen ranking while likes move it", async () => {
    await expectExplore(createMemoryReadModelStore({ counters }));
  });
});
