import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import type { FinalAnswer, IdempotencyStore } from './store.js';

export interface ContractSubject {
  store: IdempotencyStore;
  /** the same stored keys through a new store instance, as a restarted process opens them */
  reopen(): Promise<IdempotencyStore>;
}

const lease = 60_000;
const day = 24 * 60 * 60 * 1000;

const answer = (overrides: Partial<FinalAnswer> = {}): FinalAnswer => ({
  fingerprint: 'f1',
  status: 201,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-consistency-token': 'p1' },
  body: '{"id":"1"}',
  ...overrides,
});

/** What every idempotency store adapter must do; each adapter's test runs it against its real server. */
export function idempotencyStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`${name}: the idempotency store contract`, () => {
    it('gives a key to its first claim and tells a second claim that the first is in progress', async () => {
      const { store } = await open();
      const key = newId();
      expect(await store.claim(key, 'a', lease)).toBeUndefined();
      expect(await store.claim(key, 'b', lease)).toEqual({ state: 'in-progress' });
    });

    it('gives a key to exactly one of many concurrent claims', async () => {
      const { store } = await open();
      const key = newId();
      const owners = Array.from({ length: 20 }, (_, i) => `owner-${i}`);
      const claims = await Promise.all(owners.map((owner) => store.claim(key, owner, lease)));
      expect(claims.filter((claim) => claim === undefined)).toHaveLength(1);
      expect(claims.filter((claim) => claim?.state === 'in-progress')).toHaveLength(owners.length - 1);
    });

    it('answers the final answer to the claims after it completes', async () => {
      const { store } = await open();
      const key = newId();
      await store.claim(key, 'a', lease);
      await store.complete(key, 'a', answer(), day);
      expect(await store.claim(key, 'b', lease)).toEqual({ state: 'done', ...answer() });
    });

    it('keeps a claim that another owner tries to complete or release', async () => {
      const { store } = await open();
      const key = newId();
      await store.claim(key, 'a', lease);
      await store.complete(key, 'b', answer(), day);
      await store.release(key, 'b');
      expect(await store.claim(key, 'c', lease)).toEqual({ state: 'in-progress' });
    });

    it('frees a released key for the next claim', async () => {
      const { store } = await open();
      const key = newId();
      await store.claim(key, 'a', lease);
      await store.release(key, 'a');
      expect(await store.claim(key, 'b', lease)).toBeUndefined();
    });

    it('never releases a final answer', async () => {
      const { store } = await open();
      const key = newId();
      await store.claim(key, 'a', lease);
      await store.complete(key, 'a', answer(), day);
      await store.release(key, 'a');
      expect(await store.claim(key, 'b', lease)).toEqual({ state: 'done', ...answer() });
    });

    it('keeps final answers and claims through a restart', async () => {
      const subject = await open();
      const [done, pending] = [newId(), newId()];
      await subject.store.claim(done, 'a', lease);
      await subject.store.complete(done, 'a', answer({ body: '{"id":"2"}' }), day);
      await subject.store.claim(pending, 'a', lease);
      const reopened = await subject.reopen();
      expect(await reopened.claim(done, 'b', lease)).toEqual({
        state: 'done',
        ...answer({ body: '{"id":"2"}' }),
      });
      expect(await reopened.claim(pending, 'b', lease)).toEqual({ state: 'in-progress' });
    });
  });
}
