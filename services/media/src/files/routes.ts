import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpProblem, problems } from '@gram/service-kit';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { immutableCacheControl, type MediaStorage } from '../storage/media-storage.js';
import { imageMediaTypes } from '../uploads/image-format.js';
import { etagOfKey } from '../uploads/media-keys.js';
import { filesPath } from '../uploads/media-view.js';

export interface FileRoutesOptions {
  storage: MediaStorage;
}

/**
 * GET /api/v1/media/files/<key>: the stored bytes, from whichever storage the service uses. A key holds the
 * hash of its bytes, so the ETag comes from the key alone and a revalidation (If-None-Match) is answered 304
 * without touching the storage; the bytes never change, so clients may cache them for a year.
 */
export const fileRoutes: FastifyPluginAsyncTypebox<FileRoutesOptions> = async (app, { storage }) => {
  app.get(
    `${filesPath}*`,
    {
      schema: {
        tags: ['media'],
        summary: 'The bytes of a stored image',
        params: Type.Object({ '*': Type.String() }),
        response: {
          // The bytes are streamed as they are, with the media type they were stored with: the schema
          // documents them and never serializes them.
          200: {
            description: 'the image',
            content: Object.fromEntries(
              imageMediaTypes.map((type) => [
                type,
                { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) },
              ]),
            ),
          },
          304: Type.Null({ description: 'the cached copy (If-None-Match) is current' }),
          ...problems(404),
        },
      },
    },
    async (request, reply) => {
      const key = request.params['*'];
      const etag = etagOfKey(key);
      if (etag === undefined) throw new HttpProblem(404, 'no such file');
      reply.header('etag', etag).header('cache-control', immutableCacheControl);
      if (matchesEtag(request.headers['if-none-match'], etag)) {
        // No payload at all (not a serialized `null`): a 304 carries no body and so no Content-Length of one.
        return (reply as FastifyReply).code(304).send();
      }
      const file = await storage.get(key);
      if (!file) throw new HttpProblem(404, 'no such file');
      return reply
        .type(file.contentType)
        .header('content-length', file.contentLength)
        .header('x-content-type-options', 'nosniff')
        .send(file.body);
    },
  );
};

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}
