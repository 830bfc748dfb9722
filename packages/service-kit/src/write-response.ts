import type { FastifyReply } from 'fastify';
import type { WriteResult } from './command-handler.js';

/**
 * A write tells the caller where its events landed: the stream revision and the global position.
 * `x-consistency-token` is what a client sends back on a read to wait until the read model has
 * applied this write (read-your-writes); its content is opaque to clients.
 */
export function sendWriteHeaders(reply: FastifyReply, ...results: WriteResult[]): FastifyReply {
  const last = results.reduce((a, b) => (b.position > a.position ? b : a));
  reply.header('x-stream-revision', String(last.streamRevision));
  reply.header('x-global-position', String(last.position));
  reply.header('x-consistency-token', encodeConsistencyToken(last.position));
  return reply;
}

export function encodeConsistencyToken(position: number): string {
  return `p${position.toString(36)}`;
}

export function decodeConsistencyToken(token: string): number | undefined {
  const match = /^p([0-9a-z]{1,12})$/.exec(token);
  return match?.[1] ? Number.parseInt(match[1], 36) : undefined;
}
