import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import { ReadModelQueries } from '../src/queries/read-model-queries.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

/**
 * What a mute does to the read models, step by step, against `store` (memory or MongoDB + Redis): the muted
 * author's posts leave the muter's feed and new ones stay out, the muter's mutes list and mutedByMe show it
 * and nobody else's views change, and an unmute brings the posts back since the muter follows the author.
 * With `hotAuthorThreshold` 0 every followed author is hot (merged at read time) rather than fanned out.
 */
export async function expectMutesKeepFeeds(
  store: ReadModelStore,
  hotAuthorThreshold?: number,
): Promise<void> {
  const h = new HistoryBuilder();
  const ann = h.register('ann');
  const bob = h.register('bob');
  const cid = h.register('cid');
  h.follow(ann, bob);
  h.follow(ann, cid);
  h.follow(cid, bob);
  const before = h.post(bob);
  const fromCid = h.post(cid);
  const projector = new Projector(store, hotAuthorThreshold === undefined ? {} : { hotAuthorThreshold });
  const queries = new ReadModelQueries(() => store);
  let applied = 0;
  const catchUp = async () => {
    const messages = messagesOf(h.events);
    for (const message of messages.slice(applied)) await projector.handle(message);
    applied = messages.length;
  };
  const feedOf = async (userId: string) => (await queries.feed(userId, { limit: 50 })).items.map((p) => p.id);

  await catchUp();
  expect(await feedOf(ann)).toEqual([fromCid, before]);

  h.mute(ann, bob);
  h.mute(ann, cid);
  h.unmute(ann, cid);
  await catchUp();
  expect(await feedOf(ann), 'the muted author leaves the feed').toEqual([fromCid]);

  const after = h.post(bob);
  await catchUp();
  expect(await feedOf(ann), "the muted author's new post stays out").toEqual([fromCid]);
  expect(await feedOf(cid), "another follower's feed is unchanged").toEqual([after, fromCid, before]);
  expect(await feedOf(bob), "the muted author's own feed is unchanged").toEqual([after, before]);

  expect((await queries.profile(bob, ann)).mutedByMe).toBe(true);
  expect((await queries.profile(bob, cid)).mutedByMe, 'only the viewer’s own mutes').toBe(false);
  expect((await queries.profile(ann, bob)).mutedByMe).toBe(false);
  expect(await queries.profile(bob)).not.toHaveProperty('mutedByMe');
  expect((await queries.mutes(ann, { limit: 10 })).items.map((u) => u.id)).toEqual([bob]);
  expect((await queries.mutes(bob, { limit: 10 })).items).toEqual([]);

  h.mute(ann, cid);
  await catchUp();
  expect(
    (await queries.mutes(ann, { limit: 1 })).items.map((u) => u.id),
    'newest mute first',
  ).toEqual([cid]);
  const second = await queries.mutes(ann, { limit: 1 });
  expect(
    (await queries.mutes(ann, { limit: 1, cursor: second.nextCursor ?? undefined })).items.map((u) => u.id),
  ).toEqual([bob]);

  h.unmute(ann, bob);
  h.unmute(ann, cid);
  await catchUp();
  expect(await feedOf(ann), 'unmuting brings back the posts of the accounts followed').toEqual([
    after,
    fromCid,
    before,
  ]);
  expect((await queries.mutes(ann, { limit: 10 })).items).toEqual([]);
  expect((await queries.profile(bob, ann)).mutedByMe).toBe(false);

  // Delivered again, every event changes nothing.
  for (const message of messagesOf(h.events)) await projector.handle(message);
  expect(await feedOf(ann)).toEqual([after, fromCid, before]);
}
