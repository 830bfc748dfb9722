import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What the read side answered. */
export interface ReadSideAnswer {
  statusCode: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A GET of `path` on the read side (the query API), with these request headers. */
export type ReadSide = (path: string, headers: Record<string, string>) => Promise<ReadSideAnswer>;

/**
 * Writes whose command side cannot tell the whole resource: PATCH /posts/:postId and PATCH /users/me
 * answer the counters (likes, comments, followers, posts) as 0, because only the read side counts them
 * (see `editedPost` in content and `toProfile` in identity). For these, the gateway answers the read
 * side's GET of the same path instead, sent with the write's `x-consistency-token` so that it waits
 * until the read model has applied the edit.
 */
export const readAfterWriteRoutes: ReadonlySet<string> = new Set([
  'PATCH /api/v1/posts/:postId',
  'PATCH /api/v1/users/me',
]);

/**
 * The onSend hook of those routes. On a 200 it swaps the command side's body for the read side's,
 * keeping the write's status and headers (`x-consistency-token`, `x-global-position`, ...) and adding
 * `x-read-consistency`. Should the read fail or answer anything but 200, the command side's answer
 * goes out as it is: the edit happened, and that answer is still true but for its counters.
 */
export function answerFromReadSide(readSide: ReadSide) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (reply.statusCode !== 200) return payload;
    const token = reply.getHeader('x-consistency-token');
    if (typeof token !== 'string') return payload;
    const headers: Record<string, string> = { 'x-consistency-token': token, 'x-request-id': request.id };
    if (request.headers.authorization) headers.authorization = request.headers.authorization;
    let read: ReadSideAnswer;
    try {
      read = await readSide(request.url.split('?')[0] as string, headers);
    } catch (error) {
      request.log.warn(
        { err: error },
        'read-after-write: the read side could not be read; answering the write',
      );
      return payload;
    }
    if (read.statusCode !== 200) {
      request.log.warn(
        { status: read.statusCode },
        'read-after-write: the read side refused; answering the write',
      );
      return payload;
    }
    // The command side's body is not sent: let a proxied one flow out so its connection can be reused.
    if (payload instanceof Readable) payload.resume();
    const consistency = read.headers['x-read-consistency'];
    if (typeof consistency === 'string') reply.header('x-read-consistency', consistency);
    reply.removeHeader('content-length');
    reply.header('content-type', 'application/json; charset=utf-8');
    return read.body;
  };
}
