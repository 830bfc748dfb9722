import { openSqliteEventStore } from '@gram/event-store';
import { personalFields } from '@gram/events';
import { DataKeys, inMemoryDataKeys, personalDataEventStore } from '@gram/personal-data';
import { describe, expect, it } from 'vitest';
import { messagesOf } from '../../test/deliveries.js';
import { HistoryBuilder } from '../../test/history.js';
import { counters } from '../read-models/registry.js';
import { rebuildInMemory } from '../rebuild/rebuild.js';
import { createMemoryReadModelStore } from '../store/memory.js';
import { Projector } from './projector.js';

/** A log as identity writes it: the profile's fields encrypted under the account's key (the log's own SQLite). */
async function encryptedLog() {
  const h = new HistoryBuilder();
  const kept = h.register('kept_user', 'Kept Name');
  const gone = h.register('gone_user', 'Gone Name');
  h.updateProfile(kept, { bio: 'kept bio' });
  const keys = inMemoryDataKeys();
  const raw = openSqliteEventStore({ path: ':memory:' });
  const log = personalDataEventStore(raw, keys, personalFields);
  for (const e of h.events) {
    await log.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
      expectedRevision: 'any',
    });
  }
  return { raw, keys, kept, gone };
}

describe('personal fields the log holds encrypted', () => {
  it('are read decrypted by the projection, live and in a rebuild; a destroyed key reads as forgotten', async () => {
    const { raw, keys, kept, gone } = await encryptedLog();
    const stored = await raw.readAll();
    expect(JSON.stringify(stored)).not.toContain('Kept Name');
    await keys.destroy(gone);

    const live = createMemoryReadModelStore({ counters });
    const projector = new Projector(live, { dataKeys: new DataKeys((id) => keys.get(id)) });
    for (const message of messagesOf(stored)) await projector.handle(message);
    const { store: rebuilt } = await rebuildInMemory(raw, { dataKeys: new DataKeys((id) => keys.get(id)) });

    for (const store of [live, rebuilt]) {
      expect(await store.documents.get('users', kept)).toMatchObject({
        userName: 'kept_user',
        userNameKey: 'kept_user',
        name: 'Kept Name',
        bio: 'kept bio',
      });
      expect(await store.documents.get('users', gone)).toMatchObject({ userName: '', name: '' });
    }
  });

  it('fail the event, rather than store a ciphertext, when no data keys were given', async () => {
    const { raw } = await encryptedLog();
    const projector = new Projector(createMemoryReadModelStore({ counters }));
    const [first] = messagesOf(await raw.readAll());
    await expect(projector.handle(first as NonNullable<typeof first>)).rejects.toThrow(/no data keys/);
  });
});
