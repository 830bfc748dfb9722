import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import { ReadModelQueries } from '../src/queries/read-model-queries.js';
import { eraseAccountFromSearch } from '../src/read-models/search/erasure.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

/**
 * What user search and tag search find, step by step, against `store` (memory or MongoDB + Redis): accents and
 * case ignored, prefixes of the userName, of each word of the name and of the whole name; the ranking (exact
 * userName, followed, followers, userName) and its paging; private accounts found, blocked and deleted ones
 * not; an account erased before its deletion arrives stays out when a late ProfileUpdated comes; tags counted
 * from live posts of public accounts, a switch to private taking them out and back in; every event delivered
 * again changes nothing.
 */
export async function expectSearchFinds(store: ReadModelStore): Promise<void> {
  const h = new HistoryBuilder();
  const viewer = h.register('viewer', 'Vera Viewer');
  const garcia = h.register('jose.garcia', 'José María García-López');
  const josephine = h.register('josephine', 'Joséphine Baker');
  const jos = h.register('jos', 'Plain Name');
  const joss = h.register('JossWhedon', 'Joss');
  const other = h.register('other', 'Another One');
  const projector = new Projector(store);
  const queries = new ReadModelQueries(() => store);
  let applied = 0;
  const catchUp = async () => {
    const messages = messagesOf(h.events);
    for (const message of messages.slice(applied)) await projector.handle(message);
    applied = messages.length;
  };
  const found = async (q: string, viewerId?: string) =>
    (await queries.searchUsers(q, { limit: 50 }, viewerId)).items.map((item) => item.userName);
  const tags = async (q: string) => (await queries.searchTags(q, { limit: 50 })).items;

  // Followers: josephine 2, garcia 1; the viewer follows garcia.
  h.follow(viewer, garcia);
  h.follow(other, josephine);
  h.follow(jos, josephine);
  await catchUp();

  expect(await found('jose'), 'a userName prefix and a name word, accents ignored').toEqual([
    'josephine',
    'jose.garcia',
  ]);
  expect(await found('JOSÉ'), 'case and accents ignored in the query too').toEqual(await found('jose'));
  expect(await found('jose', viewer), 'an account the viewer follows before more followers').toEqual([
    'jose.garcia',
    'josephine',
  ]);
  expect(await found('jos', viewer), 'the exact userName first').toEqual([
    'jos',
    'jose.garcia',
    'josephine',
    'JossWhedon',
  ]);
  expect(await found('lopez'), 'a word after a hyphen').toEqual(['jose.garcia']);
  expect(await found('maría'), 'a word in the middle').toEqual(['jose.garcia']);
  expect(await found('josé maría g'), 'a prefix of the whole name').toEqual(['jose.garcia']);
  expect(await found('maria g'), 'not a prefix of a word nor of the name').toEqual([]);
  expect(await found('osephine'), 'prefixes only, not substrings').toEqual([]);
  expect((await queries.searchUsers('jose', { limit: 50 }, viewer)).items[0]).toEqual({
    id: garcia,
    userName: 'jose.garcia',
    name: 'José María García-López',
    profilePic: 'https://img.example/default.png',
    followedByMe: true,
  });
  expect((await queries.searchUsers('jose', { limit: 50 })).items[0]).not.toHaveProperty('followedByMe');

  // Paging by rank: one at a time, every account once, in order.
  const paged: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await queries.searchUsers('jos', { limit: 1, ...(cursor ? { cursor } : {}) }, viewer);
    paged.push(...page.items.map((item) => item.userName));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  expect(paged).toEqual(await found('jos', viewer));

  // What the viewer follows moves between its searches (an index may keep its followees' terms between them):
  // a followee renamed, an unfollow, a follow, a followee deleted.
  const followedByViewer = async (q: string) =>
    (await queries.searchUsers(q, { limit: 50 }, viewer)).items.map((item) => [
      item.userName,
      item.followedByMe,
    ]);
  const joseph = h.register('joseph', 'Joseph Conrad');
  h.follow(viewer, joseph);
  await catchUp();
  expect(await followedByViewer('josep'), 'a new followee first').toEqual([
    ['joseph', true],
    ['josephine', false],
  ]);
  h.updateProfile(garcia, { name: 'Pepe García-López' });
  await catchUp();
  expect(await followedByViewer('pepe'), "a followee's new name").toEqual([['jose.garcia', true]]);
  expect(await followedByViewer('maría'), 'not its old one').toEqual([]);
  h.unfollow(viewer, joseph);
  h.follow(viewer, josephine);
  await catchUp();
  expect(await followedByViewer('josep'), 'an unfollow and a follow').toEqual([
    ['josephine', true],
    ['joseph', false],
  ]);
  h.follow(viewer, joseph);
  await catchUp();
  expect(await followedByViewer('conr')).toEqual([['joseph', true]]);
  h.deleteUser(joseph);
  await catchUp();
  expect(await followedByViewer('josep'), 'a followee deleted').toEqual([['josephine', true]]);
  expect(await followedByViewer('conr')).toEqual([]);
  h.unfollow(viewer, josephine);
  h.updateProfile(garcia, { name: 'José María García-López' });
  await catchUp();
  expect(await followedByViewer('maría')).toEqual([['jose.garcia', true]]);

  // A name change: found by the new name, not the old one; private accounts are found.
  h.updateProfile(josephine, { name: 'Nina Simone', isPrivate: true });
  await catchUp();
  expect(await found('baker')).toEqual([]);
  expect(await found('simo')).toEqual(['josephine']);
  expect(await found('josephine'), 'still found by its userName').toEqual(['josephine']);

  // Blocks: neither side finds the other; anyone else finds both.
  h.block(viewer, joss);
  await catchUp();
  expect(await found('joss', viewer)).toEqual([]);
  expect(await found('vera', joss)).toEqual([]);
  expect(await found('joss', other)).toEqual(['JossWhedon']);
  expect(await found('joss')).toEqual(['JossWhedon']);

  // A deletion: gone, and its terms with it.
  h.deleteUser(jos);
  await catchUp();
  expect(await found('plain')).toEqual([]);
  expect(await store.search.termsOf('users', jos)).toEqual([]);

  // Erased through identity before its UserDeleted arrives: a ProfileUpdated applied later files nothing.
  await eraseAccountFromSearch(store, other);
  expect(await found('another')).toEqual([]);
  h.updateProfile(other, { name: 'Back Again' });
  await catchUp();
  expect(await found('back')).toEqual([]);
  expect(await found('other')).toEqual([]);
  expect(await store.search.termsOf('users', other)).toEqual([]);
  h.deleteUser(other);
  await catchUp();

  // Tags: live posts of live public accounts.
  const cafe = h.post(garcia, 'morning #Café #sun');
  h.post(viewer, 'also #CAFÉ, and #cafe');
  const hidden = h.post(josephine, '#café from a private account');
  const edited = h.post(viewer, '#caffeine');
  await catchUp();
  expect(await tags('caf')).toEqual([
    { name: 'café', postCount: 2 },
    { name: 'cafe', postCount: 1 },
    { name: 'caffeine', postCount: 1 },
  ]);
  expect(await tags('#CAF'), 'a leading # and the case ignored').toEqual(await tags('caf'));
  expect(await tags('su')).toEqual([{ name: 'sun', postCount: 1 }]);
  h.updateProfile(josephine, { isPrivate: false });
  h.editPost(edited, viewer, 'no tag now');
  await catchUp();
  expect(await tags('caf'), 'back to public brings its posts in; an edit takes its tags out').toEqual([
    { name: 'café', postCount: 3 },
    { name: 'cafe', postCount: 1 },
  ]);
  h.deletePost(cafe, garcia);
  h.updateProfile(viewer, { isPrivate: true });
  await catchUp();
  expect(await tags('caf'), 'a deleted post and a switch to private take posts out').toEqual([
    { name: 'café', postCount: 1 },
  ]);
  h.deleteUser(josephine);
  await catchUp();
  expect(await tags('caf'), "a deleted account's posts leave their tags").toEqual([]);
  expect(await store.search.termsOf('tags', hidden)).toEqual([]);

  // Delivered again, every event changes nothing.
  const before = [await found('jose', viewer), await found('vera'), await tags('caf'), await tags('su')];
  for (const message of messagesOf(h.events)) await projector.handle(message);
  expect([await found('jose', viewer), await found('vera'), await tags('caf'), await tags('su')]).toEqual(
    before,
  );
}
