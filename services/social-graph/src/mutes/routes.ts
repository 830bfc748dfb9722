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
import { toHttpProblem } from '../http-errors.js';
import { type MuteCommand, muteDecider } from './mute.js';

export interface MuteRoutesOptions {
  store: EventStore;
  accounts: AccountDirectory;
  /** the clock that stamps mutedAt / unmutedAt */
  now: () => Date;
}

const MuteParams = Type.Object({ userId: Id('the account to mute or unmute') });

const writeHeaders = {
  'x-stream-revision': Type.String({ description: 'revision of the mute stream after the write' }),
  'x-global-position': Type.String({ description: "global position of the mute stream's last event" }),
  'x-consistency-token': Type.String({
    description: 'send it back on a read to see this write (read-your-writes)',
  }),
};

/**
 * PUT and DELETE /api/v1/users/:userId/mute: the caller mutes or unmutes an account. Nobody but the caller
 * learns of it: the muted account's views are unchanged (see mute.ts).
 */
export const muteRoutes: FastifyPluginAsyncTypebox<MuteRoutesOptions> = async (
  app,
  { store, accounts, now },
) => {
  async function execute(type: MuteCommand['type'], muterId: string, userId: string, correlationId: string) {
    // Ids are issued in lower case; the same UUID in upper case names the same account and mute stream.
    const mutedId = userId.toLowerCase();
    // The muted account's status from its own user stream, the write side's knowledge (see follows/routes.ts).
    const muted = await accounts.status(mutedId);
    const at = now().toISOString();
    const command: MuteCommand =
      type === 'MuteUser'
        ? { type, data: { muterId, mutedId, mutedAt: at, muted } }
        : { type, data: { muterId, mutedId, unmutedAt: at, muted } };
    const result = await handleCommand(store, streamIds.mute(muterId, mutedId), muteDecider, command, {
      actorId: muterId,
      correlationId,
    });
    if (isDomainError(result)) throw toHttpProblem(result);
    return result;
  }

  app.put(
    '/api/v1/users/:userId/mute',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary: 'Mute a user',
        description:
          "The account's posts leave the caller's home feed and new ones do not enter it; nothing else changes, and the account cannot tell. Muting an account already muted answers 204 as well. 400 (`cannot-mute-yourself`) for the caller's own id.",
        security: [{ bearer: [] }],
        params: MuteParams,
        response: {
          204: Type.Null({ description: 'The caller mutes the user', headers: writeHeaders }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const result = await execute('MuteUser', caller(request).userId, request.params.userId, request.id);
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );

  app.delete(
    '/api/v1/users/:userId/mute',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['social graph'],
        summary: 'Unmute a user',
        description:
          "The account's recent posts come back into the caller's home feed if the caller follows it. Unmuting an account not muted answers 204 as well.",
        security: [{ bearer: [] }],
        params: MuteParams,
        response: {
          204: Type.Null({ description: 'The caller does not mute the user', headers: writeHeaders }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const result = await execute('UnmuteUser', caller(request).userId, request.params.userId, request.id);
      return sendWriteHeaders(reply, result).code(204).send();
    },
  );
};
