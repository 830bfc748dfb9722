import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streamIds } from '@gram/events';
import {
  Comment,
  caller,
  handleCommand,
  loadAggregate,
  newId,
  problems,
  sendWriteHeaders,
  textFields,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { activeUserSummary, mentionedSummaries } from '../authors/user-summary.js';
import { type ContentContext, commandContext } from '../context.js';
import { assertMayEngage, type Engagement, takeBackIfBlocked } from '../engagement.js';
import { orProblem } from '../http-errors.js';
import { bearer, CommentParams, NoContent, PostParams, Text } from '../schemas.js';
import { readText } from '../texts/reading.js';
import { commentDecider } from './comment.js';

const tags = ['comments'];

export const commentRoutes: FastifyPluginAsyncTypebox<ContentContext> = async (app, ctx) => {
  const { store, visibility, mentions, now } = ctx;

  app.post(
    '/api/v1/posts/:postId/comments',
    {
      onRequest: app.requireAuth,
      config: { idempotent: {} },
      preValidation: textFields({ text: 'lines' }),
      schema: {
        summary: 'Comment on a post',
        tags,
        security: bearer,
        params: PostParams,
        body: Type.Object({ text: Text }, { additionalProperties: false }),
        response: { 201: Comment, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { postId } = request.params;
      const commentId = newId();
      const post = await visibility.post(postId);
      const engagement: Engagement | undefined = post.visible
        ? { userId, postAuthorId: post.authorId, postAuthorIsPrivate: post.authorIsPrivate, target: 'post' }
        : undefined;
      if (engagement) await assertMayEngage(store, engagement);
      const written = await readText(mentions, request.body.text);
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.comment(commentId),
          commentDecider,
          {
            type: 'AddComment',
            data: { commentId, postId, authorId: userId, text: written, createdAt: now(), post },
          },
          commandContext(request, userId),
          // The id was just made: there is no stream to read yet.
          { newStream: true },
        ),
      );
      const [added] = result.events;
      if (added?.type !== 'CommentAdded') throw new Error('AddComment appended no CommentAdded');
      if (engagement) {
        await takeBackIfBlocked(store, engagement, (actorId) =>
          handleCommand(
            store,
            streamIds.comment(commentId),
            commentDecider,
            { type: 'RemoveComment', data: { commentId, deletedBy: actorId, deletedAt: now() } },
            commandContext(request, actorId),
          ),
        );
      }
      const author = await activeUserSummary(store, userId);
      const { text, createdAt } = added.data;
      const mentioned = await mentionedSummaries(store, added.data.mentions ?? []);
      // A comment that was just born has no replies.
      return sendWriteHeaders(reply, result)
        .code(201)
        .send({ id: commentId, postId, author, text, mentions: mentioned, replyCount: 0, createdAt });
    },
  );

  app.delete(
    '/api/v1/comments/:commentId',
    {
      onRequest: app.requireAuth,
      schema: {
        summary: "Delete a comment (its author or the post's author): its replies disappear with it",
        tags,
        security: bearer,
        params: CommentParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { commentId } = request.params;
      // The comment's own stream says where it lives; whether its post (`post-<postId>`) and its
      // author's account are still there decides whether the API still shows it at all.
      const { state } = await loadAggregate(store, streamIds.comment(commentId), commentDecider);
      const hidden = state.status === 'live' && !(await visibility.commentOf(state)).visible;
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.comment(commentId),
          commentDecider,
          { type: 'DeleteComment', data: { commentId, actorId: userId, deletedAt: now(), hidden } },
          commandContext(request, userId),
        ),
      );
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );
};
