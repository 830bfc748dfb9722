import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EventStore } from '@gram/event-store';
import { Id, streamIds } from '@gram/events';
import {
  type AccountDirectory,
  caller,
  handleCommand,
  isDomainError,
  problems,
  sendWriteHeadersWithToken,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import { toHttpProblem } from '../http-errors.js';
import { type BlockCommand, blockDecider } from './block.js';
import { endFollowsOnBlock } from './pair.js';

export interface BlockRoutesOptions {
  store: EventStore;
  accounts: AccountDirectory;
  /** the clock that stamps blockedAt / unblockedAt and what the block ends */
  now: () => Date;
}

const BlockParams = Type.Object({ userId: Id('the account to block or unblock') });

const writeHeaders = {
  'x-stream-revision': Type.String({ description: 'revision of the block stream after the write' }),
  'x-global-position': Type.String({ description: "global position of the block stream's last event" }),
  'x-consistency-token': Type.String({
    description: 'send it back on a read to see this write, and what it ended, applied (read-your-writes)',
  }),
};

/**
 * PUT and DELETE /api/v1/users/:userId/block: the caller blocks or unblocks an account. Nobody but the caller
 * learns of it (see block.ts); what the block ends is recorded as the caller's ordinary acts.
 */
export const blockRoutes: FastifyPluginAsyncTypebox<BlockRoutesOptions> = async (
  app,
  { store, accounts, now },
) => {
  async function execute(
    type: BlockCommand['type'],
    blockerId: string,
    userId: string,
    correlationId: string,
  ) {
    // Ids are issued in lower case; the same UUID in upper case names the same account and block stream.
    const blockedId = userId.toLowerCase();
    // The blocked account's status from its own user stream, the write side's knowledge (see follows/routes.ts).
    const blocked = await accounts.status(blockedId);
    const at = now().toISOString();
    const command: BlockCommand =
      type === 'BlockUser'
        ? { type, data: { blockerId, blockedId, blockedAt: at, blocked } }
        : { type, data: { blockerId, blockedId, unblockedAt: at, blocked } };
    const result = await handleCommand(store, streamIds.block(blockerId, blockedId), blockDecider, command, {
      actorId: blockerId,
      correlationId,
    });
    if (isDomainError(result)) throw toHttpProblem(result);
    return { result, blockedId, at };
  }

  app.put(
    '/api/v1/users/:userId/block',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary: 'Block a user',
        description:
          'Follows between the caller and the account end both ways and pending follow requests both ways are ' +
          'withdrawn, before the answer. For the account, the caller no longer exists; the account cannot tell it ' +
          "is blocked. Blocking an account already blocked answers 204 as well. 400 (`cannot-block-yourself`) for the caller's own id.",
        security: [{ bearer: [] }],
        params: BlockParams,
        response: {
          204: Type.Null({ description: 'The caller blocks the user', headers: writeHeaders }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const blockerId = caller(request).userId;
      const { result, blockedId, at } = await execute(
        'BlockUser',
        blockerId,
        request.params.userId,
        request.id,
      );
      // Ended here, right after UserBlocked, so that the answer already holds; and again on a repeated PUT, which
      // completes an ending a crash interrupted (the reaction to UserBlocked completes it too, see reactions.ts).
      const ended = await endFollowsOnBlock(store, {
        blockerId,
        blockedId,
        endedAt: at,
        correlationId: request.id,
      });
      // The token names the last of these writes: a read sending it back sees the follows ended too.
      const position = Math.max(result.position, ...ended.map((end) => end.position));
      return sendWriteHeadersWithToken(reply, result, position).code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/:userId/block',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary: 'Unblock a user',
        description:
          'What the block ended stays ended. Unblocking an account not blocked answers 204 as well.',
        security: [{ bearer: [] }],
        params: BlockParams,
        response: {
          204: Type.Null({ description: 'The caller does not block the user', headers: writeHeaders }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const { result } = await execute(
        'UnblockUser',
        caller(request).userId,
        request.params.userId,
        request.id,
      );
      return sendWriteHeadersWithToken(reply, result, result.position).code(204).send();
    },
  );
};
