import { Type } from '@sinclair/typebox';
import { HttpProblem } from './problem.js';

/**
 * Conditional writes (API.md, Conventions): `GET /posts/:postId` and `GET /users/me` answer an `ETag`, and
 * their `PATCH` takes it back in `If-Match`; a resource that changed since answers 412 and nothing is written.
 *
 * The ETag names the revision of the resource's stream at its last public event: the revision the read side
 * keeps on its document (it applies public events only), and the one the write side finds in the stream when
 * it decides (`publicRevision` of `loadAggregate`). Only a change the client could have seen moves it: a
 * post's every event, a profile's edits, but not the private credential events of an account's stream. The
 * check is made by `handleCommand` against the stream it appends to, with that stream's revision as the
 * append's expected revision, so a write racing in between fails the append and is seen on the retry: a
 * read model that lags can make an ETag stale (a 412 the client recovers from by reading again), never let
 * a stale one through.
 */
export function revisionETag(revision: number): string {
  return `"${revision}"`;
}

/** What `If-Match` asks: any current representation (`*`), or one of these entity tags. */
export type IfMatch = '*' | readonly string[];

export const ifMatchHeader = 'if-match';

/** For a route's headers schema: `headers: Type.Object({ 'if-match': IfMatchHeader })`. */
export const IfMatchHeader = Type.Optional(
  Type.String({
    description:
      'The `ETag` of the resource as the client last read it: when the resource changed since, the answer is ' +
      '412 (`precondition-failed`) and nothing is written.',
  }),
);

/** An entity tag of RFC 9110 §8.8.3, weak or strong, and the separators of a list of them. */
const listedEntityTag = /[\t ]*(W\/)?("[\x21\x23-\x7E\x80-\xFF]*")[\t ]*(?:,|$)/y;

/**
 * The entity tags of an `If-Match` header (RFC 9110 §13.1.1), or undefined without one; 400 when it is
 * not `*` nor a list of entity tags. Weak tags are left out: If-Match compares strongly, so they never match.
 */
export function ifMatchOf(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  const malformed = new HttpProblem(400, 'If-Match is not a list of entity tags', {
    errors: [{ field: ifMatchHeader, message: 'must be "*" or ETags as the API answers them, e.g. "3"' }],
  });
  if (header.trim() === '') throw malformed;
  const tags: string[] = [];
  listedEntityTag.lastIndex = 0;
  while (listedEntityTag.lastIndex < header.length) {
    const match = listedEntityTag.exec(header);
    if (match === null || match[0] === '') throw malformed;
    if (match[1] === undefined) tags.push(match[2] as string);
  }
  return tags;
}

/** Throws 412 unless `ifMatch` (when there is one) names the resource at `revision` (at -1: none exists). */
export function assertIfMatch(ifMatch: IfMatch | undefined, revision: number): void {
  if (ifMatch === undefined) return;
  const current = revision === -1 ? undefined : revisionETag(revision);
  const matches =
    ifMatch === '*' ? current !== undefined : current !== undefined && ifMatch.includes(current);
  if (!matches) {
    throw new HttpProblem(412, 'the resource changed since the If-Match ETag was read: read it again', {
      code: 'precondition-failed',
    });
  }
}
