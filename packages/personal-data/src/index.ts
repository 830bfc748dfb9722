// Crypto-shredding of personal data: fields encrypted under a data key per account, keys kept wrapped by a master
// key in a store of their own, destroyed when the account is deleted (DESIGN.md, "Privacy, safety and personal data").
export {
  AccountKeyDestroyed,
  type DataKeyState,
  type DataKeyStore,
  isKeyOutage,
  KeyStoreUnavailable,
  KeyUnknown,
} from './data-key-store.js';
export { type DataKeyLookup, DataKeys, type DataKeysOptions } from './data-keys.js';
export { FieldDecryptionWorker } from './decryption/pool.js';
export { type EncryptLogOptions, type EncryptLogResult, encryptLog } from './encrypt-log.js';
export {
  decryptField,
  encryptField,
  type FieldContext,
  FieldDecryptionFailed,
  isEncryptedField,
} from './field-cipher.js';
export { inMemoryDataKeys, masterKeyFromEnv, personalDataKeysFromEnv } from './from-env.js';
export { identityDataKeys } from './identity-data-keys.js';
export { generateMasterKey, LocalMasterKey, type MasterKey } from './master-key.js';
export {
  decryptPersonalFields,
  forgotten,
  hasEncryptedFields,
  type PersonalDataKeys,
  personalDataEventStore,
  readOnlyKeys,
} from './personal-event-store.js';
export { RedisDataKeyStore, type RedisDataKeyStoreOptions } from './redis-data-key-store.js';
export {
  isLegacyReservationStreamId,
  legacyReservationStreamId,
  normalizeUniqueValue,
  ReservationIds,
  reservationSecretId,
  type UniqueKind,
} from './reservation-ids.js';
export { SqliteDataKeyStore, type SqliteDataKeyStoreOptions } from './sqlite-data-key-store.js';
