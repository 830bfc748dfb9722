import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id } from '@gram/events';
import {
  CommentPage,
  caller,
  decodeConsistencyToken,
  FollowRequestPage,
  HttpProblem,
  isHashtag,
  normalizeHashtag,
  Post,
  PostPage,
  Profile,
  problems,
  ReplyPage,
  revisionETag,
  Tag,
  TagPage,
  UserSummaryPage,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { Blocked, NotFound, PrivateAccount, type ReadModelQueries } from './queries/read-model-queries.js';
import type { AppliedPositions } from './runtime/applied-positions.js';

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'opaque, from nextCursor' }),
    ),
  },
  { additionalProperties: false },
);
/**
 * What a search asks for: `q` of 1-30 characters once trimmed, said by the pattern alone (a non-blank run
 * of at most 30, spaces around it), so that the gateway, which validates with this very schema, judges it as
 * this service does; the queries trim it.
 */
const SearchQuery = Type.Composite(
  [
    Type.Object({
      q: Type.String({
        pattern: String.raw`^\s*\S(?:[\s\S]{0,28}\S)?\s*$`,
        description: '1-30 characters once trimmed',
      }),
    }),
    ListQuery,
  ],
  { additionalProperties: false },
);
const UserParams = Type.Object({ userId: Id() });
const UserNameParams = Type.Object({ userName: Type.String({ minLength: 1, maxLength: 30 }) });
const PostParams = Type.Object({ postId: Id() });
const CommentParams = Type.Object({ commentId: Id() });
const TagParams = Type.Object({
  tag: Type.String({
    minLength: 1,
    // a hashtag is at most 100 code points, each at most 2 UTF-16 units, and NFC may compose some of them
    maxLength: 400,
    description: 'the hashtag without `#`, in any case and Unicode form: it is normalized',
  }),
});
const TagPostsQuery = Type.Object(
  {
    ...ListQuery.properties,
    order: Type.Union([Type.Literal('recent'), Type.Literal('top')], {
      default: 'recent',
      description: '`recent`: newest first; `top`: most likesCount + commentsCount first, then newest',
    }),
  },
  { additionalProperties: false },
);

/** The tag a path names, normalized; 400 when it is not a hashtag (API.md's rule, text-entities.ts). */
function hashtagOf(tag: string): string {
  if (!isHashtag(tag)) {
    throw new HttpProblem(400, `${tag} is not a hashtag`, {
      errors: [{ field: 'tag', message: 'must be 1-100 letters, marks, digits or _, without #' }],
    });
  }
  return normalizeHashtag(tag);
}

const bearer: { [label: string]: string[] }[] = [{ bearer: [] }];
/** optional auth: anonymous, or a bearer token (then likedByMe / followedByMe are present) */
const optionalBearer: { [label: string]: string[] }[] = [{}, { bearer: [] }];

/**
 * Queries answer NotFound for unknown, deleted or hidden things, PrivateAccount for a private account's content
 * read by someone it does not show it to, Blocked for an account's content read by the account that blocks it;
 * this is the one place they become 404, 403 `private-account` and 403 `blocked`.
 */
async function orNotFound<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    if (error instanceof NotFound) throw new HttpProblem(404, error.message);
    if (error instanceof PrivateAccount)
      throw new HttpProblem(403, error.message, { code: 'private-account' });
    if (error instanceof Blocked) throw new HttpProblem(403, error.message, { code: 'blocked' });
    throw error;
  }
}

export interface ProjectionsRoutesOptions {
  queries: ReadModelQueries;
  /** what the read models have applied: reads sending `x-consistency-token` wait on it (read-your-writes) */
  applied?: AppliedPositions;
  /** how long such a read waits at most before answering what the read model has (default 2000 ms) */
  consistencyTimeoutMs?: number;
}

export const consistencyTokenHeader = 'x-consistency-token';

/** Every read route of API.md, with its full path, for the standalone app and the gateway alike. */
export const projectionsRoutes: FastifyPluginAsyncTypebox<ProjectionsRoutesOptions> = async (
  app,
  { queries, applied, consistencyTimeoutMs = 2_000 },
) => {
  // Read-your-writes: a read that sends back a write's consistency token waits, bounded, until the read
  // models have applied that write; `x-read-consistency` says whether it did (`applied`) or gave up (`timeout`).
  app.addHook('preHandler', async (request, reply) => {
    const token = request.headers[consistencyTokenHeader];
    if (token === undefined || applied === undefined) return;
    const position = typeof token === 'string' ? decodeConsistencyToken(token) : undefined;
    if (position === undefined) {
      throw new HttpProblem(400, `${consistencyTokenHeader} is not a token this API issued`, {
        errors: [{ field: consistencyTokenHeader, message: 'must be the x-consistency-token of a write' }],
      });
    }
    const done = await applied.waitFor(position, consistencyTimeoutMs);
    reply.header('x-read-consistency', done ? 'applied' : 'timeout');
  });

  const viewer = (request: { auth: { userId: string } | null }) => request.auth?.userId;

  app.get(
    '/api/v1/users/me',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['profiles'],
        description: 'Its `ETag` is what `PATCH /users/me` takes in `If-Match`.',
        security: bearer,
        response: { 200: Profile, ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      // The users document keeps the revision of the last event of the account's stream it applied: the
      // profile's ETag (service-kit's conditional-writes.ts), read with the profile in one read.
      const { view, revision } = await orNotFound(queries.profileWithRevision(userId, userId));
      reply.header('etag', revisionETag(revision));
      return view;
    },
  );

  app.get(
    '/api/v1/users/me/mutes',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        description: 'the accounts I mute, most recently muted first; nobody else can see them',
        security: bearer,
        querystring: ListQuery,
        response: { 200: UserSummaryPage, ...problems(400, 401) },
      },
    },
    async (request) => queries.mutes(caller(request).userId, request.query),
  );

  app.get(
    '/api/v1/users/me/blocks',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        description: 'the accounts I block, most recently blocked first; nobody else can see them',
        security: bearer,
        querystring: ListQuery,
        response: { 200: UserSummaryPage, ...problems(400, 401) },
      },
    },
    async (request) => queries.blocks(caller(request).userId, request.query),
  );

  app.get(
    '/api/v1/users/by-username/:userName',
    {
      schema: {
        tags: ['profiles'],
        security: optionalBearer,
        params: UserNameParams,
        response: { 200: Profile, ...problems(400, 401, 404) },
      },
    },
    async (request) => orNotFound(queries.profileByUserName(request.params.userName, viewer(request))),
  );

  app.get(
    '/api/v1/users/:userId',
    {
      schema: {
        tags: ['profiles'],
        security: optionalBearer,
        params: UserParams,
        response: { 200: Profile, ...problems(400, 401, 404) },
      },
    },
    async (request) => orNotFound(queries.profile(request.params.userId, viewer(request))),
  );

  app.get(
    '/api/v1/users/:userId/followers',
    {
      schema: {
        tags: ['social graph'],
        description: 'newest follow first',
        security: optionalBearer,
        params: UserParams,
        querystring: ListQuery,
        response: { 200: UserSummaryPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => orNotFound(queries.followers(request.params.userId, request.query, viewer(request))),
  );

  app.get(
    '/api/v1/users/:userId/following',
    {
      schema: {
        tags: ['social graph'],
        description: 'newest follow first',
        security: optionalBearer,
        params: UserParams,
        querystring: ListQuery,
        response: { 200: UserSummaryPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => orNotFound(queries.following(request.params.userId, request.query, viewer(request))),
  );

  app.get(
    '/api/v1/users/:userId/posts',
    {
      schema: {
        tags: ['posts'],
        description: 'newest first',
        security: optionalBearer,
        params: UserParams,
        querystring: ListQuery,
        response: { 200: PostPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => orNotFound(queries.userPosts(request.params.userId, request.query, viewer(request))),
  );

  app.get(
    '/api/v1/posts/:postId',
    {
      schema: {
        tags: ['posts'],
        description: 'Its `ETag` is what `PATCH /posts/:postId` takes in `If-Match`.',
        security: optionalBearer,
        params: PostParams,
        response: { 200: Post, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      // The posts document keeps the revision of its stream's last event it applied: the post's ETag.
      const { view, revision } = await orNotFound(
        queries.postWithRevision(request.params.postId, viewer(request)),
      );
      reply.header('etag', revisionETag(revision));
      return view;
    },
  );

  app.get(
    '/api/v1/posts/:postId/likes',
    {
      schema: {
        tags: ['likes'],
        description: 'newest like first',
        security: optionalBearer,
        params: PostParams,
        querystring: ListQuery,
        response: { 200: UserSummaryPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => orNotFound(queries.likers(request.params.postId, request.query, viewer(request))),
  );

  app.get(
    '/api/v1/posts/:postId/comments',
    {
      schema: {
        tags: ['comments'],
        description: 'oldest first',
        security: optionalBearer,
        params: PostParams,
        querystring: ListQuery,
        response: { 200: CommentPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => orNotFound(queries.comments(request.params.postId, request.query, viewer(request))),
  );

  app.get(
    '/api/v1/comments/:commentId/replies',
    {
      schema: {
        tags: ['comments'],
        description: 'oldest first',
        security: optionalBearer,
        params: CommentParams,
        querystring: ListQuery,
        response: { 200: ReplyPage, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => orNotFound(queries.replies(request.params.commentId, request.query, viewer(request))),
  );

  app.get(
    '/api/v1/users/me/follow-requests',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        description: 'the pending requests to follow me, newest first',
        security: bearer,
        querystring: ListQuery,
        response: { 200: FollowRequestPage, ...problems(400, 401) },
      },
    },
    async (request) => queries.followRequests(caller(request).userId, request.query),
  );

  app.get(
    '/api/v1/search/users',
    {
      schema: {
        tags: ['search'],
        description:
          'accounts whose userName, or a word of whose name, starts with `q` (case and accents ignored): an exact userName match first, then accounts I follow, then most followers, then by userName',
        security: optionalBearer,
        querystring: SearchQuery,
        response: { 200: UserSummaryPage, ...problems(400, 401) },
      },
    },
    async (request) => {
      const { q, ...page } = request.query;
      return queries.searchUsers(q, page, viewer(request));
    },
  );

  app.get(
    '/api/v1/search/tags',
    {
      schema: {
        tags: ['search'],
        description: 'tags whose name starts with `q` (a leading `#` ignored), most posts first',
        security: optionalBearer,
        querystring: SearchQuery,
        response: { 200: TagPage, ...problems(400, 401) },
      },
    },
    async (request) => {
      const { q, ...page } = request.query;
      return queries.searchTags(q, page);
    },
  );

  app.get(
    '/api/v1/feed',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['feed'],
        description: 'the posts of the accounts I follow and my own, newest first',
        security: bearer,
        querystring: ListQuery,
        response: { 200: PostPage, ...problems(400, 401) },
      },
    },
    async (request) => queries.feed(caller(request).userId, request.query),
  );

  app.get(
    '/api/v1/tags/:tag',
    {
      schema: {
        tags: ['posts'],
        description: 'a hashtag and how many live posts of public accounts carry it',
        security: optionalBearer,
        params: TagParams,
        response: { 200: Tag, ...problems(400, 401, 404) },
      },
    },
    async (request) => orNotFound(queries.tag(hashtagOf(request.params.tag))),
  );

  app.get(
    '/api/v1/tags/:tag/posts',
    {
      schema: {
        tags: ['posts'],
        description:
          'the posts of public accounts carrying the hashtag: `recent` newest first, `top` most likesCount + commentsCount first, then newest',
        security: optionalBearer,
        params: TagParams,
        querystring: TagPostsQuery,
        response: { 200: PostPage, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const { order, ...page } = request.query;
      return orNotFound(queries.taggedPosts(hashtagOf(request.params.tag), order, page, viewer(request)));
    },
  );

  app.get(
    '/api/v1/explore',
    {
      schema: {
        tags: ['posts'],
        description:
          'recent posts (30 days) of public accounts I do not follow, ranked by engagement with decay over time',
        security: optionalBearer,
        querystring: ListQuery,
        response: { 200: PostPage, ...problems(400, 401) },
      },
    },
    async (request) => queries.explore(request.query, viewer(request)),
  );
};
