import { createHash, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Id, streamIds } from '@gram/events';
import {
  assertNever,
  caller,
  Export,
  HttpProblem,
  handleCommand,
  isDomainError,
  loadAggregate,
  newId,
  noReadModelEffect,
  problems,
  sendWriteHeadersWithToken,
  TooManyRequests,
} from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import type { IdentityContext } from '../context.js';
import { toHttpProblem } from '../http-errors.js';
import { type AccountExport, exportDecider, exportOf } from './export.js';

const bearer = [{ bearer: [] }];
const tags = ['identity'];

/** The one answer to every download that is not served: a link's validity must not leak which part was wrong. */
const noArchive = () => new HttpProblem(404, 'no such archive, or its link expired');

/**
 * "Download your data": `POST /users/me/exports` asks for an archive, built in the background (jobs.ts);
 * `GET /users/me/exports/:exportId` tells how it goes and, once ready, its download link; the link itself is a
 * public route (no bearer token: a browser or a download manager follows it), guarded by the export's random
 * download key.
 */
export const exportRoutes: FastifyPluginAsyncTypebox<
  IdentityContext & { exports: NonNullable<IdentityContext['exports']> }
> = async (app, context) => {
  const { jobs, publicUrl } = context.exports;
  app.addHook('onReady', async () => jobs.startSweeping(app.log));
  app.addHook('onClose', () => jobs.close());

  const view = (accountId: string, found: AccountExport) =>
    toExport(accountId, found, context.clock(), publicUrl);

  app.post(
    '/api/v1/users/me/exports',
    {
      onRequest: app.requireAuth,
      config: { idempotent: {} },
      schema: {
        tags,
        summary: "Ask for an archive of the caller's data",
        description:
          'Answers at once with the export, pending; `Location` is where to follow it. One request per 24 hours.',
        security: bearer,
        response: {
          202: { ...Export, headers: { location: Type.String() } },
          ...problems(400, 401),
          429: TooManyRequests,
        },
      },
    },
    async (request, reply) => {
      const { userId } = caller(request);
      const exportId = newId();
      const stream = streamIds.export(userId);
      const result = await handleCommand(
        context.store,
        stream,
        exportDecider,
        {
          type: 'RequestExport',
          data: {
            accountId: userId,
            exportId,
            requestedAt: context.clock().toISOString(),
            accountActive: (await context.accounts.status(userId)) === 'active',
          },
        },
        { actorId: userId },
      );
      if (isDomainError(result)) {
        // Refused as too early, the request is still a look at the account's exports: an abandoned one is
        // taken up again (jobs.ts).
        if (result.code === 'ExportRequestedRecently') {
          jobs.resumeAbandoned(
            userId,
            (await loadAggregate(context.store, stream, exportDecider)).state,
            request.log,
          );
        }
        throw toHttpProblem(result);
      }
      jobs.resumeAbandoned(userId, result.state, request.log);
      jobs.enqueue(userId, exportId, request.log);
      const requested = exportOf(result.state, exportId);
      if (requested === undefined) throw new Error(`export ${exportId} is missing after its request`);
      // Private events only: no read model waits on them.
      sendWriteHeadersWithToken(reply, result, noReadModelEffect);
      return reply
        .code(202)
        .header('location', `/api/v1/users/me/exports/${exportId}`)
        .send(view(userId, requested));
    },
  );

  app.get(
    '/api/v1/users/me/exports/:exportId',
    {
      onRequest: app.requireAuth,
      schema: {
        tags,
        summary: "One of the caller's exports",
        security: bearer,
        params: Type.Object({ exportId: Id() }),
        response: { 200: Export, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const { userId } = caller(request);
      const { state } = await loadAggregate(context.store, streamIds.export(userId), exportDecider);
      // Another account's export is not in this account's stream: the same 404 as an unknown id.
      const found = exportOf(state, request.params.exportId);
      if (found === undefined) throw new HttpProblem(404, 'no such export');
      // The owner polling is who notices an abandoned build (jobs.ts).
      jobs.resumeAbandoned(userId, state, request.log);
      return view(userId, found);
    },
  );

  app.get(
    '/api/v1/users/:userId/exports/:exportId/archive',
    {
      schema: {
        tags,
        summary: 'Download an export archive',
        description:
          'The `url` of a ready export: no bearer token, the key in the link is the credential. Every link that ' +
          'does not lead to an archive (a wrong key, an expired link, a deleted account) answers the same 404.',
        params: Type.Object({ userId: Id(), exportId: Id() }),
        // Optional: a link without its key is one more link that leads nowhere (404), not a malformed request.
        querystring: Type.Object({ key: Type.Optional(Type.String({ maxLength: 512 })) }),
        response: {
          // Streamed as stored: the schema documents the bytes and never serializes them.
          200: {
            description: 'the archive',
            content: {
              'application/zip': { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) },
            },
          },
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { userId, exportId } = request.params;
      if ((await context.accounts.status(userId)) !== 'active') throw noArchive();
      const { state } = await loadAggregate(context.store, streamIds.export(userId), exportDecider);
      const found = exportOf(state, exportId);
      if (
        found?.status !== 'ready' ||
        Date.parse(found.expiresAt) <= context.clock().getTime() ||
        !sameKey(request.query.key, found.downloadKey)
      ) {
        throw noArchive();
      }
      const archive = await jobs.storage.get(userId, exportId);
      if (archive === undefined) throw noArchive();
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="gram-export-${exportId}.zip"`)
        .header('content-length', archive.bytes)
        .header('cache-control', 'private, no-store')
        .header('x-content-type-options', 'nosniff')
        .send(archive.body);
    },
  );
};

/**
 * Whether the presented key is the export's, in constant time: both are hashed first, so neither the
 * comparison's time nor a length check tells anything of the stored key. A forgotten key (the account's data
 * key destroyed, read as empty) matches nothing.
 */
function sameKey(presented: string | undefined, stored: string): boolean {
  if (presented === undefined || stored === '') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(stored));
}

/** The API's `Export`: the link only while the archive can be downloaded. */
export function toExport(accountId: string, found: AccountExport, now: Date, publicUrl: string): Export {
  const base = { id: found.exportId, createdAt: found.requestedAt };
  switch (found.status) {
    case 'pending':
    case 'failed':
      return { ...base, status: found.status };
    case 'ready': {
      const { readyAt, expiresAt } = found;
      if (Date.parse(expiresAt) <= now.getTime()) return { ...base, status: 'ready', readyAt, expiresAt };
      const url = new URL(`/api/v1/users/${accountId}/exports/${found.exportId}/archive`, publicUrl);
      url.searchParams.set('key', found.downloadKey);
      return { ...base, status: 'ready', readyAt, expiresAt, url: url.href };
    }
    default:
      return assertNever(found);
  }
}
