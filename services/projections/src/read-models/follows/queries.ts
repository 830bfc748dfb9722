import type { FollowRequest, Page, Post, UserSummary } from '@gram/service-kit';
import { decodeCursor, encodeCursor } from '../../queries/cursor.js';
import { newestFirst, type PageRequest, rawPage } from '../../queries/paging.js';
import type { DocumentStore, FeedEntry, ReadModelStore } from '../../store/document-store.js';
import { followId } from '../../store/keys.js';
import { compareKeys } from '../../store/ordering.js';
import { inBlockWith } from '../blocks/documents.js';
import { assertNotBlocked } from '../blocks/rules.js';
import { isVisiblePost, visiblePostsBy } from '../posts/documents.js';
import { postViews } from '../posts/queries.js';
import { accountPage, profile, withAccounts } from '../profiles/queries.js';
import { type FollowEdge, followeesOf, followersOf, requestsTo } from './documents.js';
import { assertMaySee } from './privacy.js';

export async function followers(
  documents: DocumentStore,
  userId: string,
  request: PageRequest,
  viewerId?: string,
): Promise<Page<UserSummary>> {
  await profile(documents, userId);
  await assertNotBlocked(documents, userId, viewerId, `no user ${userId}`);
  await assertMaySee(documents, userId, viewerId);
  return accountPage(documents, 'follows', followersOf(userId), 'followerId', request, viewerId);
}

export async function following(
  documents: DocumentStore,
  userId: string,
  request: PageRequest,
  viewerId?: string,
): Promise<Page<UserSummary>> {
  await profile(documents, userId);
  await assertNotBlocked(documents, userId, viewerId, `no user ${userId}`);
  await assertMaySee(documents, userId, viewerId);
  return accountPage(documents, 'follows', followeesOf(userId), 'followeeId', request, viewerId);
}

/** The pending requests to follow `userId`, newest first; none from an account in a block with it. */
export async function followRequests(
  documents: DocumentStore,
  userId: string,
  request: PageRequest,
): Promise<Page<FollowRequest>> {
  const raw = await rawPage(documents, 'follows', requestsTo(userId), request);
  return withAccounts(documents, raw, request, 'followerId', userId, (edge: FollowEdge, user) => ({
    user,
    requestedAt: edge.requestedAt as string,
  }));
}

/** Whether `followerId` has a pending request to follow `followeeId` (requestedByMe). */
export async function hasRequested(
  documents: DocumentStore,
  followerId: string,
  followeeId: string,
): Promise<boolean> {
  return (await documents.get('follows', followId(followerId, followeeId)))?.requested === true;
}

/** Whether `followerId` follows `followeeId` now (followedByMe). */
export async function isFollowing(
  documents: DocumentStore,
  followerId: string,
  followeeId: string,
): Promise<boolean> {
  return (await documents.get('follows', followId(followerId, followeeId)))?.following === true;
}

/**
 * The home feed: the fanned-out sorted set, merged with the recent posts of the hot authors the user follows
 * (never fanned out), deduplicated (an author may have turned hot after some posts were fanned out), and
 * filtered by the posts as stored, so a deleted post never shows even before its removal reached the feed, and
 * by the accounts in a block with the user, read beside the feed, so a post fanned out while a block was being
 * applied (the fan-out read the block's absence, then the block took the author's posts out) never shows.
 * With the distributed read models, a user following no hot author is served from Redis alone: the feed, the
 * merged authors and the accounts in a block with the user side by side (the last two range reads, then the
 * edges they name), then the posts, then their authors and likedByMe.
 */
export async function feed(
  store: ReadModelStore,
  userId: string,
  request: PageRequest,
  hotAuthorLimit: number,
): Promise<Page<Post>> {
  const after = decodeCursor(request.cursor);
  const want = request.limit + 1;
  const [fannedOut, hotAuthors, blocks] = await Promise.all([
    store.feeds.page(userId, after, want),
    store.feeds.mergedAuthors(userId, hotAuthorLimit),
    inBlockWith(store.documents, userId),
  ]);
  const merged = new Map<string, FeedEntry>(fannedOut.map((entry) => [entry.id, entry]));
  const hotPosts = await Promise.all(
    hotAuthors.map((authorId) =>
      store.documents.pageKeys('posts', visiblePostsBy(authorId), newestFirst, after, want),
    ),
  );
  for (const keys of hotPosts) for (const key of keys) merged.set(key.id, key);
  const entries = [...merged.values()].sort((a, b) => -compareKeys(a, b)).slice(0, want);
  const page = entries.slice(0, request.limit);
  const posts = new Map(
    (
      await store.documents.getMany(
        'posts',
        page.map((e) => e.id),
      )
    ).map((p) => [p.id, p]),
  );
  const items = await postViews(
    store,
    page.flatMap((entry) => {
      const post = posts.get(entry.id);
      return post && isVisiblePost(post) && !blocks.has(post.authorId as string) ? [post] : [];
    }),
    userId,
    blocks,
  );
  const last = page[page.length - 1];
  return {
    items,
    nextCursor: entries.length > request.limit && last ? encodeCursor(last) : null,
  };
}
