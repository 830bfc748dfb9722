import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streamIds } from '@gram/events';
import { caller, handleCommand, problems, sendWriteHeaders } from '@gram/service-kit';
import { type ContentContext, commandContext } from '../context.js';
import { orProblem } from '../http-errors.js';
import { assertMayEngage } from '../private-accounts.js';
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
      if (post.visible) await assertMayEngage(store, post.authorId, userId);
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.like(postId, userId),
          likeDecider,
          { type: 'LikePost', data: { postId, userId, likedAt: now(), post } },
          commandContext(request, userId),
        ),
      );
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
        response: { 204: NoContent, ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { postId } = request.params;
      const post = await visibility.post(postId);
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
