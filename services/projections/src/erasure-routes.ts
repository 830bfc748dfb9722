import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id } from '@gram/events';
import { Type } from '@sinclair/typebox';
import type { ReadModels } from './app.js';
import { eraseAccountFromSearch } from './read-models/search/erasure.js';

export const accountSearchPath = '/internal/v1/users/:userId/search';

/**
 * Drops an account from search (eraseAccountFromSearch): identity calls it while it deletes the account, and
 * answers `DELETE /users/me` only after this answered 204. Internal: served by the standalone projections
 * service only, and only to a call carrying the internal credential; hidden from the OpenAPI document and never
 * routed by the gateway. 204 once the account is out (again on a retry); a failing store is a 5xx, which
 * identity turns into a 503 of the deletion.
 */
export const accountSearchRoutes: FastifyPluginAsyncTypebox<{ readModels: ReadModels }> = async (
  app,
  { readModels },
) => {
  app.delete(
    accountSearchPath,
    {
      schema: {
        hide: true,
        params: Type.Object({ userId: Id() }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      // The generation the workers write to: a tombstone there refuses their late writes.
      const store = readModels.forWrite ? await readModels.forWrite() : readModels.current();
      await eraseAccountFromSearch(store, userId.toLowerCase());
      request.log.info({ userId }, 'erased the account from search');
      return reply.code(204).send(null);
    },
  );
};
