/**
 * Envelope encryption: a data key is stored only wrapped (encrypted) by a master key that lives elsewhere, in the
 * configuration or in a KMS. A copy of the key store (a backup, a replica, a stolen disk) is then worthless without
 * the master key, and rotating the master key means re-wrapping the data keys, not re-encrypting the events.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The port a KMS can implement: wrapping binds the data key to its account, so a wrapped key moved to another account does not unwrap. */
export interface MasterKey {
  wrap(accountId: string, dataKey: Buffer): Promise<Buffer>;
  /** Rejects when `wrapped` was not wrapped by this master key for this account. */
  unwrap(accountId: string, wrapped: Buffer): Promise<Buffer>;
}

const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
/** standard base64 of 32 bytes: 43 characters and one `=` */
const BASE64_OF_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

/** A new master key, in the form `LocalMasterKey.fromBase64` reads (as `openssl rand -base64 32` prints one). */
export function generateMasterKey(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('base64');
}

/** A master key given by configuration (`PERSONAL_DATA_MASTER_KEY`), wrapping with AES-256-GCM, the account id as associated data. */
export class LocalMasterKey implements MasterKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /**
   * Reads 32 bytes in standard base64. Anything else is refused with an error that names `source` and never
   * repeats the value: a key that is silently shorter, or padded by a lenient decoder, would be a weak key.
   */
  static fromBase64(value: string | undefined, source = 'PERSONAL_DATA_MASTER_KEY'): LocalMasterKey {
    const text = value?.trim() ?? '';
    if (!BASE64_OF_32_BYTES.test(text)) {
      const what = text === '' ? 'it is not set' : `it has ${text.length} characters`;
      throw new Error(
        `${source} must be a ${MASTER_KEY_BYTES}-byte key in base64 (44 characters, e.g. from \`openssl rand -base64 32\`): ${what}`,
      );
    }
    return new LocalMasterKey(Buffer.from(text, 'base64'));
  }

  async wrap(accountId: string, dataKey: Buffer): Promise<Buffer> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(accountId));
    return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  }

  async unwrap(accountId: string, wrapped: Buffer): Promise<Buffer> {
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, wrapped.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(associatedData(accountId));
      decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch (error) {
      throw new Error(
        `the data key of account ${accountId} does not unwrap with this master key: another master key wrapped it, or it is damaged`,
        { cause: error },
      );
    }
  }
}

function associatedData(accountId: string): Buffer {
  return Buffer.from(JSON.stringify(['data-key', accountId]), 'utf8');
}
