import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { newId } from './ids.js';
import { type FieldError, HttpProblem, ProblemDetails, problemBody } from './problem.js';

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
}

/**
 * A fastify app with what every service shares: TypeBox schemas, RFC 9457 errors for every
 * failure (validation, unknown route, bad JSON, body too large, our own problems), request ids
 * taken from `x-request-id` (so the gateway's id follows a request through every service),
 * an OpenAPI 3.1 document built from the route schemas, and `/health`.
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId(),
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ProblemDetails);
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
  });

  app.get(
    '/health',
    { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  return app;
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
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return reply.code(status).send(problemBody(status, error.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send(problemBody(500, 'an unexpected error occurred; it has been logged'));
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
