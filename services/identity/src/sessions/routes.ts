import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { streamIds } from '@gram/events';
import {
  caller,
  handleCommand,
  isDomainError,
  loadAggregate,
  newId,
  noReadModelEffect,
  problems,
  sendWriteHeadersWithToken,
  TooManyRequests,
  textFields,
  tooManyRequests,
  UserSummary,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import type { IdentityContext } from '../context.js';
import { invalidCredentials, invalidRefreshToken, toHttpProblem } from '../http-errors.js';
import { toUserSummary } from '../users/views.js';
import { logIn } from './login.js';
import { hashRefreshToken, newRefreshToken, sessionIdOf } from './refresh-token.js';
import { sessionDecider } from './session.js';

const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: 'the userName, email or phoneNo' }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

// Any string is accepted here: a refresh token that is not one of ours is a 401, not a 400.
const RefreshTokenBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

const tokenFields = {
  accessToken: Type.String({ description: 'a JWT (EdDSA), to send as `Authorization: Bearer`' }),
  refreshToken: Type.String({ description: 'opaque; spent by its first use' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: "seconds until the access token's expiry" }),
};

/** Sessions: login opens one, refresh rotates its token, logout ends it. */
export const sessionRoutes: FastifyPluginAsyncTypebox<IdentityContext> = async (app, context) => {
  const inSeconds = (seconds: number, from: Date) => new Date(from.getTime() + seconds * 1000).toISOString();

  app.post(
    '/api/v1/auth/login',
    {
      preValidation: textFields({ login: 'line' }),
      schema: {
        tags: ['identity'],
        summary: 'Log in with a userName, email or phoneNo and a password',
        body: LoginBody,
        response: {
          200: Type.Object({ ...tokenFields, user: UserSummary }),
          ...problems(400, 401, 503),
          429: TooManyRequests,
        },
      },
    },
    async (request, reply) => {
      const attempt = await logIn(context, request.body.login, request.body.password, request.ip);
      if (attempt.outcome === 'limited') {
        throw tooManyRequests(attempt.retryAfter, 'too many failed logins: try again later');
      }
      if (attempt.outcome === 'refused') throw invalidCredentials();
      const { profile } = attempt;
      const now = context.clock();
      const sessionId = newId();
      const refreshToken = newRefreshToken(sessionId);
      const result = await handleCommand(
        context.store,
        streamIds.session(sessionId),
        sessionDecider,
        {
          type: 'StartSession',
          data: {
            sessionId,
            userId: profile.userId,
            refreshTokenHash: hashRefreshToken(refreshToken),
            startedAt: now.toISOString(),
            expiresAt: inSeconds(context.settings.refreshTokenTtlSeconds, now),
          },
        },
        { actorId: profile.userId },
      );
      if (isDomainError(result)) throw toHttpProblem(result);
      const accessToken = await context.accessTokens.issue({ userId: profile.userId, sessionId }, now);
      sendWriteHeadersWithToken(reply, result, noReadModelEffect);
      return reply.code(200).send({
        accessToken,
        refreshToken,
        tokenType: 'Bearer' as const,
        expiresIn: context.accessTokens.ttlSeconds,
        user: toUserSummary(profile),
      });
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags: ['identity'],
        summary: 'Trade a refresh token for a new access token and a new refresh token',
        body: RefreshTokenBody,
        response: { 200: Type.Object(tokenFields), ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const presented = request.body.refreshToken;
      const sessionId = sessionIdOf(presented);
      if (!sessionId) throw invalidRefreshToken();
      const streamId = streamIds.session(sessionId);
      // The session names its account, whose status the decision needs: a deleted account's
      // sessions end at their next refresh.
      const { state } = await loadAggregate(context.store, streamId, sessionDecider);
      if (state.status === 'none') throw invalidRefreshToken();
      const now = context.clock();
      const nextToken = newRefreshToken(sessionId);
      const result = await handleCommand(
        context.store,
        streamId,
        sessionDecider,
        {
          type: 'RefreshSession',
          data: {
            presentedTokenHash: hashRefreshToken(presented),
            nextTokenHash: hashRefreshToken(nextToken),
            account: await context.accounts.status(state.userId),
            refreshedAt: now.toISOString(),
            expiresAt: inSeconds(context.settings.refreshTokenTtlSeconds, now),
          },
        },
        { actorId: state.userId },
      );
      if (isDomainError(result)) throw toHttpProblem(result);
      // A spent token or a deleted account: the session is now revoked, durably, and the caller
      // hears the same 401 as for any other token it cannot use.
      if (result.events.some((e) => e.type === 'SessionRevoked')) throw invalidRefreshToken();
      const accessToken = await context.accessTokens.issue({ userId: state.userId, sessionId }, now);
      sendWriteHeadersWithToken(reply, result, noReadModelEffect);
      return reply.code(200).send({
        accessToken,
        refreshToken: nextToken,
        tokenType: 'Bearer' as const,
        expiresIn: context.accessTokens.ttlSeconds,
      });
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      onRequest: app.requireAuth,
      schema: {
        tags: ['identity'],
        summary: "End the caller's session",
        security: [{ bearer: [] }],
        body: RefreshTokenBody,
        response: { 204: Type.Null(), ...problems(400, 401) },
      },
    },
    async (request, reply) => {
      const { userId, sessionId } = caller(request);
      const presented = request.body.refreshToken;
      // Both credentials must name the same session: an access token cannot end another session.
      if (sessionIdOf(presented) !== sessionId) throw invalidRefreshToken();
      const result = await handleCommand(
        context.store,
        streamIds.session(sessionId),
        sessionDecider,
        {
          type: 'EndSession',
          data: {
            userId,
            presentedTokenHash: hashRefreshToken(presented),
            endedAt: context.clock().toISOString(),
          },
        },
        { actorId: userId },
      );
      if (isDomainError(result)) throw toHttpProblem(result);
      const revocation = result.events.find((e) => e.type === 'SessionRevoked');
      if (revocation?.data.reason === 'refresh-token-reuse') throw invalidRefreshToken();
      sendWriteHeadersWithToken(reply, result, noReadModelEffect);
      return reply.code(204).send(null);
    },
  );
};
