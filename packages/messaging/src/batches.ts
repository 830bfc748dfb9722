/**
 * Groups a pulled stream into batches without adding latency: a batch takes every item the source can hand over
 * right away, and is yielded as soon as the source would make us wait (nothing ready by the next turn of the event
 * loop) or it is full. While catching up the source is always ready, so batches fill up; when live, an event is
 * yielded with whatever arrived beside it, without a linger delay.
 *
 * The source is still pulled one item at a time (`next()` after `next()`), never concurrently: one pending
 * `next()` may outlive a batch, and it is the first item of the following one.
 *
 * When the source has nothing for `idleMs`, an empty batch is yielded, so the consumer can do periodic work
 * (the relay refreshes its checkpoint) without a timer racing its own loop.
 */
export async function* batches<T>(
  source: AsyncIterable<T>,
  options: { maxItems: number; idleMs?: number },
): AsyncGenerator<T[], void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    while (true) {
      pending ??= iterator.next();
      const first = options.idleMs === undefined ? await pending : await within(pending, options.idleMs);
      if (first === timedOut) {
        yield [];
        continue;
      }
      pending = undefined;
      if (first.done) return;
      const batch: T[] = [first.value];
      while (batch.length < options.maxItems) {
        pending = iterator.next();
        const next = await within(pending, 0);
        if (next === timedOut) break;
        pending = undefined;
        if (next.done) {
          yield batch;
          return;
        }
        batch.push(next.value);
      }
      yield batch;
    }
  } finally {
    // Leaving early (break, error, return) ends the source too, as a for-await over it would. While a `next()`
    // is pending an async generator queues `return()` behind it, so it is not awaited then: the owner of a
    // subscription ends that wait by closing it.
    const ending = iterator.return?.();
    if (pending) ending?.catch(() => {});
    else await ending;
  }
}

const timedOut = Symbol('timed out');

/**
 * The promise's value if it settles before the timer fires, else `timedOut`. With `ms` 0 the timer is
 * `setImmediate`: every microtask (an async generator handing out an item it already holds) runs first.
 */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  return new Promise((resolve, reject) => {
    const timer = ms === 0 ? setImmediate(() => resolve(timedOut)) : setTimeout(() => resolve(timedOut), ms);
    const cancel = () =>
      ms === 0 ? clearImmediate(timer as NodeJS.Immediate) : clearTimeout(timer as NodeJS.Timeout);
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
