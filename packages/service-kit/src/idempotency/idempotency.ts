import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem, problems } from '../problem.js';
import { openSqliteIdempotencyStore } from './sqlite-store.js';
import type { IdempotencyStore } from './store.js';

/** How long a request's answer is given again to its repeats (API.md: within 24 h). */
export const idempotencyTtlMs = 24 * 60 * 60 * 1000;

/**
 * How long a claim holds a key with no answer yet. Longer than any request takes (the gateway gives a service
 * 30 s), so that a slow first request is never run a second time; short enough that a key whose request died
 * with its process is free again within minutes.
 */
export const idempotencyLeaseMs = 5 * 60 * 1000;

/** How a creating route takes `Idempotency-Key`: `config: { idempotent: {} }` on the route. */
export interface IdempotentRoute {
  /**
   * What of the request makes a repeat "the same request", beside its method and path: the body unless
   * given. `'in-handler'`: the handler reads the body itself (an upload streamed in) and calls
   * `app.claimIdempotencyKey` with what identifies it, before it creates anything.
   */
  fingerprint?: ((request: FastifyRequest) => unknown) | 'in-handler';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotent?: IdempotentRoute;
  }
  interface FastifyRequest {
    /** the key this request claimed, until its answer is stored (or the claim dropped) */
    idempotencyClaim: IdempotencyClaim | null;
  }
  interface FastifyInstance {
    /**
     * Claims the request's `Idempotency-Key` for a request identified by `what` (with its method and path).
     * Answers true when it has answered the request instead: the first request's answer again, or 409 / 422.
     * False when the request has no key, or now holds it and goes on.
     */
    claimIdempotencyKey: (request: FastifyRequest, reply: FastifyReply, what: unknown) => Promise<boolean>;
  }
}

interface IdempotencyClaim {
  key: string;
  owner: string;
  fingerprint: string;
}

export const idempotencyKeyHeader = 'idempotency-key';

const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x20-\\x7E]+$',
  description:
    'Any 1-255 printable ASCII characters, new for each new thing to create (a UUID, say). A repeat of the ' +
    'request with the same key and body by the same caller within 24 hours creates nothing and answers what ' +
    'the first one answered; with another body it answers 422 (`idempotency-key-reused`); while the first is ' +
    'still in progress, 409 (`idempotency-key-in-progress`).',
});

/**
 * The headers of an answer that a repeat gets again with its status and body: what the client reads of a
 * write. `x-request-id` is each request's own; the framing headers are set anew.
 */
const repeatedHeaders = [
  'content-type',
  'etag',
  'location',
  'x-stream-revision',
  'x-global-position',
  'x-consistency-token',
];

/**
 * Answers the client may get again by simply retrying, so a repeat must run the request again rather than
 * be given them: failures of ours (5xx), a rate limit (429), a conflict with a concurrent write (409, which a
 * new attempt decides afresh; a value taken stays taken, and answers the same 409 again).
 */
function isFinal(status: number): boolean {
  return status < 500 && status !== 408 && status !== 409 && status !== 429;
}

export interface IdempotencyOptions {
  /**
   * Where the answers are kept (`openIdempotencyStoreFromEnv` in a service's main). Without it, in this
   * process's memory, for as long as the app runs: for tests and benchmarks.
   */
  store?: IdempotencyStore;
}

/**
 * `Idempotency-Key` on the routes that create something (API.md, Conventions: Retries). A route takes it with
 * `config: { idempotent: {} }`; this plugin, registered before the routes, documents the header and its
 * answers on them and runs the protocol:
 *
 * - the first request with a key claims it (atomically in the store: of concurrent repeats exactly one runs,
 *   the others answer 409 `idempotency-key-in-progress`), runs, and its final answer (status, body and the
 *   headers in `repeatedHeaders`) is stored for 24 h before it is sent;
 * - a repeat with the same method, path and body gets that answer again, without running; with another one,
 *   422 `idempotency-key-reused`;
 * - an answer that is not final (see `isFinal`) is not stored, and the key is free again for a retry.
 *
 * Keys are the caller's own: the authenticated account's. A request without an account (a signup) shares
 * one space of keys with every other: a repeat is only answered when its body is the same, so someone else's
 * key gets another client nothing but a 422, and the client address is left out on purpose, as a phone's
 * retry after a lost answer often comes from another network.
 *
 * A body is compared by its SHA-256 after validation and trimming, its keys in order, so that a repeat
 * sent with its fields in another order is the same request.
 */
export const idempotency = fp<IdempotencyOptions>(
  async (app, options) => {
    const store = options.store ?? openSqliteIdempotencyStore({ path: ':memory:' });
    if (options.store === undefined) app.addHook('onClose', () => store.close());
    app.decorateRequest('idempotencyClaim', null);

    const claimIdempotencyKey = async (request: FastifyRequest, reply: FastifyReply, what: unknown) => {
      const key = request.headers[idempotencyKeyHeader];
      if (typeof key !== 'string') return false;
      const scoped = `${request.auth?.userId ?? 'anonymous'}:${key}`;
      const path = request.url.split('?')[0];
      const fingerprint = createHash('sha256')
        .update(JSON.stringify(sortedKeys([request.method, path, what])))
        .digest('base64url');
      const owner = randomUUID();
      let stored: Awaited<ReturnType<IdempotencyStore['claim']>>;
      try {
        stored = await store.claim(scoped, owner, idempotencyLeaseMs);
      } catch (error) {
        request.log.error({ err: error }, 'the idempotency store cannot be reached');
        throw new HttpProblem(503, 'idempotency keys cannot be checked right now; try again', {
          headers: { 'retry-after': '1' },
        });
      }
      if (stored === undefined) {
        request.idempotencyClaim = { key: scoped, owner, fingerprint };
        return false;
      }
      if (stored.state === 'in-progress') {
        throw new HttpProblem(
          409,
          'a request with this Idempotency-Key is still in progress; try again later',
          {
            code: 'idempotency-key-in-progress',
          },
        );
      }
      if (stored.fingerprint !== fingerprint) {
        throw new HttpProblem(422, 'this Idempotency-Key was used for another request', {
          code: 'idempotency-key-reused',
          errors: [{ field: idempotencyKeyHeader, message: 'must be new for each new request' }],
        });
      }
      reply.code(stored.status).headers(stored.headers).send(stored.body);
      return true;
    };
    app.decorate('claimIdempotencyKey', claimIdempotencyKey);

    const storeAnswer = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const claim = request.idempotencyClaim;
      if (claim === null) return payload;
      request.idempotencyClaim = null;
      const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload.toString() : undefined;
      try {
        if (body !== undefined && isFinal(reply.statusCode)) {
          const headers: Record<string, string> = {};
          for (const name of repeatedHeaders) {
            const value = reply.getHeader(name);
            if (value !== undefined) headers[name] = String(value);
          }
          const answer = { fingerprint: claim.fingerprint, status: reply.statusCode, headers, body };
          await store.complete(claim.key, claim.owner, answer, idempotencyTtlMs);
        } else {
          await store.release(claim.key, claim.owner);
        }
      } catch (error) {
        // The answer goes out anyway: the write is done. Repeats meanwhile answer 409 until the claim's lease ends.
        request.log.error({ err: error }, 'the answer to an Idempotency-Key could not be stored');
      }
      return payload;
    };

    app.addHook('onRoute', (route) => {
      const idempotent = route.config?.idempotent;
      if (idempotent === undefined) return;
      documentIdempotencyKey(route);
      const { fingerprint = (request: FastifyRequest) => request.body } = idempotent;
      if (fingerprint !== 'in-handler') {
        const claim = async (request: FastifyRequest, reply: FastifyReply) => {
          if (await claimIdempotencyKey(request, reply, fingerprint(request))) return reply;
        };
        route.preHandler = [...hooks(route.preHandler), claim];
      }
      route.onSend = [...hooks(route.onSend), storeAnswer];
    });
  },
  { name: 'idempotency' },
);

/** The header, and the answers it brings, in the route's schema (a copy: route schemas are shared constants). */
function documentIdempotencyKey(route: RouteOptions): void {
  const schema = route.schema ?? {};
  if (schema.headers !== undefined) {
    throw new Error(
      `${route.url}: idempotency documents its header in a route without a headers schema only`,
    );
  }
  const response = (schema.response ?? {}) as Record<string, unknown>;
  const missing = [409, 422, 503].filter((status) => !(String(status) in response));
  route.schema = {
    ...schema,
    headers: Type.Object({ [idempotencyKeyHeader]: Type.Optional(IdempotencyKey) }),
    response: { ...response, ...problems(...missing) },
  };
}

/** `value` with the keys of every object in it in order, so that equal JSON values stringify alike. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, sortedKeys(object[key])]),
  );
}

function hooks<T>(hook: T | T[] | undefined): T[] {
  if (hook === undefined) return [];
  return Array.isArray(hook) ? hook : [hook];
}
