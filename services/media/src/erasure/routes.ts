import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id } from '@gram/events';
import { Type } from '@sinclair/typebox';
import { type AccountMediaErasureDeps, eraseAccountMedia } from './account-media.js';

export const accountMediaPath = '/internal/v1/users/:userId/media';

/**
 * Erases every file an account uploaded (eraseAccountMedia): identity calls it while it deletes the account, and
 * answers `DELETE /users/me` only after this answered 204. Internal, as identity's data keys are: served by the
 * standalone media service only, and only to a call carrying the internal credential; hidden from the OpenAPI
 * document and never routed by the gateway. 204 once every file is gone (again on a retry: it is idempotent);
 * 503 with Retry-After when the storage fails.
 */
export const accountMediaRoutes: FastifyPluginAsyncTypebox<AccountMediaErasureDeps> = async (app, deps) => {
  app.delete(
    accountMediaPath,
    {
      schema: {
        hide: true,
        params: Type.Object({ userId: Id() }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      const erased = await eraseAccountMedia(deps, userId.toLowerCase());
      request.log.info({ userId, erased }, "erased the account's uploads");
      return reply.code(204).send(null);
    },
  );
};
