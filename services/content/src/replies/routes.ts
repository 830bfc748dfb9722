import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streamIds } from '@gram/events';
import {
  caller,
  handleCommand,
  loadAggregate,
  newId,
  problems,
  Reply,
  sendWriteHeaders,
  textFields,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { activeUserSummary, mentionedSummaries } from '../authors/user-summary.js';
import { type ContentContext, commandContext } from '../context.js';
import { assertMayEngage, type Engagement, takeBackIfBlocked } from '../engagement.js';
import { orProblem } from '../http-errors.js';
import { bearer, CommentParams, NoContent, ReplyParams, Text } from '../schemas.js';
import { readText } from '../texts/reading.js';
import { replyDecider } from './reply.js';

const tags = ['replies'];

export const replyRoutes: FastifyPluginAsyncTypebox<ContentContext> = async (app, ctx) => {
  const { store, accounts, visibility, mentions, now } = ctx;

  app.post(
    '/api/v1/comments/:commentId/replies',
    {
      onRequest: app.requireAuth,
      config: { idempotent: {} },
      preValidation: textFields({ text: 'lines' }),
      schema: {
        summary: 'Reply to a comment',
        tags,
        security: bearer,
        params: CommentParams,
        body: Type.Object({ text: Text }, { additionalProperties: false }),
        response: { 201: Reply, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { commentId } = request.params;
      const replyId = newId();
      const comment = await visibility.comment(commentId);
      const engagement: Engagement | undefined = comment.visible
        ? {
            userId,
            postAuthorId: comment.postAuthorId,
            postAuthorIsPrivate: comment.postAuthorIsPrivate,
            commentAuthorId: comment.authorId,
            target: 'comment',
          }
        : undefined;
      if (engagement) await assertMayEngage(store, engagement);
      const written = await readText(mentions, request.body.text);
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.reply(replyId),
          replyDecider,
          {
            type: 'AddReply',
            data: {
              replyId,
              commentId,
              authorId: userId,
              text: written,
              createdAt: now(),
              comment,
            },
          },
          commandContext(request, userId),
          // The id was just made: there is no stream to read yet.
          { newStream: true },
        ),
      );
      const [added] = result.events;
      if (added?.type !== 'ReplyAdded') throw new Error('AddReply appended no ReplyAdded');
      if (engagement) {
        await takeBackIfBlocked(store, engagement, (actorId) =>
          handleCommand(
            store,
            streamIds.reply(replyId),
            replyDecider,
            { type: 'RemoveReply', data: { replyId, deletedBy: actorId, deletedAt: now() } },
            commandContext(request, actorId),
          ),
        );
      }
      const author = await activeUserSummary(store, userId);
      const { postId, text, createdAt } = added.data;
      const mentioned = await mentionedSummaries(store, added.data.mentions ?? []);
      return sendWriteHeaders(reply, result)
        .code(201)
        .send({ id: replyId, commentId, postId, author, text, mentions: mentioned, createdAt });
    },
  );

  app.delete(
    '/api/v1/replies/:replyId',
    {
      onRequest: app.requireAuth,
      schema: {
        summary: "Delete a reply (its author or the post's author)",
        tags,
        security: bearer,
        params: ReplyParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const { replyId } = request.params;
      // The reply's own stream says which comment it answers; whether that comment (and through
      // it the post) and the reply's author are still there decides whether the API shows it.
      const { state } = await loadAggregate(store, streamIds.reply(replyId), replyDecider);
      let hidden = false;
      if (state.status === 'live') {
        const [comment, authorStatus] = await Promise.all([
          visibility.comment(state.commentId),
          accounts.status(state.authorId),
        ]);
        hidden = !comment.visible || authorStatus !== 'active';
      }
      const result = orProblem(
        await handleCommand(
          store,
          streamIds.reply(replyId),
          replyDecider,
          { type: 'DeleteReply', data: { replyId, actorId: userId, deletedAt: now(), hidden } },
          commandContext(request, userId),
        ),
      );
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );
};
