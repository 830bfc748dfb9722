import type { Page, Post } from '@gram/service-kit';
import { NotFound, nextCursor, type PageRequest, rawPage } from '../../queries/paging.js';
import type { Doc, DocumentStore, ReadModelStore } from '../../store/document-store.js';
import { assertNotBlocked, hiddenFrom } from '../blocks/rules.js';
import { assertMaySee } from '../follows/privacy.js';
import { mentionIds, mentionsOf, profile, summaries } from '../profiles/queries.js';
import { isVisiblePost, type PostDocument, visiblePostsBy } from './documents.js';

export async function post(store: ReadModelStore, postId: string, viewerId?: string): Promise<Post> {
  return (await postWithRevision(store, postId, viewerId)).view;
}

/** The post and the revision of its stream it was read at: its ETag (see the route). */
export async function postWithRevision(
  store: ReadModelStore,
  postId: string,
  viewerId?: string,
): Promise<{ view: Post; revision: number }> {
  const document = await visiblePost(store.documents, postId, viewerId);
  const [view] = await postViews(store, [document], viewerId);
  if (!view) throw new NotFound(`no post ${postId}`);
  return { view, revision: document.rev };
}

export async function userPosts(
  store: ReadModelStore,
  userId: string,
  request: PageRequest,
  viewerId?: string,
): Promise<Page<Post>> {
  await profile(store.documents, userId);
  await assertNotBlocked(store.documents, userId, viewerId, `no user ${userId}`);
  await assertMaySee(store.documents, userId, viewerId);
  const raw = await rawPage(store.documents, 'posts', visiblePostsBy(userId), request);
  return {
    items: await postViews(store, raw.slice(0, request.limit), viewerId),
    nextCursor: nextCursor(raw, request),
  };
}

/**
 * The post, when the API shows it to `viewerId`: NotFound when it does not show it (or its author blocks the
 * viewer), Blocked when the viewer blocks its author, PrivateAccount when its author is private and the viewer
 * neither the author nor an approved follower (the post and what is under it).
 */
export async function visiblePost(
  documents: DocumentStore,
  postId: string,
  viewerId: string | undefined,
): Promise<Doc> {
  const post = await documents.get('posts', postId);
  if (!post || !isVisiblePost(post)) throw new NotFound(`no post ${postId}`);
  await assertNotBlocked(documents, post.authorId as string, viewerId, `no post ${postId}`);
  await assertMaySee(documents, post.authorId as string, viewerId);
  return post;
}

/**
 * The views of `posts`, their authors, the accounts they mention and likedByMe read together (the summaries in
 * one batch); a post whose author is not live is left out. `hidden`, the accounts in a block with the viewer,
 * leave `mentions`: a caller that read them already (the feed) passes them, otherwise they are read only when a
 * post mentions someone.
 */
export async function postViews(
  store: ReadModelStore,
  posts: Doc[],
  viewerId?: string,
  hidden?: ReadonlySet<string>,
): Promise<Post[]> {
  const mentioned = posts.flatMap((post) => mentionIds(post));
  const [accounts, liked, hiddenFromViewer] = await Promise.all([
    summaries(store.documents, [...posts.map((p) => p.authorId as string), ...mentioned]),
    viewerId === undefined
      ? undefined
      : store.liked.among(
          viewerId,
          posts.map((p) => p.id),
        ),
    hidden ?? (mentioned.length > 0 ? hiddenFrom(store.documents, viewerId) : new Set<string>()),
  ]);
  return (posts as PostDocument[]).flatMap((post) => {
    const author = accounts.get(post.authorId);
    if (!author) return [];
    return [
      {
        id: post.id,
        author,
        photo: post.photo,
        caption: post.caption,
        hashtags: post.hashtags ?? [],
        mentions: mentionsOf(mentionIds(post), accounts, hiddenFromViewer),
        likesCount: post.likesCount ?? 0,
        commentsCount: post.commentsCount ?? 0,
        createdAt: post.createdAt,
        updatedAt: post.updatedAt,
        ...(liked ? { likedByMe: liked.has(post.id) } : {}),
      },
    ];
  });
}
