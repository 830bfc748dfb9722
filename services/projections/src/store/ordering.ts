import type { Position } from './document-store.js';

/**
 * The one order of the read side: (sort value, id) ascending. Posts pages, feeds (read backwards: newest first,
 * ties by id descending, as Redis orders equal scores) and the memory indexes all sort by it.
 */
export function compareKeys(a: Position, b: Position): number {
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first index of `keys` (ascending, from `low` on) whose key is not below `key`. */
export function lowerBound(keys: readonly Position[], key: Position, low = 0): number {
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(keys[mid] as Position, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
