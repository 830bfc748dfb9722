import type { FastifyRequest } from 'fastify';

/**
 * A preValidation hook that trims the named string fields of a JSON body, so the route's schema
 * judges the trimmed value: a blank text fails `minLength: 1`, a caption of 2200 characters with
 * a trailing newline passes `maxLength: 2200`, and the OpenAPI document states the real rule.
 * It only normalises; whatever it leaves (a number, a missing field) the schema still refuses.
 */
export function trimBodyFields(...fields: string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const body: unknown = request.body;
    if (typeof body !== 'object' || body === null) return;
    for (const field of fields) {
      const value: unknown = Reflect.get(body, field);
      if (typeof value === 'string') Reflect.set(body, field, value.trim());
    }
  };
}
