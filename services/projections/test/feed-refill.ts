import { expect } from 'vitest';
import { Projector } from '../src/projection/projector.js';
import type { ReadModelStore } from '../src/store/document-store.js';
import { messagesOf } from './deliveries.js';
import { HistoryBuilder } from './history.js';

/**
 * A feed at its cap loses part of itself to an unfollow: a reader follows a busy account and a quiet one, the
 * busy one's posts push the quiet one's out of the capped feed, then the reader unfollows the busy account.
 * The quiet account's posts, and the reader's own, must come back. `store` must cap feeds at `cap` entries.
 */
export async function expectUnfollowRefillsFullFeed(store: ReadModelStore, cap: number): Promise<void> {
  const history = new HistoryBuilder();
  const reader = history.register('reader');
  const busy = history.register('busy');
  const quiet = history.register('quiet');
  history.follow(reader, busy);
  history.follow(reader, quiet);
  const older = [history.post(quiet), history.post(reader), history.post(quiet)];
  const newer = Array.from({ length: cap + 1 }, () => history.post(busy));
  history.unfollow(reader, busy);

  const messages = messagesOf(history.events);
  const projector = new Projector(store, { feedCap: cap });
  const feed = async () => (await store.feeds.page(reader, undefined, cap + 10)).map((entry) => entry.id);
  for (const message of messages.slice(0, -1)) await projector.handle(message);
  expect(await feed()).toEqual(newer.slice(-cap).reverse());

  await projector.handle(messages.at(-1) as (typeof messages)[number]);
  expect(await feed()).toEqual([...older].reverse());
  // Delivered again, the unfollow changes nothing more.
  await projector.handle(messages.at(-1) as (typeof messages)[number]);
  expect(await feed()).toEqual([...older].reverse());
}
