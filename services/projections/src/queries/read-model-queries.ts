import { isVisiblePost } from '../projection/projector.js';
import {
  compareKeys,
  type Doc,
  type FeedEntry,
  type Filter,
  type Position,
  type ReadModelStore,
} from '../read-model/document-store.js';
import { followId } from '../read-model/keys.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { CommentView, Page, PostView, ProfileView, ReplyView, UserSummaryView } from './views.js';

/** The answer to "not found": unknown, deleted, or hidden with something deleted. The HTTP layer maps it to 404. */
export class NotFound extends Error {
  override readonly name = 'NotFound';
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

const newestFirst = { field: 'at', order: -1 } as const;
const oldestFirst = { field: 'at', order: 1 } as const;

/**
 * Every read of API.md, answered from one generation of read models. Each list is a keyset page over one
 * indexed equality filter, then one `getMany` of the users it names (no joins: FerretDB has none, and the
 * summaries are always current). `viewerId` is the authenticated caller, for likedByMe / followedByMe.
 */
export class ReadModelQueries {
  constructor(
    private readonly store: () => ReadModelStore,
    private readonly options: { hotAuthorLimit?: number } = {},
  ) {}

  private get documents() {
    return this.store().documents;
  }

  async profile(userId: string, viewerId?: string): Promise<ProfileView> {
    return (await this.profileWithRevision(userId, viewerId)).view;
  }

  /** The profile and the revision of the account's stream it was read at: its ETag (see the route). */
  async profileWithRevision(
    userId: string,
    viewerId?: string,
  ): Promise<{ view: ProfileView; revision: number }> {
    const user = await this.documents.get('users', userId);
    if (user?.status !== 'live') throw new NotFound(`no user ${userId}`);
    return { view: await this.profileView(user, viewerId), revision: user.rev };
  }

  async profileByUserName(userName: string, viewerId?: string): Promise<ProfileView> {
    const user = await this.documents.findOne('users', {
      userNameKey: userName.toLowerCase(),
      status: 'live',
    });
    if (!user) throw new NotFound(`no user named ${userName}`);
    return this.profileView(user, viewerId);
  }

  /** Whether the read model knows the account as deleted (its tokens are then refused). */
  async isDeletedAccount(userId: string): Promise<boolean> {
    return (await this.documents.get('users', userId))?.status === 'deleted';
  }

  async followers(userId: string, request: PageRequest): Promise<Page<UserSummaryView>> {
    await this.profile(userId);
    return this.userPage(
      'followerId',
      await this.rawPage('follows', { followeeId: userId, following: true, followerDeleted: false }, request),
      request.limit,
    );
  }

  async following(userId: string, request: PageRequest): Promise<Page<UserSummaryView>> {
    await this.profile(userId);
    return this.userPage(
      'followeeId',
      await this.rawPage('follows', { followerId: userId, following: true, followeeDeleted: false }, request),
      request.limit,
    );
  }

  async likers(postId: string, request: PageRequest): Promise<Page<UserSummaryView>> {
    await this.visiblePost(postId);
    return this.userPage(
      'userId',
      await this.rawPage('likes', { postId, liked: true, userDeleted: false }, request),
      request.limit,
    );
  }

  async userPosts(userId: string, request: PageRequest, viewerId?: string): Promise<Page<PostView>> {
    await this.profile(userId);
    const raw = await this.rawPage(
      'posts',
      { authorId: userId, status: 'live', authorDeleted: false },
      request,
    );
    return {
      items: await this.postViews(raw.slice(0, request.limit), viewerId),
      nextCursor: nextCursor(raw, request),
    };
  }

  async post(postId: string, viewerId?: string): Promise<PostView> {
    return (await this.postWithRevision(postId, viewerId)).view;
  }

  /** The post and the revision of its stream it was read at: its ETag (see the route). */
  async postWithRevision(postId: string, viewerId?: string): Promise<{ view: PostView; revision: number }> {
    const post = await this.visiblePost(postId);
    const [view] = await this.postViews([post], viewerId);
    if (!view) throw new NotFound(`no post ${postId}`);
    return { view, revision: post.rev };
  }

  async comments(postId: string, request: PageRequest): Promise<Page<CommentView>> {
    await this.visiblePost(postId);
    const raw = await this.rawPage(
      'comments',
      { postId, status: 'live', authorDeleted: false },
      request,
      oldestFirst,
    );
    const page = raw.slice(0, request.limit);
    const authors = await this.summaries(page.map((c) => c.authorId as string));
    return {
      items: page.flatMap((comment) => {
        const author = authors.get(comment.authorId as string);
        if (!author) return [];
        return [
          {
            id: comment.id,
            postId: comment.postId as string,
            author,
            text: comment.text as string,
            replyCount: (comment.replyCount as number | undefined) ?? 0,
            createdAt: comment.createdAt as string,
          },
        ];
      }),
      nextCursor: nextCursor(raw, request),
    };
  }

  async replies(commentId: string, request: PageRequest): Promise<Page<ReplyView>> {
    const comment = await this.documents.get('comments', commentId);
    if (comment?.status !== 'live' || comment.authorDeleted !== false) {
      throw new NotFound(`no comment ${commentId}`);
    }
    await this.visiblePost(comment.postId as string);
    const raw = await this.rawPage(
      'replies',
      { commentId, status: 'live', authorDeleted: false },
      request,
      oldestFirst,
    );
    const page = raw.slice(0, request.limit);
    const authors = await this.summaries(page.map((r) => r.authorId as string));
    return {
      items: page.flatMap((reply) => {
        const author = authors.get(reply.authorId as string);
        if (!author) return [];
        return [
          {
            id: reply.id,
            commentId: reply.commentId as string,
            postId: reply.postId as string,
            author,
            text: reply.text as string,
            createdAt: reply.createdAt as string,
          },
        ];
      }),
      nextCursor: nextCursor(raw, request),
    };
  }

  /**
   * The home feed: the fanned-out sorted set, merged with the recent posts of the hot authors the user follows
   * (never fanned out), deduplicated (an author may have turned hot after some posts were fanned out), and
   * filtered by the posts as stored, so a deleted post never shows even before its removal reached the feed.
   * With the distributed read models, a user following no hot author is served from Redis alone: the feed and
   * the merged authors, then the posts, then their authors and likedByMe, three pipelined round trips.
   */
  async feed(userId: string, request: PageRequest): Promise<Page<PostView>> {
    const after = decodeCursor(request.cursor);
    const want = request.limit + 1;
    const store = this.store();
    const [fannedOut, hotAuthors] = await Promise.all([
      store.feeds.page(userId, after, want),
      store.feeds.mergedAuthors(userId, this.options.hotAuthorLimit ?? 100),
    ]);
    const merged = new Map<string, FeedEntry>(fannedOut.map((entry) => [entry.id, entry]));
    const hotPosts = await Promise.all(
      hotAuthors.map((authorId) =>
        store.documents.pageKeys(
          'posts',
          { authorId, status: 'live', authorDeleted: false },
          newestFirst,
          after,
          want,
        ),
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
    const items = await this.postViews(
      page.flatMap((entry) => {
        const post = posts.get(entry.id);
        return post && isVisiblePost(post) ? [post] : [];
      }),
      userId,
      store,
    );
    const last = page[page.length - 1];
    return {
      items,
      nextCursor: entries.length > request.limit && last ? encodeCursor(last) : null,
    };
  }

  private async visiblePost(postId: string): Promise<Doc> {
    const post = await this.documents.get('posts', postId);
    if (!post || !isVisiblePost(post)) throw new NotFound(`no post ${postId}`);
    return post;
  }

  /** `limit + 1` documents after the cursor: the extra one says whether there is a next page. */
  private rawPage(
    collection: 'follows' | 'likes' | 'posts' | 'comments' | 'replies',
    filter: Filter,
    request: PageRequest,
    sort: { field: string; order: 1 | -1 } = newestFirst,
  ): Promise<Doc[]> {
    return this.documents.page(collection, filter, sort, decodeCursor(request.cursor), request.limit + 1);
  }

  private async userPage(field: string, raw: Doc[], limit: number): Promise<Page<UserSummaryView>> {
    const page = raw.slice(0, limit);
    const users = await this.summaries(page.map((edge) => edge[field] as string));
    return {
      items: page.flatMap((edge) => {
        const user = users.get(edge[field] as string);
        return user ? [user] : [];
      }),
      nextCursor: nextCursor(raw, { limit }),
    };
  }

  /** Summaries of the live accounts among `ids`; an account not projected yet or deleted is left out. */
  private async summaries(
    ids: string[],
    store: ReadModelStore = this.store(),
  ): Promise<Map<string, UserSummaryView>> {
    const users = await store.documents.getMany('users', [...new Set(ids)]);
    return new Map(users.filter((u) => u.status === 'live').map((u) => [u.id, summaryOf(u)]));
  }

  /** The views of `posts`, their authors and likedByMe read together. */
  private async postViews(posts: Doc[], viewerId?: string, store = this.store()): Promise<PostView[]> {
    const [authors, liked] = await Promise.all([
      this.summaries(
        posts.map((p) => p.authorId as string),
        store,
      ),
      viewerId === undefined
        ? undefined
        : store.liked.among(
            viewerId,
            posts.map((p) => p.id),
          ),
    ]);
    return posts.flatMap((post) => {
      const author = authors.get(post.authorId as string);
      if (!author) return [];
      return [
        {
          id: post.id,
          author,
          photo: post.photo as string,
          caption: post.caption as string,
          likesCount: (post.likesCount as number | undefined) ?? 0,
          commentsCount: (post.commentsCount as number | undefined) ?? 0,
          createdAt: post.createdAt as string,
          updatedAt: post.updatedAt as string,
          ...(liked ? { likedByMe: liked.has(post.id) } : {}),
        },
      ];
    });
  }

  private async profileView(user: Doc, viewerId?: string): Promise<ProfileView> {
    const view: ProfileView = {
      ...summaryOf(user),
      bio: user.bio as string,
      followersCount: (user.followersCount as number | undefined) ?? 0,
      followingCount: (user.followingCount as number | undefined) ?? 0,
      postCount: (user.postCount as number | undefined) ?? 0,
      createdAt: user.createdAt as string,
    };
    if (viewerId !== undefined) {
      const edge = await this.documents.get('follows', followId(viewerId, user.id));
      view.followedByMe = edge?.following === true;
    }
    return view;
  }
}

function summaryOf(user: Doc): UserSummaryView {
  return {
    id: user.id,
    userName: user.userName as string,
    name: user.name as string,
    profilePic: user.profilePic as string,
  };
}

function nextCursor(raw: Doc[], request: { limit: number }): string | null {
  if (raw.length <= request.limit) return null;
  const last = raw[request.limit - 1] as Doc;
  return encodeCursor({ value: last.at as number, id: last.id } satisfies Position);
}
