import { describe, expect, it } from 'vitest';
import { batches } from './batches.js';

/** A source whose items become available when the test says so, like a caught-up subscription. */
function controlledSource<T>() {
  const ready: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  async function* items(): AsyncGenerator<T> {
    while (true) {
      while (ready.length > 0) yield ready.shift() as T;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return {
    items: items(),
    add(...values: T[]) {
      ready.push(...values);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

const nextTick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('batches of a pulled stream', () => {
  it('takes everything the source has ready, up to the maximum, in order', async () => {
    async function* ready() {
      for (let i = 0; i < 7; i++) yield i;
    }
    const out: number[][] = [];
    for await (const batch of batches(ready(), { maxItems: 3 })) out.push(batch);
    expect(out).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('yields what it has as soon as the source would make it wait, without lingering', async () => {
    const source = controlledSource<number>();
    const iterator = batches(source.items, { maxItems: 100 });
    source.add(1, 2);
    expect((await iterator.next()).value).toEqual([1, 2]);
    const pending = iterator.next();
    await nextTick();
    source.add(3);
    expect((await pending).value).toEqual([3]);
    source.end();
    expect((await iterator.next()).done).toBe(true);
  });

  it('yields an empty batch when the source stays idle, and loses nothing that arrives later', async () => {
    const source = controlledSource<number>();
    const iterator = batches(source.items, { maxItems: 100, idleMs: 20 });
    expect((await iterator.next()).value).toEqual([]);
    source.add(7);
    expect((await iterator.next()).value).toEqual([7]);
    await iterator.return(undefined);
  });
});
