import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteIdempotencyStore } from './sqlite-store.js';
import { idempotencyStoreContract } from './store.contract.js';
import type { IdempotencyStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'idempotency-'));
const opened: IdempotencyStore[] = [];
afterAll(async () => {
  for (const store of opened) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(path: string, now?: () => number): IdempotencyStore {
  const store = openSqliteIdempotencyStore({ path, ...(now ? { now } : {}) });
  opened.push(store);
  return store;
}

let files = 0;
idempotencyStoreContract('SQLite', async () => {
  const path = join(dir, `keys-${files++}.sqlite`);
  return { store: open(path), reopen: async () => open(path) };
});

describe('the SQLite idempotency store', () => {
  const lease = 60_000;
  const day = 24 * 60 * 60 * 1000;
  const answer = { fingerprint: 'f', status: 201, headers: {}, body: '{}' };

  it('forgets a final answer once its time to live is over', async () => {
    let now = 1_000_000;
    const store = open(join(dir, 'expiry.sqlite'), () => now);
    await store.claim('k', 'a', lease);
    await store.complete('k', 'a', answer, day);
    now += day - 1;
    expect(await store.claim('k', 'b', lease)).toEqual({ state: 'done', ...answer });
    now += 1;
    expect(await store.claim('k', 'b', lease)).toBeUndefined();
  });

  it('frees a claim whose lease ran out: its request died without an answer', async () => {
    let now = 1_000_000;
    const store = open(join(dir, 'lease.sqlite'), () => now);
    await store.claim('k', 'a', lease);
    now += lease;
    expect(await store.claim('k', 'b', lease)).toBeUndefined();
    // The late request's answer does not replace the new claim.
    await store.complete('k', 'a', answer, day);
    expect(await store.claim('k', 'c', lease)).toEqual({ state: 'in-progress' });
  });
});
