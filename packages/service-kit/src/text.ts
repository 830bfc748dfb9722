import type { FastifyRequest } from 'fastify';
import { type FieldError, HttpProblem } from './problem.js';

/**
 * What a free text field may hold, besides its length (which its schema states):
 * - `line`, a name or an identifier: one line, no control character at all;
 * - `lines`, a caption, a comment, a bio: line breaks and tabs allowed. CR is allowed beside LF
 *   because browsers send a textarea's line breaks as CRLF.
 */
export type TextRule = 'line' | 'lines';

export type CheckedText = { ok: true; text: string } | { ok: false; message: string };

/**
 * Control characters (C0, DEL, C1): a NUL cuts the text short in C-string consumers, an escape
 * sequence recolours a terminal that prints a log line, and none of them renders.
 */
const controls: Record<TextRule, RegExp> = {
  line: /\p{Cc}/u,
  // a control that is not a tab, LF or CR: neither a non-control nor one of those three
  lines: /[^\P{Cc}\t\n\r]/u,
};

/**
 * A character that shows something. Whitespace and the default-ignorable code points (zero-width
 * spaces and joiners, bidi controls such as U+202E, the soft hyphen, the Hangul filler U+3164,
 * variation selectors) render as nothing: a name made only of them looks empty, or like another
 * account's name, in every list it appears in.
 */
const visible = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}]/u;

/**
 * The text as stored: trimmed (API.md's "trimmed" fields), then refused when it holds a control
 * character its rule forbids, or when it is not empty yet shows nothing. An empty text is left to
 * the field's schema (`minLength`), which knows whether the field may be empty.
 */
export function checkText(value: string, rule: TextRule): CheckedText {
  const text = value.trim();
  if (controls[rule].test(text)) {
    return {
      ok: false,
      message:
        rule === 'line'
          ? 'must not contain control characters or line breaks'
          : 'must not contain control characters other than tabs and line breaks',
    };
  }
  if (text !== '' && !visible.test(text)) {
    return { ok: false, message: 'must contain a visible character' };
  }
  return { ok: true, text };
}

/**
 * A preValidation hook that applies `checkText` to the named string fields of a JSON body: each is
 * replaced by its trimmed text, so the route's schema judges the value that will be stored (a blank
 * name fails `minLength: 1`, surrounding spaces never count against a length), and a field that
 * breaks its rule is a 400 validation problem naming it, all such fields at once. A value that is
 * not a string, or a missing field, is left for the schema to refuse.
 */
export function textFields(rules: Record<string, TextRule>) {
  return async (request: FastifyRequest): Promise<void> => {
    const body: unknown = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const errors: FieldError[] = [];
    for (const [field, rule] of Object.entries(rules)) {
      const value: unknown = Reflect.get(body, field);
      if (typeof value !== 'string') continue;
      const checked = checkText(value, rule);
      if (checked.ok) Reflect.set(body, field, checked.text);
      else errors.push({ field, message: checked.message });
    }
    if (errors.length > 0) throw new HttpProblem(400, 'the body is invalid', { errors });
  };
}
