import { randomUUID } from 'node:crypto';
import { personalFields } from '@gram/events';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyUnknown } from '../data-key-store.js';
import { encryptField, FieldDecryptionFailed } from '../field-cipher.js';
import { inMemoryDataKeys } from '../from-env.js';
import { decryptPersonalFields, forgotten } from '../personal-event-store.js';
import { FieldDecryptionWorker } from './pool.js';

const keys = inMemoryDataKeys();
const worker = new FieldDecryptionWorker();
afterAll(() => worker.close());

async function post(authorId: string, caption: string, encrypted = true) {
  const postId = randomUUID();
  const key = await keys.create(authorId);
  return {
    type: 'PostCreated',
    data: {
      postId,
      authorId,
      photo: 'https://img.example/p.jpg',
      caption: encrypted
        ? encryptField(key, { accountId: authorId, eventType: 'PostCreated', field: 'caption' }, caption)
        : caption,
      createdAt: new Date().toISOString(),
    },
  };
}

describe('decryption on a thread of its own', () => {
  it('decrypts a page sent as the thread starts, once it has started', async () => {
    const starting = new FieldDecryptionWorker();
    try {
      const page = [await post(randomUUID(), 'sent at once')];
      const decrypted = await starting.decryptEvents(page, personalFields, (id) => keys.get(id));
      expect(decrypted.map((e) => (e.data as { caption: string }).caption)).toEqual(['sent at once']);
    } finally {
      await starting.close();
    }
  });

  it('decrypts a page as decryptPersonalFields does event by event: live keys, destroyed keys, plaintext, events without personal fields', async () => {
    const [alive, gone] = [randomUUID(), randomUUID()];
    const events = [
      await post(alive, 'first'),
      { type: 'PostLiked', data: { postId: randomUUID(), userId: alive, likedAt: new Date().toISOString() } },
      await post(gone, 'forgotten soon'),
      await post(alive, 'written before encryption', false),
      await post(alive, 'second'),
    ];
    await keys.destroy(gone);
    const keyOf = (accountId: string) => keys.get(accountId);

    const decrypted = await worker.decryptEvents(events, personalFields, keyOf);
    const oneByOne = await Promise.all(
      events.map(async (e) => ({
        ...e,
        data: await decryptPersonalFields(e.type, e.data, personalFields, keyOf),
      })),
    );
    expect(decrypted).toEqual(oneByOne);
    expect(decrypted.map((e) => (e.data as { caption?: string }).caption)).toEqual([
      'first',
      undefined,
      forgotten,
      'written before encryption',
      'second',
    ]);
    expect(decrypted[1]).toBe(events[1]);
  });

  it('decrypts in place as it decrypts into copies, writing over the ciphertexts in the events themselves', async () => {
    const [alive, gone] = [randomUUID(), randomUUID()];
    const page = [
      await post(alive, 'kept'),
      await post(gone, 'soon forgotten'),
      await post(alive, 'old', false),
    ];
    await keys.destroy(gone);
    const keyOf = (accountId: string) => keys.get(accountId);
    const copies = await worker.decryptEvents(page, personalFields, keyOf);
    const datas = page.map((e) => e.data);

    await worker.decryptInPlace(page, personalFields, keyOf);
    expect(page).toEqual(copies);
    for (const [i, event] of page.entries()) expect(event.data).toBe(datas[i]);
  });

  it('fails the page, never a placeholder, when a key cannot be had or a field does not decrypt', async () => {
    const never = randomUUID();
    const unknown = await post(never, 'x');
    const keyOf = async (accountId: string) => {
      if (accountId === never) throw new KeyUnknown(accountId);
      return keys.get(accountId);
    };
    await expect(worker.decryptEvents([unknown], personalFields, keyOf)).rejects.toBeInstanceOf(KeyUnknown);

    const damaged = await post(randomUUID(), 'y');
    (damaged.data as { caption: string }).caption =
      `${(damaged.data as { caption: string }).caption.slice(0, -4)}AAAA`;
    await expect(
      worker.decryptEvents([damaged], personalFields, (id) => keys.get(id)),
    ).rejects.toBeInstanceOf(FieldDecryptionFailed);
    // The thread is still there for the next page.
    const fine = await post(randomUUID(), 'still decrypting');
    const again = await worker.decryptEvents([fine], personalFields, (id) => keys.get(id));
    expect(again.map((e) => (e.data as { caption: string }).caption)).toEqual(['still decrypting']);
  });
});
