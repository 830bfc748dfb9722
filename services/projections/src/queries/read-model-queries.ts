import type { Comment, FollowRequest, Page, Post, Profile, Reply, Tag, UserSummary } from '@gram/service-kit';
import { blocks } from '../read-models/blocks/queries.js';
import { comments, likers, replies } from '../read-models/engagement/queries.js';
import { explore } from '../read-models/explore/queries.js';
import { feed, followers, following, followRequests } from '../read-models/follows/queries.js';
import { mutes } from '../read-models/mutes/queries.js';
import { post, postWithRevision, userPosts } from '../read-models/posts/queries.js';
import { isDeletedAccount } from '../read-models/profiles/documents.js';
import { profile, profileByUserName, profileWithRevision } from '../read-models/profiles/queries.js';
import { searchTags, searchUsers } from '../read-models/search/queries.js';
import { type TagOrder, tag, taggedPosts, tagPostCount } from '../read-models/tags/queries.js';
import type { ReadModelStore } from '../store/document-store.js';
import type { PageRequest } from './paging.js';

export { Blocked } from '../read-models/blocks/rules.js';
export { PrivateAccount } from '../read-models/follows/privacy.js';
export { NotFound, type PageRequest } from './paging.js';

/**
 * Every read of API.md, answered from one generation of read models by the queries of the read model it reads
 * (read-models/<name>/queries.ts). Each query reads the generation current when it starts, to its end.
 * `viewerId` is the authenticated caller, for likedByMe / followedByMe, for what a private account shows
 * (PrivateAccount otherwise), and for what a block between the viewer and an account hides (NotFound for the
 * blocked, Blocked for the blocker, and each left out of the other's lists: blocks/rules.ts).
 */
export class ReadModelQueries {
  constructor(
    private readonly store: () => ReadModelStore,
    private readonly options: {
      hotAuthorLimit?: number;
      /** what explore's 30 days count back from (ms); the wall clock unless a test fixes it */
      now?: () => number;
    } = {},
  ) {}

  profile(userId: string, viewerId?: string): Promise<Profile> {
    return profile(this.store().documents, userId, viewerId);
  }

  /** The profile and the revision of the account's stream it was read at: its ETag (see the route). */
  profileWithRevision(userId: string, viewerId?: string): Promise<{ view: Profile; revision: number }> {
    return profileWithRevision(this.store().documents, userId, viewerId);
  }

  profileByUserName(userName: string, viewerId?: string): Promise<Profile> {
    return profileByUserName(this.store().documents, userName, viewerId);
  }

  /** Whether the read model knows the account as deleted (its tokens are then refused). */
  isDeletedAccount(userId: string): Promise<boolean> {
    return isDeletedAccount(this.store().documents, userId);
  }

  followers(userId: string, request: PageRequest, viewerId?: string): Promise<Page<UserSummary>> {
    return followers(this.store().documents, userId, request, viewerId);
  }

  following(userId: string, request: PageRequest, viewerId?: string): Promise<Page<UserSummary>> {
    return following(this.store().documents, userId, request, viewerId);
  }

  /** The accounts `userId` mutes: only ever asked by `userId` itself. */
  mutes(userId: string, request: PageRequest): Promise<Page<UserSummary>> {
    return mutes(this.store().documents, userId, request);
  }

  /** The accounts `userId` blocks: only ever asked by `userId` itself. */
  blocks(userId: string, request: PageRequest): Promise<Page<UserSummary>> {
    return blocks(this.store().documents, userId, request);
  }

  /** The pending requests to follow `userId`, newest first. */
  followRequests(userId: string, request: PageRequest): Promise<Page<FollowRequest>> {
    return followRequests(this.store().documents, userId, request);
  }

  likers(postId: string, request: PageRequest, viewerId?: string): Promise<Page<UserSummary>> {
    return likers(this.store().documents, postId, request, viewerId);
  }

  userPosts(userId: string, request: PageRequest, viewerId?: string): Promise<Page<Post>> {
    return userPosts(this.store(), userId, request, viewerId);
  }

  post(postId: string, viewerId?: string): Promise<Post> {
    return post(this.store(), postId, viewerId);
  }

  /** The post and the revision of its stream it was read at: its ETag (see the route). */
  postWithRevision(postId: string, viewerId?: string): Promise<{ view: Post; revision: number }> {
    return postWithRevision(this.store(), postId, viewerId);
  }

  comments(postId: string, request: PageRequest, viewerId?: string): Promise<Page<Comment>> {
    return comments(this.store().documents, postId, request, viewerId);
  }

  replies(commentId: string, request: PageRequest, viewerId?: string): Promise<Page<Reply>> {
    return replies(this.store().documents, commentId, request, viewerId);
  }

  /** The accounts `q` finds, ranked for `viewerId` (search/queries.ts). */
  searchUsers(q: string, request: PageRequest, viewerId?: string): Promise<Page<UserSummary>> {
    return searchUsers(this.store(), q, request, viewerId);
  }

  /** The tags starting with `q`, most posts first. */
  searchTags(q: string, request: PageRequest): Promise<Page<Tag>> {
    return searchTags(this.store(), q, request);
  }

  feed(userId: string, request: PageRequest): Promise<Page<Post>> {
    return feed(this.store(), userId, request, this.options.hotAuthorLimit ?? 100);
  }

  /** A tag (normalized) and its postCount: NotFound when no post on tag pages carries it. */
  tag(name: string): Promise<Tag> {
    return tag(this.store().documents, name);
  }

  /** How many posts a tag page of `name` (normalized) holds: the postCount of tag pages and tag search. */
  tagPostCount(name: string): Promise<number> {
    return tagPostCount(this.store().documents, name);
  }

  taggedPosts(name: string, order: TagOrder, request: PageRequest, viewerId?: string): Promise<Page<Post>> {
    return taggedPosts(this.store(), name, order, request, viewerId);
  }

  explore(request: PageRequest, viewerId?: string): Promise<Page<Post>> {
    return explore(this.store(), request, viewerId, (this.options.now ?? Date.now)());
  }
}
