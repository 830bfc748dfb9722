import { expect } from 'vitest';
import type { SearchIndex } from '../src/store/search-index.js';

/**
 * What a search index answers, whatever keeps it (memory, Redis): a prefix's (term, id) entries in term order and,
 * within a term, in id order (code points, so an astral character comes after U+E000), whatever order they were
 * filed in; `limit` counts entries, not ids; an id taken off a term leaves its place, and a term left without
 * ids leaves the terms.
 */
export async function expectSearchIndexOrder(index: SearchIndex): Promise<void> {
  const ids = ['d', 'a', '\u{1F600}', '\uE000', 'c', 'b'];
  for (const id of ids) await index.put('users', id, id === 'a' ? ['ann', 'anna'] : ['ann']);
  await index.put('users', 'z', ['anna', 'bob']);
  expect(await index.match('users', 'an', 100)).toEqual(['a', 'b', 'c', 'd', '\uE000', '\u{1F600}', 'z']);
  expect(await index.match('users', 'anna', 100)).toEqual(['a', 'z']);
  expect(await index.match('users', 'an', 3), 'the first entries in order').toEqual(['a', 'b', 'c']);
  expect(await index.match('users', 'an', 7), 'a second term repeating an id still counts').toEqual([
    'a',
    'b',
    'c',
    'd',
    '\uE000',
    '\u{1F600}',
  ]);
  await index.put('users', 'c', ['anna']);
  await index.put('users', 'b', ['ann']);
  await index.erase('users', ['\uE000']);
  expect(await index.match('users', 'ann', 100)).toEqual(['a', 'b', 'd', '\u{1F600}', 'c', 'z']);
  expect(await index.terms('users', 'a', 10)).toEqual([
    { term: 'ann', count: 4 },
    { term: 'anna', count: 3 },
  ]);
  await index.put('users', 'z', ['bob']);
  await index.put('users', 'c', []);
  await index.put('users', 'a', ['ann']);
  expect(await index.terms('users', 'a', 10)).toEqual([{ term: 'ann', count: 4 }]);
  expect(await index.match('users', 'anna', 100)).toEqual([]);
}
