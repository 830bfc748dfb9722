import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streamIds } from '@gram/events';
import {
  assertNever,
  caller,
  handleCommand,
  IfMatchHeader,
  ifMatchOf,
  isDomainError,
  loadAggregate,
  Profile,
  problems,
  revisionETag,
  sendWriteHeaders,
  sendWriteHeadersWithToken,
  TooManyRequests,
  textFields,
  tooManyRequests,
  UserSummary,
} from '@gram/service-kit';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { IdentityContext } from '../context.js';
import { Bio, Email, Name, Password, PhoneNo, ProfilePic, UserName } from '../fields.js';
import { toHttpProblem, valuesTaken } from '../http-errors.js';
import type { UniqueValue } from '../reservations/unique-values.js';
import { signUp } from './registration.js';
import { userDecider } from './user.js';
import { toProfile, toUserSummary } from './views.js';

const SignupBody = Type.Object(
  { name: Name, userName: UserName, email: Email, phoneNo: PhoneNo, password: Password },
  { additionalProperties: false },
);

const ProfileChangesBody = Type.Object(
  {
    name: Type.Optional(Name),
    bio: Type.Optional(Bio),
    profilePic: Type.Optional(ProfilePic),
    isPrivate: Type.Optional(
      Type.Boolean({ description: 'only the account and its approved followers see its posts and lists' }),
    ),
  },
  { additionalProperties: false },
);

const bearer = [{ bearer: [] }];

/**
 * What makes a repeated signup the same signup: every field but the password. The idempotency store keeps
 * what identifies a request for a day, outside identity, and a fast hash of a password is one a stolen copy
 * could be searched for; a repeat with the same key, the same account fields and another password gets the
 * first answer, which holds no secret, and its login then tells which password the account has.
 */
function signupWithoutPassword(request: FastifyRequest): unknown {
  const { password: _password, ...account } = request.body as Static<typeof SignupBody>;
  return account;
}

/** Accounts: signup, profile edits, deletion. */
export const userRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  app.post(
    '/api/v1/auth/signup',
    {
      preValidation: textFields({ name: 'line', userName: 'line', email: 'line' }),
      config: { idempotent: { fingerprint: signupWithoutPassword } },
      schema: {
        tags: ['identity'],
        summary: 'Create an account',
        body: SignupBody,
        response: {
          201: Type.Object({ user: UserSummary }),
          ...problems(400, 409, 503),
          429: TooManyRequests,
        },
      },
    },
    async (request, reply) => {
      // Counted before the password is hashed: the hash is what a burst of signups would cost.
      const wait = await context.limits.admitSignup(request.ip);
      if (wait !== undefined)
        throw tooManyRequests(wait, 'too many signups from this address: try again later');
      const outcome = await signUp(context, request.body, request.log);
      switch (outcome.outcome) {
        case 'registered': {
          // The write ends with the account's private credentials; the read side waits on its public
          // UserRegistered, the stream's first event.
          const [registered] = await context.store.readStream(outcome.write.streamId, { maxCount: 1 });
          sendWriteHeadersWithToken(reply, outcome.write, registered?.position ?? outcome.write.position);
          return reply.code(201).send({ user: toUserSummary(outcome.profile) });
        }
        case 'taken':
          throw valuesTaken(outcome.errors);
        case 'refused':
          throw toHttpProblem(outcome.error);
        default:
          return assertNever(outcome);
      }
    },
  );

  app.patch(
    '/api/v1/users/me',
    {
      // The caller is judged before the body: without a valid token the answer is 401, whatever was sent.
      onRequest: app.requireAuth,
      preValidation: textFields({ name: 'line', bio: 'lines' }),
      schema: {
        tags: ['identity'],
        summary: "Edit the caller's profile",
        description:
          'With `If-Match` set to the ETag of `GET /users/me`, the edit is made only if the profile did not ' +
          "change since (412 otherwise). The answer carries the edited profile's ETag.",
        security: bearer,
        headers: Type.Object({ 'if-match': IfMatchHeader }),
        body: ProfileChangesBody,
        response: { 200: Profile, ...problems(400, 401, 412) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const ifMatch = ifMatchOf(request.headers['if-match']);
      const result = await handleCommand(
        context.store,
        streamIds.user(userId),
        userDecider,
        {
          type: 'UpdateProfile',
          data: { userId, changes: request.body, updatedAt: context.clock().toISOString() },
        },
        { actorId: userId },
        ifMatch ? { ifMatch } : {},
      );
      if (isDomainError(result)) throw toHttpProblem(result);
      // The decider edits active accounts only, so a successful edit leaves one.
      if (result.state.status !== 'active') {
        throw new Error(`account ${userId} is not active after its profile edit`);
      }
      sendWriteHeaders(reply, result).header('etag', revisionETag(result.publicRevision));
      return reply.code(200).send(toProfile(result.state.profile));
    },
  );

  app.delete(
    '/api/v1/users/me',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['identity'],
        summary: "Delete the caller's account",
        security: bearer,
        response: { 204: Type.Null(), ...problems(401) },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const at = context.clock().toISOString();
      const stream = streamIds.user(userId);
      // The account's data key goes first: from then on its contact data and password hash are
      // unreadable in the log, whatever happens next. They are read just before, to release the
      // claims on them. A crash between the key's destruction and the UserDeleted append leaves an
      // account that cannot log in (its password hash reads as forgotten) until the client's retry
      // of this request completes it; the other order could leave a deleted account's key behind,
      // with no request left to destroy it.
      const { state: before } = await loadAggregate(context.store, stream, userDecider);
      // What lives outside the log (uploaded files, exports) is erased first: a failure there answers an error to
      // retry while the account is still whole, rather than leaving files behind a deletion that answered 204.
      for (const eraser of context.erasers) await eraser.erase(userId);
      await context.dataKeys.destroy(userId);
      // The UserDeleted append is the decisive write: from it on, login, tokens and the profile
      // are gone. Releasing the account's userName, email and phoneNo comes after and may fail
      // (each release is retried, and is idempotent); a claim left behind by a deleted account
      // is taken over by the next signup that wants the value, so the answer is 204 either way.
      const result = await handleCommand(
        context.store,
        stream,
        userDecider,
        {
          type: 'DeleteUser',
          data: { userId, deletedAt: at },
        },
        { actorId: userId },
      );
      if (isDomainError(result)) throw toHttpProblem(result);
      const { state } = result;
      if (state.status === 'deleted') {
        const values: UniqueValue[] = [{ kind: 'userName', value: state.userName }];
        // Read before the key was destroyed: forgotten (empty) when a retry finds it destroyed already.
        const credentials = before.status === 'none' ? null : before.credentials;
        if (credentials?.email) {
          values.push({ kind: 'email', value: credentials.email });
          values.push({ kind: 'phoneNo', value: credentials.phoneNo });
        }
        try {
          await context.uniqueValues.releaseAll(values, userId, at);
        } catch (error) {
          request.log.warn(
            { err: error, userId },
            'a deleted account kept some claims; the next claimant takes them over',
          );
        }
      }
      sendWriteHeaders(reply, result);
      return reply.code(204).send(null);
    },
  );
};
