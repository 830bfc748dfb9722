import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import type { AccountDirectory } from '@gram/service-kit';
import {
  type CommentEvent,
  type CommentState,
  type CommentVisibility,
  commentDecider,
  commentVisibility,
} from './comments/comment.js';
import { FoldedStreams } from './folded-streams.js';
import {
  type PostEvent,
  type PostState,
  type PostVisibility,
  postDecider,
  postVisibility,
} from './posts/post.js';

/**
 * The cross-aggregate checks of content: is the post a like or comment attaches to still there,
 * who wrote it, is the comment a reply answers still there. Each is answered by folding the
 * other aggregate's own stream from the event store (`post-<id>`, `comment-<id>`, read up to
 * its current end on every check, see FoldedStreams) and the author's account status from
 * identity's `user-<id>` stream (AccountDirectory): the write
 * side's own knowledge, which is never behind. A read model could still show a post deleted a
 * moment ago, and a like appended under it would count on a post nobody can see.
 *
 * The checks and the append that relies on them are not one transaction: a post deleted between
 * them leaves a like or comment under a deleted post. That is harmless by construction: every
 * read hides what hangs under a deleted post, and deleting a post is final.
 */
export class ContentVisibility {
  // Every like, comment and reply checks a post, and hot posts are checked thousands of times
  // between two of their own events: folded incrementally, each check reads only what is new.
  readonly #posts: FoldedStreams<PostState, PostEvent>;
  readonly #comments: FoldedStreams<CommentState, CommentEvent>;

  constructor(
    store: EventStore,
    private readonly accounts: AccountDirectory,
  ) {
    this.#posts = new FoldedStreams(store, postDecider);
    this.#comments = new FoldedStreams(store, commentDecider);
  }

  /**
   * Whether the API shows the post: live in `post-<postId>`, and its author's account not deleted; with whether
   * that account is private, from the same read of its stream (the writes that engage with the post need it).
   */
  async post(postId: string): Promise<PostVisibility> {
    const state = await this.#posts.load(streamIds.post(postId));
    if (state.status !== 'live') return { visible: false };
    return postVisibility(state, await this.accounts.standing(state.authorId));
  }

  /** Whether the API shows the comment: live in `comment-<commentId>`, its author's account not deleted, its post visible. */
  async comment(commentId: string): Promise<CommentVisibility> {
    return this.commentOf(await this.#comments.load(streamIds.comment(commentId)));
  }

  /** The same judgement for a comment state already loaded (a reply being deleted knows its comment's id). */
  async commentOf(state: CommentState): Promise<CommentVisibility> {
    if (state.status !== 'live') return { visible: false };
    const [authorStatus, post] = await Promise.all([
      this.accounts.status(state.authorId),
      this.post(state.postId),
    ]);
    return commentVisibility(state, authorStatus, post);
  }
}
