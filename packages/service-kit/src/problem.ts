import { type Static, Type } from '@sinclair/typebox';

/** RFC 9457 problem details, the one error shape of the whole API. */
export const ProblemDetails = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'a stable kebab-case name of the rule that refused the request' }),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'ProblemDetails', description: 'RFC 9457 problem details' },
);
export type ProblemDetails = Static<typeof ProblemDetails>;

export interface FieldError {
  field: string;
  message: string;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * The `code` of a problem that names none: API.md's names for the statuses it gives one, otherwise the
 * status's title in kebab case (`content-too-large`). A 400 refuses input that breaks a field rule.
 */
const codes: Record<number, string> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  429: 'rate-limited',
};

/** An error that knows its HTTP answer. Thrown at the edge only; domain code returns DomainError. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly title: string;
  readonly code: string;
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: {
      type?: string;
      title?: string;
      /** the rule that refused the request, when it is not the status's own (see `codes`) */
      code?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.title = options.title ?? titles[status] ?? 'Error';
    this.code = options.code ?? codes[status] ?? this.title.toLowerCase().replaceAll(' ', '-');
  }

  toJSON(): ProblemDetails {
    return {
      type: this.options.type ?? problemType(this.status),
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
  }
}

export function problemType(status: number): string {
  return `https://httpstatuses.io/${status}`;
}

export function problemBody(
  status: number,
  detail: string,
  errors?: FieldError[],
  code?: string,
): ProblemDetails {
  return new HttpProblem(status, detail, {
    ...(errors ? { errors } : {}),
    ...(code ? { code } : {}),
  }).toJSON();
}

/**
 * The shared `ProblemDetails` by reference (`createServiceApp` adds the schema to every app), so that the
 * OpenAPI document has the one component, never a copy per route.
 */
const problemReference = Type.Unsafe<ProblemDetails>(Type.Ref('ProblemDetails'));

/**
 * A problem response answered with `Retry-After`, for a route's schema: `response: { 429: retryLater('...') }`.
 * The description and the header document the response; the body is the shared ProblemDetails.
 */
export function retryLater(description: string) {
  return {
    ...problemReference,
    description,
    headers: {
      'retry-after': Type.Integer({ minimum: 1, description: 'seconds to wait before trying again' }),
    },
  };
}

/** The problem responses a route may answer, for its schema: `response: { ...problems(400, 404) }`. */
export function problems(...statuses: number[]): Record<number, typeof problemReference> {
  return Object.fromEntries(statuses.map((s) => [s, problemReference]));
}

/** A route's 429 answer, for its schema: a problem with the `Retry-After` header. */
export const TooManyRequests = retryLater('too many requests: wait `Retry-After` seconds');

/** A refusal by a rate limit: 429, `rate-limited`, and how many whole seconds to wait. */
export function tooManyRequests(retryAfterSeconds: number, detail: string): HttpProblem {
  return new HttpProblem(429, detail, {
    code: 'rate-limited',
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
