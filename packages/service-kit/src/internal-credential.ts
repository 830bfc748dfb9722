import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { HttpProblem } from './problem.js';

/**
 * Trust between the processes of the distributed mode. Every call from one of them to another (the
 * gateway's forwarded requests, its token checks, reads, health checks and metrics scrapes; a service's
 * fetch of identity's JWKS) carries INTERNAL_SERVICE_SECRET in this header, and every service refuses a
 * request without it. A service port reached by mistake (a published port, a wrong firewall rule) is
 * then no way around the gateway's token checks and rate limits. It is a header of its own, not
 * `Authorization`, which carries the client's bearer token through.
 *
 * Where the deployment offers mutual TLS (a service mesh, or certificates handed to each process), it
 * would sit beside this, in the transport: the gateway's undici Agent (`connect: { cert, key, ca }`) and
 * the services' `https` server options with `requestCert`. The shared secret stays the check every
 * deployment has.
 */
export const internalCredentialHeader = 'x-internal-service-secret';

/** The shortest secret accepted: 32 bytes, 256 bits, beyond guessing. */
export const internalSecretMinBytes = 32;

/**
 * INTERNAL_SERVICE_SECRET, which every process of the distributed mode needs: without it (or with a short
 * one) the process must not start, so that a misconfigured deployment fails closed instead of serving
 * everyone. The embedded mode makes no internal calls and needs none.
 */
export function internalSecretFromEnv(env: Record<string, string | undefined>): string {
  const secret = env.INTERNAL_SERVICE_SECRET?.trim();
  if (!secret) {
    throw new Error(
      'INTERNAL_SERVICE_SECRET is not set: the processes of the distributed mode share it to trust each other ' +
        `(at least ${internalSecretMinBytes} bytes, e.g. \`openssl rand -base64 32\`)`,
    );
  }
  if (Buffer.byteLength(secret) < internalSecretMinBytes) {
    throw new Error(`INTERNAL_SERVICE_SECRET must be at least ${internalSecretMinBytes} bytes long`);
  }
  return secret;
}

/** The headers that make a call internal. */
export function internalCredentialHeaders(secret: string): Record<string, string> {
  return { [internalCredentialHeader]: secret };
}

/**
 * Whether a request's header value is the secret, in constant time. The SHA-256 digests are compared, not
 * the strings: `timingSafeEqual` needs equal lengths, and checking the lengths first would tell a caller
 * how long the secret is. A header sent twice (an array) is refused.
 */
export function isInternalCredential(presented: string | string[] | undefined, secret: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(secret));
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The 401 for a call without the credential; it names no header, to a caller who has no business here. */
export const missingInternalCredential = () =>
  new HttpProblem(401, 'this service answers internal calls only; clients go through the gateway');

/**
 * What a service's server trusts when it requires the credential: one proxy hop, the gateway, which sets
 * `X-Forwarded-For` to the client's address. Safe only because every request without the credential is
 * refused in the first `onRequest` hook (below), before any handler runs: a client that reaches the port
 * directly cannot get a handler to believe an address it picked. Refused requests are logged with the
 * socket's peer for the same reason.
 */
export const internalServerOptions = { trustProxy: trustHops(1) } satisfies FastifyServerOptions;

/**
 * Fastify's `trustProxy` for the nearest `count` hops whatever their addresses: fastify takes no bare hop count
 * since 5.12, because a client that reaches the port directly picks its own address with one. Only for a server
 * no client reaches directly, or (as above) one that refuses every request without the credential first.
 */
export function trustHops(count: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < count;
}

/**
 * Refuses, with 401, every request that does not carry the credential, before anything else runs: it must
 * be the app's first `onRequest` hook (createServiceApp adds it first). `/health` stays open: the container's
 * health check (Dockerfile HEALTHCHECK, the orchestrator's probes) has no secret to send, and answering
 * `{ status: 'ok' }` tells a stranger nothing.
 */
export function requireInternalCredential(app: FastifyInstance, secret: string): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === '/health') return;
    if (isInternalCredential(request.headers[internalCredentialHeader], secret)) return;
    request.log.warn(
      { peer: request.socket.remoteAddress, url: request.url },
      'refused a request without the internal credential',
    );
    throw missingInternalCredential();
  });
}
