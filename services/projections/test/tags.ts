import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import { NotFound, ReadModelQueries } from '../src/queries/read-model-queries.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

/**
 * Tag pages and the new fields of Post, step by step, against `store` (memory or MongoDB + Redis): a tag in any
 * case is one tag; recent is newest first, top most engaged first and frozen while likes move; a switch to
 * private takes the account's posts out and back; an edit moves a post between tags; a block hides each side's
 * posts (and mentions) from the other; a deleted post or account leaves, and a deleted account's mention too.
 */
export async function expectTagPages(store: ReadModelStore): Promise<void> {
  const h = new HistoryBuilder();
  const ann = h.register('ann');
  const bob = h.register('bob');
  const cid = h.register('cid');
  const dan = h.register('dan');
  const annCafe = h.post(ann, 'coffee #Café #sun @bob @dan', [bob, dan]);
  const bobCafe = h.post(bob, 'more #CAFÉ');
  const cidCafe = h.post(cid, '#café again');
  h.post(ann, 'only #sun');
  h.like(annCafe, ann, bob);
  h.like(annCafe, ann, cid);
  h.like(bobCafe, bob, ann);
  const projector = new Projector(store);
  const queries = new ReadModelQueries(() => store);
  let applied = 0;
  const catchUp = async () => {
    const messages = messagesOf(h.events);
    for (const message of messages.slice(applied)) await projector.handle(message);
    applied = messages.length;
  };
  const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);
  const recent = async (tag: string, viewerId?: string) =>
    ids(await queries.taggedPosts(tag, 'recent', { limit: 50 }, viewerId));

  await catchUp();
  expect(await queries.tag('café')).toEqual({ name: 'café', postCount: 3 });
  expect(await recent('café')).toEqual([cidCafe, bobCafe, annCafe]);
  const [shown] = (await queries.taggedPosts('café', 'top', { limit: 1 }, undefined)).items;
  expect(shown?.hashtags).toEqual(['café', 'sun']);
  expect(shown?.mentions.map((account) => account.id)).toEqual([bob, dan]);

  // Top: most likes + comments first; a page at a time while the counts move, each post once.
  const first = await queries.taggedPosts('café', 'top', { limit: 1 }, undefined);
  expect(ids(first)).toEqual([annCafe]);
  for (const liker of [ann, bob, dan]) h.like(cidCafe, cid, liker);
  await catchUp();
  const second = await queries.taggedPosts('café', 'top', { limit: 1, cursor: first.nextCursor ?? '' });
  const third = await queries.taggedPosts('café', 'top', { limit: 1, cursor: second.nextCursor ?? '' });
  expect([...ids(second), ...ids(third)]).toEqual([bobCafe, cidCafe]);
  expect(third.nextCursor).toBeNull();
  expect(ids(await queries.taggedPosts('café', 'top', { limit: 50 }))).toEqual([cidCafe, annCafe, bobCafe]);

  // Private accounts' posts leave tag pages and counts, and come back with the switch to public.
  h.updateProfile(cid, { isPrivate: true });
  await catchUp();
  expect(await queries.tag('café')).toEqual({ name: 'café', postCount: 2 });
  expect(await recent('café', cid)).toEqual([bobCafe, annCafe]);
  h.updateProfile(cid, { isPrivate: false });
  await catchUp();
  expect(await recent('café')).toEqual([cidCafe, bobCafe, annCafe]);

  // An edit moves the post from its old tags to its new ones.
  h.editPost(bobCafe, bob, 'now #other');
  await catchUp();
  expect(await recent('café')).toEqual([cidCafe, annCafe]);
  expect(await queries.tag('other')).toEqual({ name: 'other', postCount: 1 });

  // A block: neither side sees the other's posts on a tag page, nor among a post's mentions.
  const danCafe = h.post(dan, '#café from dan');
  h.block(ann, dan);
  await catchUp();
  expect(await recent('café', dan)).toEqual([danCafe, cidCafe]);
  expect(await recent('café', ann)).toEqual([cidCafe, annCafe]);
  expect(await recent('café')).toEqual([danCafe, cidCafe, annCafe]);
  const [annSees] = (await queries.taggedPosts('sun', 'recent', { limit: 50 }, ann)).items.slice(-1);
  expect(annSees?.mentions.map((account) => account.id)).toEqual([bob]);

  // A deleted post leaves; a deleted account's posts leave, and so does its mention.
  h.deletePost(cidCafe, cid);
  h.deleteUser(bob);
  await catchUp();
  expect(await recent('café')).toEqual([danCafe, annCafe]);
  await expect(queries.tag('other')).rejects.toBeInstanceOf(NotFound);
  await expect(queries.taggedPosts('other', 'recent', { limit: 5 })).rejects.toBeInstanceOf(NotFound);
  const [annPost] = (await queries.taggedPosts('café', 'recent', { limit: 50 })).items.slice(-1);
  expect(annPost?.mentions.map((account) => account.id)).toEqual([dan]);
}
