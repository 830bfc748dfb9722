import { PassThrough, type Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import { HttpProblem, problemBody, type ServiceApp } from '@gram/service-kit';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Dispatcher } from 'undici';
import type { ServiceName, ServiceRoute } from '../routing/service-routes.js';
import type { InternalCredential, Upstreams } from './upstreams.js';

export interface ForwardingOptions {
  routes: readonly ServiceRoute[];
  upstreams: Upstreams;
  /** one keep-alive connection pool per service */
  dispatcher: Dispatcher;
  /** how long a service may take to answer (its headers, then each chunk of its body) */
  timeoutMs: number;
  /** the internal credential's header, which every service asks of every call */
  credential: InternalCredential;
  /**
   * The pool of the routes that answer `text/event-stream` (`GET /notifications/stream`): a connection of its own
   * for each open stream, however many (each holds its connection as long as it is open, and would starve the
   * other calls of a bounded pool), its own headers and body timeouts (the request's `timeoutMs` would end a
   * stream after that long without a byte: the dispatcher's body timeout, longer than the stream's keepalives,
   * ends only a stream whose service went silent).
   */
  streamDispatcher: Dispatcher;
}

/**
 * Headers that concern this connection only (RFC 9110 §7.6.1), not the next one. `expect` too: this
 * server has already answered `100-continue`, and the client's body is on its way.
 */
const hopByHop = [
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
];

/** Connection failures that say the service is not there at all: 503, where anything else is 502. */
const unreachable = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Serves every route of the services by forwarding it, unchanged, to the service that owns it. The
 * routes are declared here with the services' own patterns and schemas (so fastify's router picks the
 * same route a service would, and `/openapi.json` documents them), but nothing is validated here: the
 * service does that, and answers the errors API.md lists.
 *
 * Bodies are streamed to the service as they arrive, never parsed or buffered here (a photo upload is
 * up to 10 MB). Request headers go through as
 * sent (`x-consistency-token` among them), with this request's `x-request-id`. A service that cannot be
 * reached answers 503, one that does not answer in time 504, one that fails otherwise 502.
 */
export async function forwardRoutes(app: ServiceApp, options: ForwardingOptions): Promise<void> {
  const streaming = (route: ServiceRoute) =>
    (route.schema as { produces?: string[] } | undefined)?.produces?.includes('text/event-stream') === true;
  await app.register(forwardingScope, { ...options, routes: options.routes.filter((r) => !streaming(r)) });
  await app.register(forwardingScope, {
    ...options,
    routes: options.routes.filter(streaming),
    dispatcher: options.streamDispatcher,
    stream: true,
  });
}

/** One reply-from (one dispatcher) and the routes forwarded through it. */
async function forwardingScope(
  scope: ServiceApp,
  options: ForwardingOptions & { dispatcher: Dispatcher; stream?: boolean },
): Promise<void> {
  await scope.register(replyFrom, { undici: options.dispatcher, disableRequestLogging: true });
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, payload, done) => done(null, detachable(payload)));
  // reply-from closes the client's connection when the service answers before the body is all in; the
  // body is drained instead (see detachable), so the connection can serve the next request.
  scope.addHook('onSend', async (_request, reply) => {
    reply.removeHeader('connection');
  });
  for (const route of options.routes) scope.route(forwarded(route, options));
}

/**
 * The client's body as the forwarded request's body, in a stream of its own. A service may answer before it has
 * read the whole body (413 past the upload limit, 401 before reading anything); undici then closes that
 * connection and destroys the body it was sending. Handed the client's request itself, that would reset the
 * client's connection in the middle of its upload, and the client would get a write error instead of the
 * answer, or the answer only if it won the race. Here only the copy is destroyed: the rest of the client's
 * body is read and dropped, as Node does for a route that answers early, the answer goes out, and the
 * connection stays open for the next request.
 */
function detachable(payload: Readable): Readable {
  const body = new PassThrough();
  payload.pipe(body);
  payload.on('error', (error) => body.destroy(error));
  body.on('close', () => {
    if (payload.readableEnded) return;
    payload.unpipe(body);
    payload.resume();
  });
  return body;
}

function forwarded(route: ServiceRoute, options: ForwardingOptions & { stream?: boolean }): RouteOptions {
  const base = options.upstreams[route.service];
  return {
    method: route.method,
    url: route.url,
    ...(route.schema ? { schema: route.schema } : {}),
    // The service validates; here the schema only documents the route.
    validatorCompiler: () => () => true,
    handler: (request, reply) => forward(request, reply, route.service, base, options),
  };
}

function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  service: ServiceName,
  base: string,
  { timeoutMs, credential, stream }: ForwardingOptions & { stream?: boolean },
): FastifyReply {
  // The path as the client sent it; reply-from appends the query string itself.
  const path = request.url.split('?')[0] as string;
  try {
    return reply.from(base + path, {
      // the response is streamed through as it comes, never buffered; a stream's timeouts are its dispatcher's
      ...(stream ? {} : { timeout: timeoutMs }),
      // A GET whose kept-alive connection the service had just closed is tried once more.
      retriesCount: 1,
      rewriteRequestHeaders: (_request, headers) => {
        // The client's address as this gateway sees it (its own TRUST_PROXY decides whether a proxy in front
        // names it), replacing whatever X-Forwarded-For the client sent: the service believes this header on
        // calls that carry the credential. The credential replaces any copy the client sent (Node gives
        // header names in lower case, so the client's copy is this very key).
        const forwarded = {
          ...headers,
          'x-request-id': request.id,
          'x-forwarded-for': request.ip,
          ...credential,
        };
        for (const name of hopByHop) Reflect.deleteProperty(forwarded, name);
        return forwarded;
      },
      onError: (failed, { error }) => {
        const status = statusOf(error);
        request.log.warn({ err: error, service, status }, 'forwarding failed');
        const detail =
          status === 503
            ? `the ${service} service is unavailable`
            : status === 504
              ? `the ${service} service did not answer within ${timeoutMs} ms`
              : `the ${service} service failed to answer`;
        failed.code(status).type('application/problem+json').send(problemBody(status, detail));
      },
    });
  } catch (error) {
    // reply-from refuses a path it cannot decode or one with `..` segments before sending anything.
    if (error instanceof URIError || (error instanceof Error && 'statusCode' in error)) {
      throw new HttpProblem(400, 'the request path is not valid');
    }
    throw error;
  }
}

function statusOf(error: Error & { statusCode?: number; code?: string }): 502 | 503 | 504 {
  const cause = error.cause as { code?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : error.code;
  if ((code !== undefined && unreachable.has(code)) || error.statusCode === 503) return 503;
  if (error.statusCode === 504) return 504;
  return 502;
}
