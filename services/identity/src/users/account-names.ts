import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id } from '@gram/events';
import { maxMentions } from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import pLimit from 'p-limit';
import type { IdentityContext } from '../context.js';

export const resolveUserNamesPath = '/internal/v1/users/resolve';

/** A userName as it was asked for, and the live account it names. */
export interface NamedAccount {
  userName: string;
  userId: string;
}

/**
 * The live accounts among `userNames`, compared case-insensitively (userNames are unique so): one entry per
 * distinct name that names an active account, spelled as first asked. A name held by no account, by an account
 * whose signup has not completed, or by a deleted one (whose release was lost) names nobody. The reservation
 * streams are the truth, as for a login: content cannot read them itself, since their ids are keyed by
 * identity's reservation secret.
 */
export async function liveAccountsNamed(
  context: Pick<IdentityContext, 'uniqueValues' | 'accounts'>,
  userNames: readonly string[],
): Promise<NamedAccount[]> {
  const distinct = new Map<string, string>();
  for (const userName of userNames) {
    if (!distinct.has(userName.toLowerCase())) distinct.set(userName.toLowerCase(), userName);
  }
  // A few reads at a time: one call may ask about hundreds of names (see maxUserNames).
  const limit = pLimit(8);
  const found = await Promise.all(
    [...distinct.values()].map((userName) =>
      limit(async (): Promise<NamedAccount | undefined> => {
        const userId = await context.uniqueValues.holderOf({ kind: 'userName', value: userName });
        if (userId === undefined || (await context.accounts.status(userId)) !== 'active') return undefined;
        return { userName, userId };
      }),
    ),
  );
  return found.filter((account) => account !== undefined);
}

/*
 * The most names one call may ask about: a text's mentions, each offering at most 28 userNames (a 30-character
 * run ending in dots, down to its 3-character stem: see service-kit's findMentions).
 */
const maxUserNames = maxMentions * 28;

const UserNameAsked = Type.String({ minLength: 3, maxLength: 30, pattern: '^[A-Za-z0-9._]+$' });

/**
 * Which userNames name live accounts, for content, which records a text's mentions by account id when it is
 * written (the distributed mode; the embedded mode calls `liveAccountsNamed` in-process).
 *
 * Internal, as the data-key route: served by the standalone identity service only, hidden from the OpenAPI
 * document, never routed by the gateway, and answered only to a call carrying the internal credential. A POST,
 * as the introspection: userNames are personal data, kept out of URLs and so out of access logs.
 */
export const accountNameRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  app.post(
    resolveUserNamesPath,
    {
      schema: {
        hide: true,
        body: Type.Object(
          { userNames: Type.Array(UserNameAsked, { maxItems: maxUserNames }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            accounts: Type.Array(Type.Object({ userName: Type.String(), userId: Id() })),
          }),
        },
      },
    },
    async (request) => ({ accounts: await liveAccountsNamed(context, request.body.userNames) }),
  );
};
