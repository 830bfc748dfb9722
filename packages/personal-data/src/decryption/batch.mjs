// Decrypts a page's fields on the decryption thread (worker.mjs). Plain JavaScript, as the field format it reads
// (../field-format.mjs), so that the thread loads it without a TypeScript loader. Its types: batch.d.mts.
import { associatedData, openField } from '../field-format.mjs';

/**
 * The plaintexts of a batch, in its order, or `{ failed }`: the index of the first field that could not be
 * decrypted (the caller raises FieldDecryptionFailed with it). Each value has the stored form already (the
 * caller sent only those); its key and context are found by index, and each context's associated data is made
 * once per (account, place) met, not once per field.
 */
export function decryptBatch({ keys, accounts, places, values, keyOf, placeOf }) {
  const keyBuffers = keys.map((key) => Buffer.from(key.buffer, key.byteOffset, key.byteLength));
  const split = places.map((place) => place.split('\n'));
  const contexts = new Map();
  const plaintexts = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const key = keyOf[i];
    const place = placeOf[i];
    const contextKey = key * places.length + place;
    let aad = contexts.get(contextKey);
    if (aad === undefined) {
      const [eventType, field] = split[place];
      aad = associatedData(accounts[key], eventType, field);
      contexts.set(contextKey, aad);
    }
    try {
      plaintexts[i] = openField(keyBuffers[key], aad, values[i]);
    } catch {
      return { failed: i };
    }
  }
  return { plaintexts };
}
