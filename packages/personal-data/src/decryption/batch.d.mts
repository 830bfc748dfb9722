// Types of batch.mjs.

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

export declare function decryptBatch(batch: Batch): BatchAnswer;
