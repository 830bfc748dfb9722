import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { problemBody } from './problem.js';

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists (header
 * fields over `maxHeaderSize`, bytes that are not HTTP, a request that never finished arriving) is
 * answered as problem details with a `code`, like every other refusal, where fastify would send
 * its own JSON. No hook, route or request id exists yet; the connection is closed after the answer,
 * as Node does, since the parser cannot find where the next request would start.
 */
export function answerClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  // A reset connection has no one left to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail, code] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request header fields are larger than the server accepts', undefined]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time', undefined]
        : [400, 'the request is not valid HTTP', 'bad-request'];
  this.log.debug({ err: error }, 'refused before parsing completed');
  if (socket.writable) {
    const body = JSON.stringify(problemBody(status, detail, undefined, code));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
