import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import { Blocked, NotFound, ReadModelQueries } from '../src/queries/read-model-queries.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

/**
 * What a block does to the read models, step by step, against `store` (memory or MongoDB + Redis). Ann and bob
 * follow each other, cid follows both. Ann blocks bob, and the follow bob had on ann is delivered again after
 * the block (a redelivery of its stream, before the unfollows the write side appends): each one's posts leave
 * the other's feed and stay out, the follow fans nothing out; for bob ann does not exist, for ann bob's content
 * is refused as blocked; neither shows in the other's lists; cid sees both. An unblock lets nothing back that
 * the block ended, and a new follow feeds again. With `hotAuthorThreshold` 0 every followed author is hot
 * (merged at read time) rather than fanned out.
 */
export async function expectBlocksSeparate(
  store: ReadModelStore,
  hotAuthorThreshold?: number,
): Promise<void> {
  const h = new HistoryBuilder();
  const ann = h.register('ann');
  const bob = h.register('bob');
  const cid = h.register('cid');
  h.follow(ann, bob);
  h.follow(bob, ann);
  h.follow(cid, ann);
  h.follow(cid, bob);
  const annPost = h.post(ann);
  const bobPost = h.post(bob);
  h.like(annPost, ann, bob);
  h.like(annPost, ann, cid);
  h.like(bobPost, bob, ann);
  const bobComment = h.comment(annPost, ann, bob, 'from bob');
  const cidComment = h.comment(annPost, ann, cid, 'from cid');
  h.reply(cidComment, annPost, ann, bob, 'bob replies');
  h.reply(cidComment, annPost, ann, cid, 'cid replies');
  const projector = new Projector(store, hotAuthorThreshold === undefined ? {} : { hotAuthorThreshold });
  const queries = new ReadModelQueries(() => store);
  let applied = 0;
  const catchUp = async () => {
    const messages = messagesOf(h.events);
    for (const message of messages.slice(applied)) await projector.handle(message);
    applied = messages.length;
  };
  const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);
  const list = { limit: 50 };
  const feedOf = async (userId: string) => ids(await queries.feed(userId, { limit: 50 }));
  // The feed as kept, without the read's own check: what fan-out, refills and merges put in it.
  const keptFeedOf = async (userId: string) => {
    const [entries, merged] = await Promise.all([
      store.feeds.page(userId, undefined, 50),
      store.feeds.mergedAuthors(userId, 50),
    ]);
    const posts = await Promise.all(merged.map((authorId) => queries.userPosts(authorId, list)));
    return new Set([...entries.map((entry) => entry.id), ...posts.flatMap(ids)]);
  };

  await catchUp();
  expect(await feedOf(ann)).toEqual([bobPost, annPost]);
  expect(await feedOf(bob)).toEqual([bobPost, annPost]);

  const between = (streamId: string) => streamId.includes(ann) && streamId.includes(bob);
  const follows = messagesOf(h.events).filter((m) => m.type === 'UserFollowed' && between(m.streamId));
  h.block(ann, bob);
  await catchUp();
  expect(await feedOf(ann), "bob's posts leave ann's feed").toEqual([annPost]);
  expect(await feedOf(bob), "ann's posts leave bob's feed").toEqual([bobPost]);
  expect([...(await keptFeedOf(ann))], 'taken out of the feed as kept, not only at read').toEqual([annPost]);
  expect([...(await keptFeedOf(bob))]).toEqual([bobPost]);
  // The follows between them, delivered again after the block and before their ends: they feed nothing.
  for (const message of follows) await projector.handle(message);
  expect([...(await keptFeedOf(ann))]).toEqual([annPost]);
  expect([...(await keptFeedOf(bob))]).toEqual([bobPost]);
  const annLater = h.post(ann);
  const bobLater = h.post(bob);
  await catchUp();
  expect(await feedOf(ann), "bob's new post stays out of ann's feed").toEqual([annLater, annPost]);
  expect(await feedOf(bob), "ann's new post stays out of bob's feed").toEqual([bobLater, bobPost]);
  expect(await feedOf(cid), "a third account's feed keeps both").toEqual([
    bobLater,
    annLater,
    bobPost,
    annPost,
  ]);
  expect([...(await keptFeedOf(ann))].sort(), 'kept apart by fan-out and merges, not only at read').toEqual(
    [annLater, annPost].sort(),
  );
  expect([...(await keptFeedOf(bob))].sort()).toEqual([bobLater, bobPost].sort());
  // A post fanned out while the block was being applied (the fan-out read no block, then the block's reconcile
  // read the author's posts before this one): the feed as read leaves it out still.
  await store.feeds.add(
    [bob],
    [{ id: annLater, value: Date.parse((await queries.post(annLater)).createdAt) }],
  );
  expect(await feedOf(bob), 'a post that raced the block into the feed stays hidden').toEqual([
    bobLater,
    bobPost,
  ]);

  // For bob, ann does not exist.
  for (const read of [
    () => queries.profile(ann, bob),
    () => queries.profileByUserName('ann', bob),
    () => queries.userPosts(ann, list, bob),
    () => queries.followers(ann, list, bob),
    () => queries.following(ann, list, bob),
    () => queries.post(annPost, bob),
    () => queries.likers(annPost, list, bob),
    () => queries.comments(annPost, list, bob),
    () => queries.replies(cidComment, list, bob),
  ]) {
    await expect(read(), read.toString()).rejects.toThrow(NotFound);
  }
  // For ann, bob is there, blocked: its profile says so, its content is refused.
  expect(await queries.profile(bob, ann)).toMatchObject({ id: bob, blockedByMe: true });
  expect((await queries.profile(ann, bob).catch(() => undefined))?.blockedByMe).toBeUndefined();
  expect((await queries.profile(bob, cid)).blockedByMe, 'only the viewer’s own blocks').toBe(false);
  expect(await queries.profile(bob)).not.toHaveProperty('blockedByMe');
  for (const read of [
    () => queries.userPosts(bob, list, ann),
    () => queries.followers(bob, list, ann),
    () => queries.following(bob, list, ann),
    () => queries.post(bobPost, ann),
    () => queries.likers(bobPost, list, ann),
    () => queries.comments(bobPost, list, ann),
  ]) {
    await expect(read(), read.toString()).rejects.toThrow(Blocked);
  }
  // Neither shows in the other's lists (the follows and bob's engagement on ann's post are still live here:
  // the write side's unfollows, unlikes and deletions have not arrived yet); a third account sees both.
  expect(ids(await queries.likers(annPost, list, ann))).toEqual([cid]);
  expect(ids(await queries.likers(annPost, list, cid))).toEqual([cid, bob]);
  expect(ids(await queries.comments(annPost, list, ann))).toEqual([cidComment]);
  expect(ids(await queries.comments(annPost, list, cid))).toEqual([bobComment, cidComment]);
  expect((await queries.replies(cidComment, list, ann)).items.map((r) => r.text)).toEqual(['cid replies']);
  expect(ids(await queries.followers(ann, list, ann))).toEqual([cid]);
  expect(ids(await queries.following(ann, list, ann))).toEqual([]);
  expect(ids(await queries.followers(bob, list, cid))).toEqual([cid, ann]);
  expect(ids(await queries.following(cid, list, ann)), 'in a third account’s lists too').toEqual([ann]);
  expect(ids(await queries.following(cid, list, cid))).toEqual([bob, ann]);
  expect(ids(await queries.blocks(ann, list))).toEqual([bob]);
  expect(ids(await queries.blocks(bob, list)), 'only the blocker lists the block').toEqual([]);

  // What the write side appends on ann's behalf, then the unblock: nothing the block ended comes back.
  h.onBehalfOf(ann, () => {
    h.unfollow(ann, bob);
    h.removeFollower(ann, bob);
    h.unlike(annPost, bob);
    h.deleteComment(bobComment, annPost, ann);
  });
  h.unblock(ann, bob);
  await catchUp();
  expect(ids(await queries.blocks(ann, list))).toEqual([]);
  expect((await queries.profile(bob, ann)).blockedByMe).toBe(false);
  expect(await queries.profile(ann, bob)).toMatchObject({ followersCount: 1, followingCount: 0 });
  expect(await feedOf(ann), 'an unblock brings nothing back without a follow').toEqual([annLater, annPost]);
  expect(ids(await queries.likers(annPost, list, bob))).toEqual([cid]);
  expect(ids(await queries.comments(annPost, list, bob))).toEqual([cidComment]);
  h.follow(ann, bob);
  await catchUp();
  expect(await feedOf(ann), 'following again feeds again').toEqual([bobLater, annLater, bobPost, annPost]);

  // Blocks both ways: ending one leaves the other, so the feeds stay apart.
  h.block(ann, bob);
  h.block(bob, ann);
  h.unblock(ann, bob);
  await catchUp();
  expect(await feedOf(ann)).toEqual([annLater, annPost]);
  await expect(queries.profile(bob, ann)).rejects.toThrow(NotFound);

  // Delivered again, every event changes nothing.
  for (const message of messagesOf(h.events)) await projector.handle(message);
  expect(await feedOf(ann)).toEqual([annLater, annPost]);
  expect(ids(await queries.blocks(bob, list))).toEqual([ann]);
}
