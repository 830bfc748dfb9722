import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import { Id, streamIds } from '@gram/events';
import {
  type AccountDirectory,
  caller,
  handleCommand,
  isDomainError,
  problems,
  readAccountStanding,
  sendWriteHeaders,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { readPairBlocks, recheckBlocksAfterAppend } from '../blocks/pair.js';
import { toHttpProblem } from '../http-errors.js';
import { blockRefusal, type FollowCommand, followDecider } from './follow.js';
import { acceptIfPublicNow } from './public-switch.js';

export interface FollowRoutesOptions {
  store: EventStore;
  accounts: AccountDirectory;
  /** the clock that stamps followedAt / unfollowedAt */
  now: () => Date;
}

const FollowParams = Type.Object({ userId: Id('the account to follow or unfollow') });

export const writeHeaders = {
  'x-stream-revision': Type.String({ description: 'revision of the follow stream after the write' }),
  'x-global-position': Type.String({ description: "global position of the follow stream's last event" }),
  'x-consistency-token': Type.String({
    description: 'send it back on a read to see this write (read-your-writes)',
  }),
};

/** PUT and DELETE /api/v1/users/:userId/follow: the caller follows or stops following an account. */
export const followRoutes: FastifyPluginAsyncTypebox<FollowRoutesOptions> = async (
  app,
  { store, accounts, now },
) => {
  async function execute(
    type: 'FollowUser' | 'UnfollowUser',
    followerId: string,
    userId: string,
    correlationId: string,
  ) {
    // Ids are issued in lower case; a client may send the same UUID in upper case, which must name
    // the same account (and the same follow stream, so "only once" still holds).
    const followeeId = userId.toLowerCase();
    // Whether the followee exists and is not deleted comes from identity's public events in the
    // followee's own user stream on the event store (AccountDirectory): that is the write side's
    // own knowledge. A read model (profiles) could lag behind a deletion and let a follow through
    // minutes after the account was gone. The race that remains, a deletion appended between this
    // read and our append, is the read side's to absorb: see follow.ts. Whether it is private (a
    // follow becomes a request) is folded from the same stream, and the pair's blocks from the two block streams
    // (blocks/pair.ts), for the same reason.
    const at = now().toISOString();
    const [followeeStanding, blocks] = await Promise.all([
      type === 'FollowUser' ? readAccountStanding(store, followeeId) : undefined,
      readPairBlocks(store, followerId, followeeId),
    ]);
    const command: FollowCommand =
      followeeStanding !== undefined
        ? {
            type: 'FollowUser',
            data: { followerId, followeeId, followedAt: at, followee: followeeStanding, blocks },
          }
        : {
            type: 'UnfollowUser',
            data: {
              followerId,
              followeeId,
              unfollowedAt: at,
              followee: await accounts.status(followeeId),
              blocks,
            },
          };
    const result = await handleCommand(
      store,
      streamIds.follow(followerId, followeeId),
      followDecider,
      command,
      {
        actorId: followerId,
        correlationId,
      },
    );
    if (isDomainError(result)) throw toHttpProblem(result);
    if (result.events.length > 0 && type === 'FollowUser') {
      // A block appended between the check above and this append must not leave the follow or the request
      // standing: see recheckBlocksAfterAppend. The answer is then the one the block gives.
      const blocksSince = await recheckBlocksAfterAppend(store, {
        followerId,
        followeeId,
        at,
        correlationId,
      });
      const refusal = blockRefusal('follower', blocksSince, true);
      if (refusal) throw toHttpProblem(refusal);
      // A request to an account that turned public since its standing was read above: the switch's reaction may
      // have passed over the log before this append, so the request is accepted here (follows/public-switch.ts).
      if (result.state.status === 'requested') {
        const accepted = await acceptIfPublicNow(store, {
          followerId,
          followeeId,
          acceptedAt: at,
          correlationId,
        });
        if (accepted) return accepted;
      }
    }
    return result;
  }

  app.put(
    '/api/v1/users/:userId/follow',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary: 'Follow a user',
        description:
          'Following an account the caller already follows changes nothing and answers 204 as well. ' +
          'Following a private account asks it: 202 `{ status: "requested" }`, again while the request is pending. ' +
          '403 (`blocked`) for an account the caller blocks; an account that blocks the caller answers 404, as an unknown one.',
        security: [{ bearer: [] }],
        params: FollowParams,
        response: {
          202: Type.Object(
            { status: Type.Literal('requested') },
            { description: 'The account is private: the caller asked to follow it', headers: writeHeaders },
          ),
          204: Type.Null({ description: 'The caller follows the user', headers: writeHeaders }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const result = await execute('FollowUser', caller(request).userId, request.params.userId, request.id);
      if (result.state.status === 'requested') {
        return sendWriteHeaders(reply, result).code(202).send({ status: 'requested' });
      }
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/:userId/follow',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary: 'Unfollow a user, or withdraw the pending request to follow it',
        description:
          'Unfollowing an account the caller does not follow changes nothing and answers 204 as well.',
        security: [{ bearer: [] }],
        params: FollowParams,
        response: {
          204: Type.Null({ description: 'The caller does not follow the user', headers: writeHeaders }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const result = await execute('UnfollowUser', caller(request).userId, request.params.userId, request.id);
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );
};
