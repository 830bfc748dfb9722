import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import {
  caller,
  findHashtags,
  handleCommand,
  IfMatchHeader,
  ifMatchOf,
  loadAggregate,
  newId,
  Post,
  problems,
  revisionETag,
  sendWriteHeaders,
  textFields,
  type UserSummary,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { activeUserSummary, mentionedSummaries } from '../authors/user-summary.js';
import { type ContentContext, commandContext } from '../context.js';
import { orProblem } from '../http-errors.js';
import { likeDecider } from '../likes/like.js';
import { bearer, Caption, NoContent, Photo, PostParams } from '../schemas.js';
import { readCaption } from '../texts/reading.js';
import { type PostState, postDecider } from './post.js';

const tags = ['posts'];

export const postRoutes: FastifyPluginAsyncTypebox<ContentContext> = async (app, ctx) => {
  const { store, mentions, now } = ctx;

  app.post(
    '/api/v1/posts',
    {
      onRequest: app.requireAuth,
      config: { idempotent: {} },
      preValidation: textFields({ caption: 'lines' }),
      schema: {
        summary: 'Publish a photo post',
        tags,
        security: bearer,
        body: Type.Object({ photo: Photo, caption: Type.Optional(Caption) }, { additionalProperties: false }),
        response: { 201: Post, ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const postId = newId();
      const caption = await readCaption(mentions, request.body.caption ?? '');
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.post(postId),
          postDecider,
          {
            type: 'CreatePost',
            data: {
              postId,
              authorId: userId,
              photo: request.body.photo,
              caption,
              createdAt: now(),
            },
          },
          commandContext(request, userId),
          // The id was just made: there is no stream to read yet.
          { newStream: true },
        ),
      );
      const author = await activeUserSummary(store, userId);
      // A post that was just born has no likes or comments, and its author does not like it yet.
      return sendWriteHeaders(reply, result)
        .code(201)
        .send({ ...(await writtenPost(store, result.state, author)), likedByMe: false });
    },
  );

  app.patch(
    '/api/v1/posts/:postId',
    {
      onRequest: app.requireAuth,
      preValidation: textFields({ caption: 'lines' }),
      schema: {
        summary: "Edit a post's photo and/or caption (author only)",
        description:
          'With `If-Match` set to the ETag of `GET /posts/:postId`, the edit is made only if the post did not ' +
          "change since (412 otherwise). The answer carries the edited post's ETag.",
        tags,
        security: bearer,
        params: PostParams,
        headers: Type.Object({ 'if-match': IfMatchHeader }),
        body: Type.Object(
          { photo: Type.Optional(Photo), caption: Type.Optional(Caption) },
          { additionalProperties: false },
        ),
        response: { 200: Post, ...problems(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { postId } = request.params;
      const ifMatch = ifMatchOf(request.headers['if-match']);
      const { photo, caption } = request.body;
      const edit = {
        postId,
        actorId: userId,
        ...(photo !== undefined ? { photo } : {}),
        ...(caption !== undefined ? { caption: await readCaption(mentions, caption) } : {}),
        editedAt: now(),
      };
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.post(postId),
          postDecider,
          { type: 'EditPost', data: edit },
          commandContext(request, userId),
          ifMatch ? { ifMatch } : {},
        ),
      );
      // Only the author edits, so likedByMe is whether the author likes their own post: their
      // like stream `like-<postId>_<userId>` says so, without waiting for the read side.
      const [author, like] = await Promise.all([
        activeUserSummary(store, userId),
        loadAggregate(store, streamIds.like(postId, userId), likeDecider),
      ]);
      const likedByMe = like.state.status === 'liked';
      return sendWriteHeaders(reply, result)
        .header('etag', revisionETag(result.publicRevision))
        .send({ ...(await writtenPost(store, result.state, author)), likedByMe });
    },
  );

  app.delete(
    '/api/v1/posts/:postId',
    {
      onRequest: app.requireAuth,
      schema: {
        summary: 'Delete a post (author only): it, its comments and their replies disappear',
        tags,
        security: bearer,
        params: PostParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { postId } = request.params;
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.post(postId),
          postDecider,
          { type: 'DeletePost', data: { postId, actorId: userId, deletedAt: now() } },
          commandContext(request, userId),
        ),
      );
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );
};

/**
 * The post as its own write left it, which is this request's outcome even when somebody else
 * writes the post right after. Its likesCount and commentsCount are NOT known here: likes and
 * comments live in their own streams and only the read side counts them. They are 0 in this
 * answer (for a new post they are 0 indeed); the gateway serves PATCH /posts/:postId from the
 * read model, after waiting on this write's x-consistency-token, and that answer has the real counts.
 */
async function writtenPost(store: EventStore, state: PostState, author: UserSummary): Promise<Post> {
  // The decider creates and edits live posts only, so a successful write leaves one.
  if (state.status !== 'live') throw new Error(`a post is ${state.status} after a successful write`);
  const { postId, photo, caption, createdAt, updatedAt } = state;
  return {
    id: postId,
    author,
    photo,
    caption,
    hashtags: findHashtags(caption),
    mentions: await mentionedSummaries(store, state.mentions),
    likesCount: 0,
    commentsCount: 0,
    createdAt,
    updatedAt,
  };
}
