import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streamIds } from '@gram/events';
import { caller, handleCommand, problems, sendWriteHeaders } from '@gram/service-kit';
import { type ContentContext, commandContext } from '../context.js';
import { assertMayEngage, assertNoBlock, type Engagement, takeBackIfBlocked } from '../engagement.js';
import { orProblem } from '../http-errors.js';
import { bearer, NoContent, PostParams } from '../schemas.js';
import { likeDecider } from './like.js';

const tags = ['likes'];

export const likeRoutes: FastifyPluginAsyncTypebox<ContentContext> = async (app, ctx) => {
  const { store, visibility, now } = ctx;

  app.put(
    '/api/v1/posts/:postId/like',
    {
      onRequest: app.requireAuth,
      schema: {
        summary: 'Like a post (liking again changes nothing)',
        tags,
        security: bearer,
        params: PostParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { postId } = request.params;
      const post = await visibility.post(postId);
      const engagement: Engagement | undefined = post.visible
        ? { userId, postAuthorId: post.authorId, postAuthorIsPrivate: post.authorIsPrivate, target: 'post' }
        : undefined;
      if (engagement) await assertMayEngage(store, engagement);
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.like(postId, userId),
          likeDecider,
          { type: 'LikePost', data: { postId, userId, likedAt: now(), post } },
          commandContext(request, userId),
        ),
      );
      const [liked] = result.events;
      if (engagement && liked?.type === 'PostLiked') {
        await takeBackIfBlocked(store, engagement, (actorId) =>
          handleCommand(
            store,
            streamIds.like(postId, userId),
            likeDecider,
            { type: 'RemoveLike', data: { postId, userId, likedAt: liked.data.likedAt, unlikedAt: now() } },
            commandContext(request, actorId),
          ),
        );
      }
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );

  app.delete(
    '/api/v1/posts/:postId/like',
    {
      onRequest: app.requireAuth,
      schema: {
        summary: 'Take back a like (not liking: changes nothing)',
        tags,
        security: bearer,
        params: PostParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { postId } = request.params;
      const post = await visibility.post(postId);
      if (post.visible) {
        await assertNoBlock(store, {
          userId,
          postAuthorId: post.authorId,
          postAuthorIsPrivate: post.authorIsPrivate,
          target: 'post',
        });
      }
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.like(postId, userId),
          likeDecider,
          { type: 'UnlikePost', data: { postId, userId, unlikedAt: now(), post } },
          commandContext(request, userId),
        ),
      );
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );
};
