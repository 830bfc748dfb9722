/**
 * The document without its undefined fields: a stored document has none, so an unchanged document compares
 * equal to the one a change returns, and a change writes nothing.
 */
export function withoutUndefined<T>(doc: T): T {
  if (doc === undefined) return doc;
  return Object.fromEntries(Object.entries(doc as object).filter(([, value]) => value !== undefined)) as T;
}
