import { describe, expect, it } from 'vitest';
import { assertIfMatch, ifMatchOf, revisionETag } from './conditional-writes.js';

describe('If-Match', () => {
  it('reads "*", one entity tag or a list of them; weak tags never match, so they are left out', () => {
    expect(ifMatchOf(undefined)).toBeUndefined();
    expect(ifMatchOf('*')).toBe('*');
    expect(ifMatchOf('"3"')).toEqual(['"3"']);
    expect(ifMatchOf('"3", W/"4" ,"5"')).toEqual(['"3"', '"5"']);
    expect(ifMatchOf('"a,b"')).toEqual(['"a,b"']);
  });

  it('answers 400 validation to a header that is not entity tags', () => {
    for (const header of ['3', '"3', '"3" "4"', 'W/3', '"3",,x', '', '"caf\u00e9" x']) {
      expect(() => ifMatchOf(header), JSON.stringify(header)).toThrow(
        expect.objectContaining({ status: 400, code: 'validation' }),
      );
    }
  });

  it('passes the ETag of the current revision, or "*" on a resource that exists; 412 otherwise', () => {
    expect(() => assertIfMatch(undefined, 3)).not.toThrow();
    expect(() => assertIfMatch([revisionETag(3)], 3)).not.toThrow();
    expect(() => assertIfMatch(['"2"', '"3"'], 3)).not.toThrow();
    expect(() => assertIfMatch('*', 0)).not.toThrow();
    for (const [ifMatch, revision] of [
      [['"2"'], 3],
      [[], 3],
      ['*', -1],
    ] as const) {
      expect(() => assertIfMatch(ifMatch, revision)).toThrow(
        expect.objectContaining({ status: 412, code: 'precondition-failed' }),
      );
    }
  });
});
