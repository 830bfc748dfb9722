import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DataKeyState, KeyStoreUnavailable, KeyUnknown } from './data-key-store.js';
import { DataKeys } from './data-keys.js';

/** A key store's answers, set by the test, counting how often each account is asked. */
function fakeStore() {
  const answers = new Map<string, () => Promise<DataKeyState>>();
  const asked = new Map<string, number>();
  return {
    answers,
    asked: (accountId: string) => asked.get(accountId) ?? 0,
    lookup: (accountId: string) => {
      asked.set(accountId, (asked.get(accountId) ?? 0) + 1);
      const answer = answers.get(accountId);
      return answer ? answer() : Promise.reject(new KeyUnknown(accountId));
    },
    live(accountId: string): Buffer {
      const key = randomBytes(32);
      answers.set(accountId, async () => ({ state: 'live', key }));
      return key;
    },
    destroyed(accountId: string): void {
      answers.set(accountId, async () => ({ state: 'destroyed' }));
    },
  };
}

function manualClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A lookup that answers only when the test says so. */
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe('data keys of a worker', () => {
  it('asks the store for a live key once, then answers it from memory', async () => {
    const store = fakeStore();
    const key = store.live('a');
    const keys = new DataKeys(store.lookup);
    expect(await keys.get('a')).toEqual({ state: 'live', key });
    expect(await keys.get('a')).toEqual({ state: 'live', key });
    expect(store.asked('a')).toBe(1);
  });

  it('concurrent gets of one account share one lookup', async () => {
    const store = fakeStore();
    const key = store.live('a');
    const keys = new DataKeys(store.lookup);
    const answers = await Promise.all([keys.get('a'), keys.get('a'), keys.get('a')]);
    expect(answers).toEqual([0, 1, 2].map(() => ({ state: 'live', key })));
    expect(store.asked('a')).toBe(1);
  });

  it('asks again for a live key once its time to live is over', async () => {
    const store = fakeStore();
    const clock = manualClock();
    store.live('a');
    const keys = new DataKeys(store.lookup, { liveKeyTtlMs: 1_000, clock: clock.now });
    await keys.get('a');
    clock.advance(999);
    await keys.get('a');
    expect(store.asked('a')).toBe(1);
    const rotated = store.live('a');
    // lru-cache still answers an entry whose age equals its ttl.
    clock.advance(2);
    expect(await keys.get('a')).toEqual({ state: 'live', key: rotated });
    expect(store.asked('a')).toBe(2);
  });

  it('remembers a destroyed key without a time limit', async () => {
    const store = fakeStore();
    const clock = manualClock();
    store.destroyed('a');
    const keys = new DataKeys(store.lookup, { liveKeyTtlMs: 1_000, clock: clock.now });
    expect(await keys.get('a')).toEqual({ state: 'destroyed' });
    clock.advance(365 * 24 * 3600 * 1000);
    expect(await keys.get('a')).toEqual({ state: 'destroyed' });
    expect(store.asked('a')).toBe(1);
  });

  it.each([
    ['an unknown key', (accountId: string) => new KeyUnknown(accountId)],
    ['an unavailable store', () => new KeyStoreUnavailable('down')],
  ])('passes %s on to the caller, keeps nothing, and asks again next time', async (_, failure) => {
    const store = fakeStore();
    const error = failure('a');
    store.answers.set('a', () => Promise.reject(error));
    const keys = new DataKeys(store.lookup);
    await expect(keys.get('a')).rejects.toBe(error);
    const key = store.live('a');
    expect(await keys.get('a')).toEqual({ state: 'live', key });
    expect(store.asked('a')).toBe(2);
  });

  it('forget drops a kept key: the next get asks the store, which may now answer destroyed', async () => {
    const store = fakeStore();
    store.live('a');
    const keys = new DataKeys(store.lookup);
    await keys.get('a');
    store.destroyed('a');
    keys.forget('a');
    expect(await keys.get('a')).toEqual({ state: 'destroyed' });
    expect(store.asked('a')).toBe(2);
  });

  it('forget while a lookup is under way: the key it read before the deletion is not kept', async () => {
    const store = fakeStore();
    const slow = deferred<DataKeyState>();
    store.answers.set('a', () => slow.promise);
    const keys = new DataKeys(store.lookup);
    const during = keys.get('a');
    keys.forget('a');
    slow.resolve({ state: 'live', key: randomBytes(32) });
    await expect(during).rejects.toThrow();
    store.destroyed('a');
    expect(await keys.get('a')).toEqual({ state: 'destroyed' });
  });

  it('kept answers, without asking the store, a key it holds, a destroyed one, and nothing for the rest', async () => {
    const store = fakeStore();
    const clock = manualClock();
    const key = store.live('a');
    store.destroyed('b');
    store.live('c');
    const keys = new DataKeys(store.lookup, { liveKeyTtlMs: 1_000, clock: clock.now });
    expect(keys.kept('a')).toBeUndefined();
    await keys.get('a');
    await keys.get('b');
    expect(keys.kept('a')).toEqual({ state: 'live', key });
    expect(keys.kept('b')).toEqual({ state: 'destroyed' });
    expect(keys.kept('c')).toBeUndefined();
    clock.advance(1_001);
    expect(keys.kept('a')).toBeUndefined();
    expect(keys.kept('b')).toEqual({ state: 'destroyed' });
    expect([store.asked('a'), store.asked('b'), store.asked('c')]).toEqual([1, 1, 0]);
  });

  it('keeps at most maxLiveKeys live keys, forgetting the least recently used first', async () => {
    const store = fakeStore();
    for (const accountId of ['a', 'b', 'c']) store.live(accountId);
    const keys = new DataKeys(store.lookup, { maxLiveKeys: 2 });
    await keys.get('a');
    await keys.get('b');
    await keys.get('a');
    await keys.get('c');
    await keys.get('a');
    await keys.get('b');
    expect([store.asked('a'), store.asked('b'), store.asked('c')]).toEqual([1, 2, 1]);
  });
});
