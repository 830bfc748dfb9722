/** Wraps a teardown so that calling it twice (a failed start, then the global teardown) stops only once. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}
