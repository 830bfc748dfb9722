import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import { frozenBlock } from '../src/queries/ranked.js';
import { ReadModelQueries } from '../src/queries/read-model-queries.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

/** `posts` posts of four authors tagged #big a minute apart, every seventh liked by `viewer`, projected into `store`. */
export async function community(posts: number, store: ReadModelStore) {
  const h = new HistoryBuilder();
  const authors = ['ann', 'bob', 'cid', 'dan'].map((name) => h.register(name));
  const viewer = h.register('viewer');
  const ids: string[] = [];
  for (let i = 0; i < posts; i++) {
    const author = authors[i % authors.length] as string;
    ids.push(h.post(author, `photo ${i} #big`));
    h.advance(60_000);
  }
  // Engagement on some, so the ranking is not the creation order.
  for (let i = 0; i < posts; i += 7) h.like(ids[i] as string, authors[i % authors.length] as string, viewer);
  const projector = new Projector(store);
  let applied = 0;
  const catchUp = async () => {
    const messages = messagesOf(h.events);
    for (const message of messages.slice(applied)) await projector.handle(message);
    applied = messages.length;
  };
  await catchUp();
  return { h, store, ids, authors, viewer, catchUp };
}

/**
 * A tag's top posts paged through past the first frozen block (rankedPage) while, between every two pages, likes
 * and unlikes move the least engaged posts to the top and the most engaged down: every post is shown once.
 */
export async function expectTopPagingOnce(store: ReadModelStore): Promise<void> {
  const total = frozenBlock + 60;
  const { h, ids, authors, viewer, catchUp } = await community(total, store);
  const queries = new ReadModelQueries(() => store);
  const seen: string[] = [];
  let cursor: string | undefined;
  let page = 0;
  do {
    const answer = await queries.taggedPosts('big', 'top', { limit: 50, ...(cursor ? { cursor } : {}) });
    seen.push(...answer.items.map((post) => post.id));
    cursor = answer.nextCursor ?? undefined;
    for (const [i, id] of ids.entries()) {
      const author = authors[i % authors.length] as string;
      if ((i + page) % 11 === 0) h.like(id, author, author);
      if (i % 7 === 0 && page % 2 === 0) h.unlike(id, viewer);
      if (i % 7 === 0 && page % 2 === 1) h.like(id, author, viewer);
    }
    await catchUp();
    page++;
  } while (cursor);
  expect(page).toBeGreaterThan(frozenBlock / 50);
  expect(seen).toHaveLength(total);
  expect(new Set(seen).size).toBe(total);
}
