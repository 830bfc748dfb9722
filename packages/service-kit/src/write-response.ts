import type { FastifyReply } from 'fastify';
import type { WriteResult } from './command-handler.js';

/**
 * A write tells the caller where its events landed: the stream revision and the global position.
 * `x-consistency-token` is what a client sends back on a read to wait until the read model has
 * applied this write (read-your-writes); its content is opaque to clients.
 */
export function sendWriteHeaders(reply: FastifyReply, ...results: WriteResult[]): FastifyReply {
  const last = results.reduce((a, b) => (b.position > a.position ? b : a));
  return sendWriteHeadersWithToken(reply, last, last.position);
}

/**
 * The write headers of a write whose effect on the read models is not its last event: the read side
 * applies public events only, so a token naming a private event would never be satisfied. Identity
 * passes the position of the write's last public event, or `noReadModelEffect` for a write with none
 * (a login, a refresh, a logout): a read sending that token back does not wait.
 */
export function sendWriteHeadersWithToken(
  reply: FastifyReply,
  result: WriteResult,
  consistencyPosition: number,
): FastifyReply {
  reply.header('x-stream-revision', String(result.streamRevision));
  reply.header('x-global-position', String(result.position));
  reply.header('x-consistency-token', encodeConsistencyToken(consistencyPosition));
  return reply;
}

/** The consistency position of a write that changes no read model: every read model has "applied" it. */
export const noReadModelEffect = 0;

export function encodeConsistencyToken(position: number): string {
  return `p${position.toString(36)}`;
}

export function decodeConsistencyToken(token: string): number | undefined {
  const match = /^p([0-9a-z]{1,12})$/.exec(token);
  return match?.[1] ? Number.parseInt(match[1], 36) : undefined;
}
