import { counters } from '../src/read-models/registry.js';
import type { Doc } from '../src/store/document-store.js';

/**
 * Documents by collection with every count of 0 left out: a count that went up and back down holds 0 where one
 * never moved holds nothing, and every query reads both as 0 (`?? 0`). What two stores' documents are compared by.
 */
export function withoutZeroCounts<T extends Record<string, Doc[]>>(documents: T): T {
  const fields = new Set(counters.map((counter) => counter.field));
  return Object.fromEntries(
    Object.entries(documents).map(([name, docs]) => [
      name,
      docs.map((doc) => {
        const kept: Doc = { ...doc };
        for (const field of fields) if (kept[field] === 0) delete kept[field];
        return kept;
      }),
    ]),
  ) as T;
}
