import { Worker } from 'node:worker_threads';
import type { PersonalFields } from '@gram/events';
import type { DataKeyState } from '../data-key-store.js';
import { FieldDecryptionFailed, isEncryptedField } from '../field-cipher.js';
import { forgotten } from '../personal-event-store.js';

/** One encrypted field to decrypt: `key` indexes the keys sent with it. */
interface FieldJob {
  key: number;
  accountId: string;
  eventType: string;
  field: string;
  value: string;
}

/**
 * The jobs as they cross to the thread: parallel arrays of strings and numbers, cheaper to copy than as many
 * small objects (the structured clone writes each object's property names again). `contexts` holds each distinct
 * (account, event type, field) once; `job` says, for each value, its context and its key.
 */
interface Batch {
  keys: Uint8Array[];
  contexts: string[];
  values: string[];
  contextOf: Uint32Array;
  keyOf: Uint32Array;
}

interface Answer {
  id: number;
  plaintexts?: string[];
  /** the index of the job that could not be decrypted */
  failed?: number;
}

type Payload = Record<string, unknown>;

/**
 * Decrypts personal fields on a thread of its own, so that a reader of the whole log (a rebuild) has the next page
 * decrypted while it folds this one: on another core, the decryption leaves the fold's time. AES-GCM costs a call
 * into OpenSSL per field (a cipher context and its key schedule), a fifth of a rebuild's time when done in line;
 * what crosses the threads instead is each field's string and each account's 32-byte key, once per page.
 */
export class FieldDecryptionWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (answer: Answer) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL('./worker.mjs', import.meta.url));
    this.#worker.on('message', (answer: Answer) => {
      const pending = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      pending?.resolve(answer);
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
    const found: { event: number; field: string; accountId: string; value: string }[] = [];
    for (const [index, event] of events.entries()) {
      const spec = personal[event.type];
      if (!spec || typeof event.data !== 'object' || event.data === null) continue;
      const data = event.data as Payload;
      for (const field of spec.fields) {
        const value = data[field];
        if (typeof value !== 'string' || !isEncryptedField(value)) continue;
        const accountId = data[spec.owner];
        if (typeof accountId !== 'string')
          throw new Error(`${event.type} names no account in its field ${spec.owner}`);
        found.push({ event: index, field, accountId, value });
      }
    }
    if (found.length === 0) return [...events];
    const accounts = [...new Set(found.map((f) => f.accountId))];
    const states = new Map(await Promise.all(accounts.map(async (a) => [a, await keyOf(a)] as const)));
    const keys: Buffer[] = [];
    const keyIndex = new Map<string, number>();
    const jobs: FieldJob[] = [];
    const jobOf: number[] = [];
    for (const [i, { event, field, accountId, value }] of found.entries()) {
      const state = states.get(accountId) as DataKeyState;
      if (state.state === 'destroyed') continue;
      let key = keyIndex.get(accountId);
      if (key === undefined) {
        key = keys.push(state.key) - 1;
        keyIndex.set(accountId, key);
      }
      jobs.push({ key, accountId, eventType: (events[event] as E).type, field, value });
      jobOf.push(i);
    }
    const answer = jobs.length === 0 ? { id: -1, plaintexts: [] } : await this.#send(keys, jobs);
    if (answer.failed !== undefined) {
      const job = jobs[answer.failed] as FieldJob;
      throw new FieldDecryptionFailed({
        accountId: job.accountId,
        eventType: job.eventType,
        field: job.field,
      });
    }
    const plaintextOf = new Map<number, string>();
    for (const [j, plaintext] of (answer.plaintexts as string[]).entries()) {
      plaintextOf.set(jobOf[j] as number, plaintext);
    }
    const decrypted = [...events];
    for (const [i, { event, field }] of found.entries()) {
      const current = decrypted[event] as E;
      const data = current === events[event] ? { ...(current.data as Payload) } : (current.data as Payload);
      data[field] = plaintextOf.get(i) ?? forgotten;
      decrypted[event] = { ...current, data };
    }
    return decrypted;
  }

  async close(): Promise<void> {
    this.#failed ??= new Error('the decryption thread is closed');
    await this.#worker.terminate();
  }

  #send(keys: readonly Buffer[], jobs: readonly FieldJob[]): Promise<Answer> {
    if (this.#failed) return Promise.reject(this.#failed);
    const contexts: string[] = [];
    const contextIndex = new Map<string, number>();
    const batch: Batch = {
      keys: keys.map((key) => new Uint8Array(key)),
      contexts,
      values: jobs.map((job) => job.value),
      contextOf: new Uint32Array(jobs.length),
      keyOf: new Uint32Array(jobs.length),
    };
    for (const [i, job] of jobs.entries()) {
      const context = `${job.accountId}\n${job.eventType}\n${job.field}`;
      let index = contextIndex.get(context);
      if (index === undefined) {
        index = contexts.push(context) - 1;
        contextIndex.set(context, index);
      }
      batch.contextOf[i] = index;
      batch.keyOf[i] = job.key;
    }
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, batch }, [
        batch.contextOf.buffer as ArrayBuffer,
        batch.keyOf.buffer as ArrayBuffer,
      ]);
    });
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const { reject } of this.#pending.values()) reject(this.#failed);
    this.#pending.clear();
  }
}
