import { createHash, randomBytes } from 'node:crypto';
import { isUuid } from '@gram/service-kit';

/** A refresh token lives 30 days from its issue; each refresh issues a new one. */
export const defaultRefreshTokenTtlSeconds = 30 * 24 * 60 * 60;

/**
 * A refresh token is opaque to clients: `<sessionId>.<32 random bytes, base64url>`. The session
 * id routes it to its session's stream; the random part is the secret. Only its SHA-256 hash is
 * stored, so the event store never holds a usable token.
 */
export function newRefreshToken(sessionId: string): string {
  return `${sessionId}.${randomBytes(32).toString('base64url')}`;
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The session a refresh token belongs to, or undefined when the token is not shaped like ours. */
export function sessionIdOf(token: string): string | undefined {
  const match = /^([0-9a-f-]{36})\.[A-Za-z0-9_-]{43}$/.exec(token);
  return match?.[1] && isUuid(match[1]) ? match[1] : undefined;
}
