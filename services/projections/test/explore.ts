import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import { ReadModelQueries } from '../src/queries/read-model-queries.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

const hour = 60 * 60 * 1_000;
const day = 24 * hour;

/**
 * Explore, step by step, against `store` (memory or MongoDB + Redis): public posts of the last 30 days; of two
 * posts of the same hour the more engaged first, a newer hour before an older one less than twice as engaged;
 * never the viewer's own posts nor those of accounts it follows, mutes or is in a block with; never a private
 * account's; and paging never repeats a post while likes move the ranking.
 */
export async function expectExplore(store: ReadModelStore): Promise<void> {
  const start = Date.UTC(2025, 0, 1);
  const h = new HistoryBuilder(start);
  const viewer = h.register('viewer');
  const ann = h.register('ann');
  const bob = h.register('bob');
  const secret = h.register('secret');
  const followed = h.register('followed');
  const muted = h.register('muted');
  const blocker = h.register('blocker');
  h.updateProfile(secret, { isPrivate: true });
  h.follow(viewer, followed);
  h.mute(viewer, muted);
  h.block(blocker, viewer);
  const tooOld = h.post(ann);
  h.advance(33 * day);
  const annEngaged = h.post(ann);
  const bobQuiet = h.post(bob);
  h.like(annEngaged, ann, bob);
  h.like(annEngaged, ann, viewer);
  h.advance(2 * hour);
  const bobNewer = h.post(bob);
  h.post(secret);
  const followedPost = h.post(followed);
  const mutedPost = h.post(muted);
  const blockerPost = h.post(blocker);
  const ownPost = h.post(viewer);
  const now = start + 34 * day;
  const projector = new Projector(store);
  const queries = new ReadModelQueries(() => store, { now: () => now });
  let applied = 0;
  const catchUp = async () => {
    const messages = messagesOf(h.events);
    for (const message of messages.slice(applied)) await projector.handle(message);
    applied = messages.length;
  };
  const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

  await catchUp();
  expect(ids(await queries.explore({ limit: 50 }, viewer))).toEqual([bobNewer, annEngaged, bobQuiet]);
  expect(ids(await queries.explore({ limit: 50 }))).toEqual([
    ownPost,
    blockerPost,
    mutedPost,
    followedPost,
    bobNewer,
    annEngaged,
    bobQuiet,
  ]);
  expect(ids(await queries.explore({ limit: 50 }))).not.toContain(tooOld);

  // Paging while likes move the ranking: each post once, in the order frozen by the first page.
  const first = await queries.explore({ limit: 1 }, viewer);
  for (const liker of [ann, followed, muted, viewer]) h.like(bobQuiet, bob, liker);
  await catchUp();
  const second = await queries.explore({ limit: 1, cursor: first.nextCursor ?? '' }, viewer);
  const third = await queries.explore({ limit: 1, cursor: second.nextCursor ?? '' }, viewer);
  expect([...ids(first), ...ids(second), ...ids(third)]).toEqual([bobNewer, annEngaged, bobQuiet]);
  expect(third.nextCursor).toBeNull();
  // A new first page ranks by the new counts: of the same hour the more engaged first, and four times the
  // engagement (more than two doublings) outranks a post two hours newer.
  expect(ids(await queries.explore({ limit: 50 }, viewer))).toEqual([bobQuiet, bobNewer, annEngaged]);

  // A switch to private takes the account's posts out.
  h.updateProfile(bob, { isPrivate: true });
  await catchUp();
  expect(ids(await queries.explore({ limit: 50 }, viewer))).toEqual([annEngaged]);
}
