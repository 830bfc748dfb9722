import { type Static, Type } from '@sinclair/typebox';

/** RFC 9457 problem details, the one error shape of the whole API. */
export const ProblemDetails = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    code: Type.Optional(Type.String({ description: 'the rule that refused the request, kebab-case' })),
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
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * The `code` of a problem that names no rule of its own: the one each status stands for. A refusal with a
 * more precise rule (`taken`, `blocked`, ...) gives its own.
 */
const codes: Record<number, string> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'rate-limited',
  500: 'internal',
  502: 'bad-gateway',
  503: 'unavailable',
  504: 'timeout',
};

/** An error that knows its HTTP answer. Thrown at the edge only; domain code returns DomainError. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly title: string;
  readonly code: string | undefined;
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly options: {
      type?: string;
      title?: string;
      /** kebab-case; the status's own code without it */
      code?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.title = options.title ?? titles[status] ?? 'Error';
    this.code = options.code ?? codes[status];
  }

  toJSON(): ProblemDetails {
    return {
      type: this.options.type ?? problemType(this.status),
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.code !== undefined ? { code: this.code } : {}),
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
  }
}

export function problemType(status: number): string {
  return `https://httpstatuses.io/${status}`;
}

export function problemBody(status: number, detail: string, errors?: FieldError[]): ProblemDetails {
  return new HttpProblem(status, detail, errors ? { errors } : {}).toJSON();
}

/** The problem responses a route may answer, for its schema: `response: { ...problems(400, 404) }`. */
export function problems(...statuses: number[]): Record<number, typeof ProblemDetails> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemDetails]));
}
