import type { FeedEntry } from '../../store/document-store.js';
import { followId } from '../../store/keys.js';
import { compareKeys } from '../../store/ordering.js';
import { areInBlock, inBlockWith } from '../blocks/documents.js';
import { isMuting, mutedBy, mutersOfAuthor } from '../mutes/documents.js';
import { isVisiblePost, postFlags, postsBy, visiblePostsBy } from '../posts/documents.js';
import { userFlags } from '../profiles/documents.js';
import type { ProjectionContext } from '../read-model.js';
import {
  edgeFlags,
  edgesTo,
  feedEntriesOf,
  followeesOf,
  followersOf,
  isMergedEdge,
  mergingFollowerOf,
} from './documents.js';

/*
 * Home feeds, fanned out on write. Each handler reconciles a feed from the documents as stored (the post, the
 * follow edge, the author's hot flag), never from the event alone, so any order of events meets the same feeds.
 *
 * Known limits:
 * - A feed holds the newest `feedCap` entries. Every path converges for what is inside that window. An unfollow
 *   that takes entries out of a full feed refills it from the accounts still followed (refillFeed), but an entry
 *   that fell off does not come back when a post is deleted or a followed account is deleted: refilling every
 *   follower's feed from every account it follows would cost the deletion of a popular account millions of
 *   reads. So two histories that differ only in the order of events around the cap can end with feeds that
 *   differ below the newest entries. A feed read merges hot authors' posts at read time, which is not capped.
 * - Likewise, which posts of an author now hot were fanned out (before it turned hot) depends on the order of
 *   events; a read merges that author's posts anyway and deduplicates, so what a reader sees does not.
 */

/**
 * The followers whose feeds an author's posts are fanned out to: the live followers, but for those who mute the
 * author and those in a block with it either way (a follow edge of a blocked pair may still be live: its end
 * arrives as an unfollow on another stream, maybe later). Muters and blocks are range reads of the author's
 * lists, then one Set lookup per follower, so they cost the fan-out of a post nothing per follower but a hash
 * probe.
 */
async function fannedOutFollowerIds(context: ProjectionContext, userId: string): Promise<string[]> {
  const [followers, muters, blocks] = await Promise.all([
    context.documents.values('follows', followersOf(userId), 'followerId') as Promise<string[]>,
    mutersOfAuthor(context.documents, userId),
    inBlockWith(context.documents, userId),
  ]);
  if (muters.size === 0 && blocks.size === 0) return followers;
  return followers.filter((followerId) => !muters.has(followerId) && !blocks.has(followerId));
}

/** A post's place in the feeds of its author and the author's followers. */
export async function reconcilePostInFeeds(
  context: ProjectionContext,
  postId: string,
  authorId: string,
): Promise<void> {
  const { documents, feeds } = context;
  const post = await documents.get('posts', postId, postFlags);
  const author = await documents.get('users', authorId, userFlags);
  const audience = await fannedOutFollowerIds(context, authorId);
  audience.push(authorId);
  if (post && isVisiblePost(post)) {
    // A hot author's followers merge the post at read time; the author still finds it in their own feed.
    const fanOut = author?.hot === true ? [authorId] : audience;
    await feeds.add(fanOut, [{ id: postId, value: post.at as number }]);
  } else {
    // A post without a sort key never reached a feed.
    if (typeof post?.at === 'number') await feeds.remove(audience, [{ id: postId, value: post.at }]);
  }
}

/**
 * A hot author is not fanned out on write: the flag is copied onto the author's follow edges, and each
 * follower's feed merges the author's posts at read time (FeedStore.mergeAuthor). Cooling down fans the
 * author's recent posts out again, since posts written while hot are in no follower's feed. The author's own
 * flag is written last, so a crash before it is redone in full when the event is delivered again.
 */
export async function reconcileHotness(
  context: ProjectionContext,
  userId: string,
  hot: boolean,
): Promise<void> {
  const { documents: d, feeds } = context;
  const user = await d.get('users', userId, userFlags);
  if (user?.hot === hot) return;
  if (user?.hot !== true && !hot) {
    // Never hot: only the flag is written, so that every account recounted carries it, in any order of events.
    await d.setFields('users', userId, { hot });
    return;
  }
  await d.updateMany('follows', edgesTo(userId), { followeeHot: hot });
  const edges = await d.findAll('follows', edgesTo(userId), edgeFlags);
  if (hot) {
    // A muter's feed does not merge the author's posts, nor the feed of an account in a block with it
    // (reconcileFollowFeed keeps it so on mute, block and their ends).
    const [muters, blocks] = await Promise.all([mutersOfAuthor(d, userId), inBlockWith(d, userId)]);
    await feeds.mergeAuthor(
      userId,
      edges
        .filter((edge) => {
          const followerId = edge.followerId as string;
          return isMergedEdge(edge) && !muters.has(followerId) && !blocks.has(followerId);
        })
        .map(mergingFollowerOf),
    );
  } else {
    await feeds.unmergeAuthor(
      userId,
      edges.map((edge) => edge.followerId as string),
    );
    const entries = await recentFeedEntries(context, userId);
    if (entries.length > 0) await feeds.add(await fannedOutFollowerIds(context, userId), entries);
  }
  await d.setFields('users', userId, { hot });
}

/**
 * The author's newest visible posts as feed entries: the posts page's own keys, since a feed entry is such a
 * key. A memory store hands out the keys of its index, so a follow pulling hundreds of posts into a feed
 * allocates no entry (a tenth of a memory rebuild's time was spent making and collecting those copies).
 */
function recentFeedEntries(context: ProjectionContext, authorId: string): Promise<readonly FeedEntry[]> {
  return context.documents.pageKeys(
    'posts',
    visiblePostsBy(authorId),
    { field: 'at', order: -1 },
    undefined,
    context.feedCap,
  );
}

/**
 * Following brings the followee's recent posts in (or merges them at read time when the followee is hot);
 * not following takes every post of theirs out. Muting counts as not following for the feed (and nothing else):
 * a mute takes the muted author's posts out and unmerges a hot one, an unmute brings them back as a follow does.
 * So does a block either way: a follow of a blocked pair applied after the block (the unfollow that ends it is
 * on its own stream, and a redelivery or another partition may bring the follow later) feeds nothing, and the
 * end of the last block between them brings the posts back only if a follow is still live.
 */
export async function reconcileFollowFeed(
  context: ProjectionContext,
  followerId: string,
  followeeId: string,
): Promise<void> {
  const { documents, feeds } = context;
  const edge = await documents.get('follows', followId(followerId, followeeId), edgeFlags);
  const followee = await documents.get('users', followeeId, userFlags);
  const follower = await documents.get('users', followerId, userFlags);
  if (follower?.status === 'deleted') return;
  const fed =
    edge?.following === true &&
    !(await isMuting(documents, followerId, followeeId)) &&
    !(await areInBlock(documents, followerId, followeeId));
  if (fed && followee?.status !== 'deleted' && followee?.hot !== true) {
    const entries = await recentFeedEntries(context, followeeId);
    if (entries.length > 0) await feeds.add([followerId], entries);
  } else if (!fed) {
    const posts = await documents.findAll('posts', postsBy(followeeId), ['at']);
    const full = (await feeds.size(followerId)) >= context.feedCap;
    await feeds.remove([followerId], feedEntriesOf(posts));
    if (full) await refillFeed(context, followerId);
  }
  if (fed && edge && isMergedEdge(edge)) await feeds.mergeAuthor(followeeId, [mergingFollowerOf(edge)]);
  else await feeds.unmergeAuthor(followeeId, [followerId]);
}

/**
 * Fills a feed again from the recent posts of the accounts it fans out (the user's own and those of the live,
 * not hot, not muted accounts followed that are in no block with it): after an unfollow emptied part of a full
 * feed, the older posts of the others, which had fallen below the cap, come back. Adding what is already there changes nothing.
 */
async function refillFeed(context: ProjectionContext, userId: string): Promise<void> {
  // The filter of followingCount, so that the memory store answers from the index it already keeps current on
  // every follow, rather than building and keeping one more for this rare call.
  const edges = await context.documents.findAll('follows', followeesOf(userId), [
    'followeeId',
    'followeeHot',
  ]);
  const [muted, blocks] = await Promise.all([
    mutedBy(context.documents, userId),
    inBlockWith(context.documents, userId),
  ]);
  const followees = edges
    .map((edge) => ({ followeeId: edge.followeeId as string, hot: edge.followeeHot === true }))
    .filter(({ followeeId, hot }) => !hot && !muted.has(followeeId) && !blocks.has(followeeId))
    .map(({ followeeId }) => followeeId);
  const entries: FeedEntry[] = [];
  for (const authorId of [userId, ...followees])
    entries.push(...(await recentFeedEntries(context, authorId)));
  entries.sort((a, b) => -compareKeys(a, b));
  if (entries.length > 0) await context.feeds.add([userId], entries.slice(0, context.feedCap));
}
