import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id } from '@gram/events';
import { KeyUnknown } from '@gram/personal-data';
import { HttpProblem } from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import type { IdentityContext } from '../context.js';

export const dataKeyPath = '/internal/v1/data-keys/:accountId';

const DataKeyAnswer = Type.Union([
  Type.Object({
    state: Type.Literal('live'),
    key: Type.String({ description: 'the 32-byte key, base64url' }),
  }),
  Type.Object({ state: Type.Literal('destroyed') }),
]);

/**
 * An account's data key, for the services that read its personal fields (the read models' workers, which
 * consume the topics where those fields travel encrypted). Identity owns the keys: the others ask here, keep
 * a live key a short while (packages/personal-data DataKeys) and never store it.
 *
 * Internal, as the introspection route: served by the standalone identity service only, hidden from the
 * OpenAPI document, never routed by the gateway, and answered only to a call carrying the internal
 * credential. 200 live or destroyed (final: the account was deleted); 404 for an account without a key yet
 * (its signup has not reached the key store: the asker retries); 503 when the key store cannot answer.
 */
export const dataKeyRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  app.get(
    dataKeyPath,
    {
      schema: {
        hide: true,
        params: Type.Object({ accountId: Id() }),
        response: { 200: DataKeyAnswer },
      },
    },
    async (request) => {
      try {
        const state = await context.dataKeys.get(request.params.accountId);
        return state.state === 'live'
          ? { state: 'live' as const, key: state.key.toString('base64url') }
          : { state: 'destroyed' as const };
      } catch (error) {
        if (error instanceof KeyUnknown) throw new HttpProblem(404, 'the account has no data key (yet)');
        throw error;
      }
    },
  );
};
