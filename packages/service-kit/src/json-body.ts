import { parse as parseMediaType } from 'fast-content-type-parse';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.js';

/**
 * How deeply arrays and objects may nest in a JSON body. The API's bodies are one or two levels deep; code
 * that walks a parsed value recursively (serializers, validators, comparisons) overflows the stack some
 * thousands of levels down, which would be a 500 for a 20 KB body.
 */
const maxJsonDepth = 32;

/**
 * The JSON body parser of every service, in place of fastify's: it refuses what fastify's would let through.
 * A Content-Type that is not a well-formed media type (RFC 9110 §8.3.1: `application/json;;;=;charset`,
 * which fastify still takes for JSON) is a 400; a charset other than UTF-8, the only encoding JSON has
 * (RFC 8259 §8.1), a 415; a body nested deeper than `maxJsonDepth`, a 400 before it is parsed. What passes
 * is parsed by fastify's own parser, with its guard against `__proto__` and `constructor` keys.
 */
export function strictJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // fastify chose this parser by the header: there is one
    const mediaType = wellFormedMediaType(request.headers['content-type'] ?? '');
    if (mediaType === undefined) return done(malformedContentType(), undefined);
    const charset = mediaType.parameters.charset?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8') {
      return done(new HttpProblem(415, `a JSON body is read as UTF-8, not ${charset}`), undefined);
    }
    // parseAs: 'string' hands a string; its type also allows the Buffer of parseAs: 'buffer'
    const text = body.toString();
    if (nestedDeeperThan(text, maxJsonDepth)) {
      return done(
        new HttpProblem(400, `the JSON body is nested deeper than ${maxJsonDepth} levels`),
        undefined,
      );
    }
    parseJson(request, text, done);
  });
}

/** The header's media type, or undefined when it is not well-formed. */
export function wellFormedMediaType(
  header: string,
): { type: string; parameters: Record<string, string> } | undefined {
  try {
    return parseMediaType(header);
  } catch {
    return undefined;
  }
}

export function malformedContentType(): HttpProblem {
  return new HttpProblem(400, 'the Content-Type header is malformed', {
    errors: [{ field: 'content-type', message: 'must be a media type such as application/json' }],
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether arrays and objects in `json` nest deeper than `max`, brackets inside strings not counted. One pass
 * over the text, nothing built: it runs before the parse, so that nothing recursive ever sees such a value.
 * On text that is not JSON the count may be off; the parse refuses that text anyway.
 */
function nestedDeeperThan(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}
