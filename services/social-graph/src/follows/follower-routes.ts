import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import { Id, streamIds } from '@gram/events';
import {
  type AccountDirectory,
  caller,
  handleCommand,
  isDomainError,
  problems,
  sendWriteHeaders,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { readPairBlocks, recheckBlocksAfterAppend } from '../blocks/pair.js';
import { toHttpProblem } from '../http-errors.js';
import { blockRefusal, type FollowCommand, followDecider } from './follow.js';
import { writeHeaders } from './routes.js';

export interface FollowerRoutesOptions {
  store: EventStore;
  accounts: AccountDirectory;
  now: () => Date;
}

const FollowerParams = Type.Object({
  userId: Id('the account that asked to follow, or follows, the caller'),
});

type FollowerCommandType = Extract<
  FollowCommand['type'],
  'AcceptFollowRequest' | 'DeclineFollowRequest' | 'RemoveFollower'
>;

/**
 * What a private (or any) account decides about those who follow it or ask to: accept or decline a pending
 * request, remove a follower. Each is a decision on the follow stream of the pair (follower, caller).
 */
export const followerRoutes: FastifyPluginAsyncTypebox<FollowerRoutesOptions> = async (
  app,
  { store, accounts, now },
) => {
  async function execute(
    type: FollowerCommandType,
    followeeId: string,
    userId: string,
    correlationId: string,
  ) {
    // Lower-cased as follow does, so an upper-case UUID names the same follow stream.
    const followerId = userId.toLowerCase();
    // The other account must exist: from its user stream, as a follow checks its followee.
    // The pair's blocks from the two block streams (blocks/pair.ts): the blocked side is answered 404 whatever it
    // asks, the blocker 403 `blocked` for an accept (see blockRefusal in follow.ts).
    const [follower, blocks] = await Promise.all([
      accounts.status(followerId),
      readPairBlocks(store, followerId, followeeId),
    ]);
    const at = now().toISOString();
    const ids = { followerId, followeeId, follower, blocks };
    const command: FollowCommand =
      type === 'AcceptFollowRequest'
        ? { type, data: { ...ids, acceptedAt: at } }
        : type === 'DeclineFollowRequest'
          ? { type, data: { ...ids, declinedAt: at } }
          : { type, data: { ...ids, removedAt: at } };
    const result = await handleCommand(
      store,
      streamIds.follow(followerId, followeeId),
      followDecider,
      command,
      {
        actorId: followeeId,
        correlationId,
      },
    );
    if (isDomainError(result)) throw toHttpProblem(result);
    if (result.events.length > 0 && type === 'AcceptFollowRequest') {
      // An accept starts a follow: a block appended since the check above must not leave it standing.
      const blocksSince = await recheckBlocksAfterAppend(store, {
        followerId,
        followeeId,
        at,
        correlationId,
      });
      const refusal = blockRefusal('followee', blocksSince, true);
      if (refusal) throw toHttpProblem(refusal);
    }
    return result;
  }

  const route = (
    method: 'PUT' | 'DELETE',
    url: string,
    type: FollowerCommandType,
    summary: string,
    description: string,
    success: string,
  ) =>
    app.route({
      method,
      url,
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary,
        description,
        security: [{ bearer: [] }],
        params: FollowerParams,
        response: {
          204: Type.Null({ description: success, headers: writeHeaders }),
          ...problems(400, 401, ...(type === 'AcceptFollowRequest' ? [403] : []), 404),
        },
      },
      handler: async (request, reply) => {
        const { userId } = request.params as { userId: string };
        const result = await execute(type, caller(request).userId, userId, request.id);
        return sendWriteHeaders(reply, result).code(204).send();
      },
    });

  route(
    'PUT',
    '/api/v1/users/me/follow-requests/:userId',
    'AcceptFollowRequest',
    'Accept a follow request',
    'The account that asked now follows the caller. Accepting a request accepted already answers 204 as well; ' +
      'no pending request from the account answers 404; an account the caller blocks, 403 (`blocked`).',
    'The account follows the caller',
  );
  route(
    'DELETE',
    '/api/v1/users/me/follow-requests/:userId',
    'DeclineFollowRequest',
    'Decline a follow request',
    'No pending request from the account changes nothing and answers 204 as well.',
    'No request from the account is pending',
  );
  route(
    'DELETE',
    '/api/v1/users/me/followers/:userId',
    'RemoveFollower',
    'Remove a follower',
    'The account no longer follows the caller (nor sees a private account’s content). An account that does not ' +
      'follow the caller changes nothing and answers 204 as well.',
    'The account does not follow the caller',
  );
};
