import { Worker } from 'node:worker_threads';
import type { PersonalFields } from '@gram/events';
import type { DataKeyState } from '../data-key-store.js';
import { FieldDecryptionFailed, isEncryptedField } from '../field-cipher.js';
import { forgotten } from '../personal-event-store.js';
import type { Batch, BatchAnswer } from './batch.mjs';

/** A message of the thread: a batch's answer. */
type Message = { id: number } & BatchAnswer;

type Payload = Record<string, unknown>;

/**
 * Decrypts personal fields on a thread of its own, so that a reader of the whole log (a rebuild) has the next page
 * decrypted while it folds this one: on another core, the decryption leaves the fold's time. AES-GCM costs a call
 * into OpenSSL per field (a cipher context and its key schedule), a fifth of a rebuild's time when done in line;
 * what crosses the threads instead is each field's string and each account's 32-byte key, once per page.
 */
export class FieldDecryptionWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (answer: BatchAnswer) => void; reject: (e: Error) => void }
  >();
  #next = 0;
  #failed: Error | undefined;

  constructor() {
    // The thread loads plain JavaScript only (worker.mjs), and none of this process's flags: `--import tsx` would
    // load a TypeScript loader it does not need. It starts in about 30 ms. A page sent before then waits in its
    // queue. (When the thread registered tsx, some 200 ms, the pages of its start were decrypted in line: 18% of
    // a 150,000-event rebuild's fields, on the fold's own thread.)
    this.#worker = new Worker(new URL('./worker.mjs', import.meta.url), { execArgv: [] });
    this.#worker.on('message', (message: Message) => {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.resolve(message);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the decryption thread exited (${code})`)));
  }

  /**
   * `events` with the personal fields of `personal` decrypted (the same object for an event with none), as
   * decryptPersonalFields does one at a time: `forgotten` where the owner's key is destroyed, a plaintext value
   * (written before encryption existed) as it is. Rejects when a key cannot be had or a field not decrypted.
   */
  async decryptEvents<E extends { type: string; data: unknown }>(
    events: readonly E[],
    personal: Readonly<Record<string, PersonalFields>>,
    keyOf: (accountId: string) => Promise<DataKeyState>,
  ): Promise<E[]> {
    const { eventOf, fieldOf, plaintexts } = await this.#plaintextsOf(events, personal, keyOf);
    const decrypted = [...events];
    for (let i = 0; i < plaintexts.length; i++) {
      const index = eventOf[i] as number;
      const current = decrypted[index] as E;
      const data = current === events[index] ? { ...(current.data as Payload) } : (current.data as Payload);
      data[fieldOf[i] as string] = plaintexts[i] ?? forgotten;
      if (current === events[index]) decrypted[index] = { ...current, data };
    }
    return decrypted;
  }

  /**
   * As decryptEvents, writing each plaintext over its ciphertext in the event's own data: for a caller that owns
   * the events (a rebuild's pages, just read), which spares a copy of every personal event.
   */
  async decryptInPlace(
    events: readonly { type: string; data: unknown }[],
    personal: Readonly<Record<string, PersonalFields>>,
    keyOf: (accountId: string) => Promise<DataKeyState>,
  ): Promise<void> {
    const { eventOf, fieldOf, plaintexts } = await this.#plaintextsOf(events, personal, keyOf);
    for (let i = 0; i < plaintexts.length; i++)
      ((events[eventOf[i] as number] as { data: unknown }).data as Payload)[fieldOf[i] as string] =
        plaintexts[i] ?? forgotten;
  }

  /**
   * The encrypted fields of `events`, each as its event's index, its field and its plaintext (undefined where its
   * owner's key is destroyed).
   */
  async #plaintextsOf(
    events: readonly { type: string; data: unknown }[],
    personal: Readonly<Record<string, PersonalFields>>,
    keyOf: (accountId: string) => Promise<DataKeyState>,
  ): Promise<{ eventOf: number[]; fieldOf: string[]; plaintexts: (string | undefined)[] }> {
    // One pass over the page: the encrypted fields, each with its event, its account's index and its place.
    const eventOf: number[] = [];
    const fieldOf: string[] = [];
    const values: string[] = [];
    const accountOf: number[] = [];
    const placeOf: number[] = [];
    const accounts: string[] = [];
    const accountIndex = new Map<string, number>();
    const places: string[] = [];
    /** where each event type's fields start in `places`: a field's place is that plus its index in the spec */
    const placesOf = new Map<string, number>();
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as { type: string; data: unknown };
      const spec = personal[event.type];
      if (!spec || typeof event.data !== 'object' || event.data === null) continue;
      const data = event.data as Payload;
      for (let f = 0; f < spec.fields.length; f++) {
        const field = spec.fields[f] as string;
        const value = data[field];
        if (typeof value !== 'string' || !isEncryptedField(value)) continue;
        const accountId = data[spec.owner];
        if (typeof accountId !== 'string')
          throw new Error(`${event.type} names no account in its field ${spec.owner}`);
        let account = accountIndex.get(accountId);
        if (account === undefined) {
          account = accounts.push(accountId) - 1;
          accountIndex.set(accountId, account);
        }
        let first = placesOf.get(event.type);
        if (first === undefined) {
          first = places.length;
          for (const name of spec.fields) places.push(`${event.type}\n${name}`);
          placesOf.set(event.type, first);
        }
        const placeAt = first + f;
        eventOf.push(index);
        fieldOf.push(field);
        values.push(value);
        accountOf.push(account);
        placeOf.push(placeAt);
      }
    }
    if (values.length === 0) return { eventOf, fieldOf, plaintexts: [] };
    const states = await Promise.all(accounts.map(keyOf));
    // Only the fields of live keys cross; a destroyed key's read as forgotten here.
    const live = states.map((state) => state.state === 'live');
    const sentKeys: Buffer[] = [];
    const sentAccounts: string[] = [];
    const sentIndex = new Int32Array(accounts.length).fill(-1);
    const sent: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const account = accountOf[i] as number;
      if (!live[account]) continue;
      if (sentIndex[account] === -1) {
        sentIndex[account] = sentKeys.push((states[account] as { key: Buffer }).key) - 1;
        sentAccounts.push(accounts[account] as string);
      }
      sent.push(i);
    }
    const plaintexts: (string | undefined)[] = new Array(values.length);
    if (sent.length > 0) {
      const batch: Batch = {
        keys: sentKeys.map((key) => new Uint8Array(key)),
        accounts: sentAccounts,
        places,
        values: sent.map((i) => values[i] as string),
        keyOf: Uint32Array.from(sent, (i) => sentIndex[accountOf[i] as number] as number),
        placeOf: Uint32Array.from(sent, (i) => placeOf[i] as number),
      };
      const answer = await this.#send(batch);
      if (answer.failed !== undefined) {
        const i = sent[answer.failed] as number;
        const [eventType = '', field = ''] = (places[placeOf[i] as number] as string).split('\n');
        throw new FieldDecryptionFailed({
          accountId: accounts[accountOf[i] as number] as string,
          eventType,
          field,
        });
      }
      const answered = answer.plaintexts as string[];
      for (let j = 0; j < sent.length; j++) plaintexts[sent[j] as number] = answered[j];
    }
    return { eventOf, fieldOf, plaintexts };
  }

  async close(): Promise<void> {
    this.#failed ??= new Error('the decryption thread is closed');
    await this.#worker.terminate();
  }

  #send(batch: Batch): Promise<BatchAnswer> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, batch }, [
        batch.keyOf.buffer as ArrayBuffer,
        batch.placeOf.buffer as ArrayBuffer,
      ]);
    });
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const { reject } of this.#pending.values()) reject(this.#failed);
    this.#pending.clear();
  }
}
