import { AjvCompiler, type BuildCompilerFromPool, type ValidatorFactory } from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
  type RouteOptions,
} from 'fastify';
import { answerClientError } from './client-errors.js';
import { newId } from './ids.js';
import { internalServerOptions, requireInternalCredential } from './internal-credential.js';
import { malformedContentType, strictJsonBodies, wellFormedMediaType } from './json-body.js';
import { requestWithoutSecrets } from './logging.js';
import { type FieldError, HttpProblem, ProblemDetails, problemBody, problems } from './problem.js';
import { resourceSchemas } from './resources.js';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServiceAppOptions {
  /** the service's name, in logs and in its OpenAPI document */
  name: string;
  description?: string;
  logger?: FastifyServerOptions['logger'];
  /** largest accepted request body in bytes */
  bodyLimit?: number;
  /**
   * Which peers are proxies whose `X-Forwarded-For` names the client (fastify's `trustProxy`: addresses,
   * CIDR ranges, a hop count); without it `request.ip` is the socket's peer and the header is ignored.
   */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** a service of the distributed mode: answers only calls carrying this secret (internal-credential.ts) */
  internalSecret?: string;
}

/**
 * A fastify app with what every service shares: TypeBox schemas, RFC 9457 errors for every
 * failure (validation, unknown route, bad JSON, body too large, our own problems), JSON bodies
 * checked before they are parsed (json-body.ts), request targets in absolute form served, request ids
 * taken from `x-request-id` (so the gateway's id follows a request through every service), the API's
 * shared schemas (ProblemDetails and resources.ts) for route schemas to refer to, an OpenAPI 3.1
 * document built from the route schemas, and `/health`.
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = Fastify({
    logger: withoutSecretsInUrls(options.logger ?? false),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Closing ends every connection at once, those of open notification streams among them (their clients
    // reconnect, resuming from their Last-Event-ID), rather than waiting for streams that never end on their own.
    // A request under way is cut as a crash would cut it; its client retries it (with its Idempotency-Key).
    forceCloseConnections: true,
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.internalSecret !== undefined ? internalServerOptions : {}),
    requestIdHeader: 'x-request-id',
    genReqId: () => newId(),
    rewriteUrl: (request) => originForm(request.url ?? '/'),
    schemaController: { compilersFactory: { buildValidator: strictBodies() } },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.internalSecret !== undefined) requireInternalCredential(app, options.internalSecret);

  strictJsonBodies(app);
  // The shared schemas that route schemas refer to by `$id` (resources.ts): every app resolves them, and the
  // OpenAPI document has each as one component.
  for (const schema of [ProblemDetails, ...resourceSchemas]) app.addSchema(schema);
  app.addHook('onRoute', documentBodyAnswers);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('application/problem+json')
      .send(problemBody(404, `no route for ${request.method} ${request.url.split('?')[0]}`));
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.name, description: options.description ?? '', version: '1.0.0' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) =>
      'openapiObject' in document
        ? documentProblemsAsProblemJson(document.openapiObject)
        : document.swaggerObject,
  });

  app.get(
    '/health',
    { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  return app;
}

/** The log's options with its request serializer (unless they bring their own) keeping secrets out of URLs. */
function withoutSecretsInUrls(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (typeof logger !== 'object' || logger === null) return logger;
  return { ...logger, serializers: { req: requestWithoutSecrets, ...logger.serializers } };
}

/**
 * A request target in absolute form (`GET http://host/path HTTP/1.1`), which a server must accept (RFC 9112
 * §3.2.2), as its origin form (`/path`): the router would find the route either way, but every `request.url`
 * (the gateway's forwarding, the 404's detail) is then the path it is written for. Nothing reads the Host
 * header, which that section says the target's authority overrides.
 */
function originForm(url: string): string {
  const authority = /^https?:\/\/[^/?#]*/i.exec(url);
  if (authority === null) return url;
  const rest = url.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * Validators for request parts. Query strings, path parameters and headers arrive as text, so their
 * values are coerced to the schema's types (`?limit=5` is the number 5). A JSON body carries its own
 * types and is validated as sent: `{ "caption": 5 }` or `{ "bio": null }` is a 400 naming the field,
 * never silently turned into a string.
 */
function strictBodies(): ValidatorFactory {
  const compilers = AjvCompiler();
  const common = { allErrors: true, removeAdditional: false, useDefaults: true } as const;
  const factory: BuildCompilerFromPool = (externalSchemas, serverOptions) => {
    type Options = Parameters<BuildCompilerFromPool>[1];
    const withOptions = (customOptions: object) => ({ ...serverOptions, customOptions }) as Options;
    const coercing = compilers(externalSchemas, withOptions({ ...common, coerceTypes: 'array' }));
    const strict = compilers(externalSchemas, withOptions({ ...common, coerceTypes: false }));
    // fastify calls the compiler with the route's schema definition, httpPart included
    return ((route: { httpPart?: string }) =>
      (route.httpPart === 'body' ? strict : coercing)(
        route as never,
      )) as unknown as ReturnType<BuildCompilerFromPool>;
  };
  return factory;
}

function errorHandler(
  this: FastifyInstance,
  error: FastifyError | HttpProblem | Error,
  request: Parameters<Parameters<FastifyInstance['setErrorHandler']>[0]>[1],
  reply: Parameters<Parameters<FastifyInstance['setErrorHandler']>[0]>[2],
) {
  reply.type('application/problem+json');
  if (error instanceof HttpProblem) {
    if (error.options.headers) reply.headers(error.options.headers);
    return reply.code(error.status).send(error.toJSON());
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map(
      (v): FieldError => ({
        field: fieldOf(v.instancePath, v.params as Record<string, unknown>),
        message: v.message ?? 'is invalid',
      }),
    );
    const where = fastifyError.validationContext ?? 'request';
    return reply.code(400).send(problemBody(400, `the ${where} is invalid`, errors));
  }
  // fastify has no parser for a Content-Type it cannot read either: that one is malformed, not unsupported.
  const contentType = request.headers['content-type'];
  if (
    fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' &&
    contentType !== undefined &&
    wellFormedMediaType(contentType) === undefined
  ) {
    return reply.code(400).send(malformedContentType().toJSON());
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // fastify closes the connection after a body it stopped reading; left open, Node reads and drops the rest.
    // Whoever sends the body is then not cut off in the middle of it: the gateway in front of a service, whose
    // upload failing under it turned the service's 413 into a 502.
    reply.removeHeader('connection');
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return reply.code(status).send(problemBody(status, error.message));
  }
  // An error that says it is an outage of something the request needs (`statusCode` 503: a key store that
  // cannot answer, say): the client retries later; its detail stays in the log.
  if (status === 503) {
    request.log.warn({ err: error }, 'a dependency is unavailable');
    return reply
      .code(503)
      .header('retry-after', '1')
      .send(problemBody(503, 'a service this request needs is unavailable; try again shortly'));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send(problemBody(500, 'an unexpected error occurred; it has been logged'));
}

/**
 * What the router refuses before any route runs (a path that is not valid percent-encoding, a path
 * parameter over the router's length limit) is bad input like any other: a 400 problem, not fastify's
 * own JSON (nor its 414, which the API does not know). No hook runs for it, hence the request id here.
 */
function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path segment is too long'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'the path is not valid percent-encoding'
        : error.message;
  reply
    .code(400)
    .header('x-request-id', request.id)
    .type('application/problem+json')
    .send(problemBody(400, detail));
}

/**
 * What any body may be answered before its route sees it, added to the documented responses of every route
 * that takes one (a copy: route schemas are shared constants): 400 for a body that is not valid JSON or
 * not a valid value, 413 past the body limit, 415 for a media type other than JSON.
 */
function documentBodyAnswers(route: RouteOptions): void {
  const schema = route.schema;
  if (schema?.body === undefined || typeof schema.response !== 'object' || schema.response === null) return;
  const response = schema.response as Record<string, unknown>;
  const missing = [400, 413, 415].filter((status) => !(String(status) in response));
  if (missing.length > 0) route.schema = { ...schema, response: { ...response, ...problems(...missing) } };
}

type OpenApiResponses = Record<string, { content?: Record<string, unknown> }>;
type OpenApiDocument = { paths?: Record<string, Record<string, { responses?: OpenApiResponses }>> };

/**
 * Every error of the API is RFC 9457 problem details sent as `application/problem+json` (the error
 * handler above); @fastify/swagger documents every response schema as `application/json` (or as the route's
 * `produces`). This puts the media type the errors are sent with on every 4xx and 5xx response of the document.
 */
function documentProblemsAsProblemJson<T extends object>(document: T): T {
  const paths = (document as OpenApiDocument).paths ?? {};
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const content = response?.content;
        if (!/^[45]/.test(status) || content === undefined || 'application/problem+json' in content) continue;
        // A route that produces another media type (an event stream) has its errors documented under that type
        // too: they are sent as problem details all the same.
        const media = content['application/json'] ?? Object.values(content)[0];
        if (media === undefined) continue;
        response.content = { 'application/problem+json': media };
      }
    }
  }
  return document;
}

/** `/userName` → `userName`, `/items/0/x` → `items.0.x`; a missing property names itself. */
function fieldOf(instancePath: string, params: Record<string, unknown>): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const child =
    typeof params.missingProperty === 'string'
      ? params.missingProperty
      : typeof params.additionalProperty === 'string'
        ? params.additionalProperty
        : undefined;
  if (child) return path ? `${path}.${child}` : child;
  return path || '(root)';
}

/**
 * A standalone service's shutdown: on SIGINT or SIGTERM close the app (running its onClose hooks,
 * which close its clients) and exit, non-zero when closing failed.
 */
export function closeOnSignals(app: FastifyInstance): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
