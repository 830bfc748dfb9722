import type { CollectionName, DocumentStore, ReadModelStore } from '../src/store/document-store.js';

/** `store` with its documents' reads counted: how many documents each collection was asked for. */
export function counting(store: ReadModelStore) {
  const read = new Map<CollectionName, number>();
  const add = (collection: CollectionName, n: number) =>
    read.set(collection, (read.get(collection) ?? 0) + n);
  const documents = new Proxy(store.documents, {
    get(target, property: keyof DocumentStore) {
      const value = target[property];
      if (typeof value !== 'function') return value;
      return async (collection: CollectionName, ...args: unknown[]) => {
        const answer = await (value as (...a: unknown[]) => Promise<unknown>).call(
          target,
          collection,
          ...args,
        );
        add(collection, Array.isArray(answer) ? answer.length : 1);
        return answer;
      };
    },
  });
  return { store: { ...store, documents }, read };
}
