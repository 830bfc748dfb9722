import { decryptField, type FieldContext } from '../field-cipher.js';

/**
 * The fields of a page as they cross to the decryption thread: parallel arrays of strings and numbers, cheaper to
 * copy than as many small objects (the structured clone writes each object's property names again). Each account
 * (and its 32-byte key) and each (event type, field) is sent once: a field names them by index, and its context
 * (account, event type, field) is put together where it is decrypted.
 */
export interface Batch {
  keys: Uint8Array[];
  accounts: string[];
  /** `eventType\nfield` */
  places: string[];
  values: string[];
  keyOf: Uint32Array;
  placeOf: Uint32Array;
}

/** The plaintexts of a batch, in its order; or the index of the first field that could not be decrypted. */
export type BatchAnswer =
  | { plaintexts: string[]; failed?: undefined }
  | { failed: number; plaintexts?: undefined };

/** Decrypts a batch: on the decryption thread (worker.mjs), or in line while that thread is starting (pool.ts). */
export function decryptBatch({ keys, accounts, places, values, keyOf, placeOf }: Batch): BatchAnswer {
  const keyBuffers = keys.map((key) => Buffer.from(key.buffer, key.byteOffset, key.byteLength));
  const split = places.map((place) => place.split('\n'));
  // One context object per (account, place) met, not per field.
  const contexts = new Map<number, FieldContext>();
  const plaintexts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const key = keyOf[i] as number;
    const place = placeOf[i] as number;
    const contextKey = key * places.length + place;
    let context = contexts.get(contextKey);
    if (context === undefined) {
      const [eventType = '', field = ''] = split[place] as string[];
      context = { accountId: accounts[key] as string, eventType, field };
      contexts.set(contextKey, context);
    }
    try {
      plaintexts[i] = decryptField(keyBuffers[key] as Buffer, context, values[i] as string);
    } catch {
      // The index names the field: the caller raises FieldDecryptionFailed with it.
      return { failed: i };
    }
  }
  return { plaintexts };
}
