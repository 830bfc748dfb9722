import type { Redis } from 'ioredis';
import {
  type CollectionName,
  type Counter,
  collections,
  countedFields,
  countersOf,
  type Doc,
} from '../document-store.js';

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * One counted write, atomically: a Lua script runs alone in Redis, so nothing (no other worker's write of the
 * same document, no other event moving the same count) comes between its read and its writes.
 * 1. The counted state of the document (its revision and the fields its counters' filters read) is read.
 * 2. A guarded write (ARGV[2] a revision) stops there when the stored revision is at or above it: a redelivered
 *    or stale event moves nothing. An unguarded one (a flag from another stream) goes on.
 * 3. The fields are set; an account flag is also set when the account's copy says it is deleted (see below).
 * 4. Each counter moves by the change in whether the document matches its filter: -1, 0 or +1.
 * Account flags: a handler sets `userDeleted` from the account as it read it, and another worker may apply the
 * account's deletion between that read and this script. The deletion writes the account's copy first and
 * then flags the account's documents, reading which exist from MongoDB, which every counted write reaches
 * before this script; so either the deletion's flagging finds this document, or this script finds the
 * account's copy deleted. Accounts are never undeleted, so the flag only ever goes from false to true.
 *
 * KEYS[1] the collection's counted states; KEYS[2..n+1] the hashes the n counters count into, in order;
 * KEYS[n+2..] the account copies the account flags read.
 * ARGV[1] the document's id; ARGV[2] the revision, or '' for an unguarded write; ARGV[3] the fields (JSON);
 * ARGV[4] the counters, [{ field, filter }] (JSON); ARGV[5] the account flags, [[flag, index in KEYS]] (JSON).
 * Answers 1 when it wrote, 0 when the guard stopped it.
 */
const countedWriteScript = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local doc = stored and cjson.decode(stored) or {}
local rev = tonumber(ARGV[2])
if rev and doc.rev and doc.rev >= rev then return 0 end
local counters = cjson.decode(ARGV[4])
local function matches(filter)
  for field, value in pairs(filter) do
    if doc[field] ~= value then return false end
  end
  return true
end
local before = {}
for i, counter in ipairs(counters) do before[i] = matches(counter.filter) end
for field, value in pairs(cjson.decode(ARGV[3])) do doc[field] = value end
for _, flag in ipairs(cjson.decode(ARGV[5])) do
  if redis.call('HGET', KEYS[flag[2]], 'status') == '"deleted"' then doc[flag[1]] = true end
end
if rev then doc.rev = rev end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(doc))
for i, counter in ipairs(counters) do
  local after = matches(counter.filter)
  if after ~= before[i] then redis.call('HINCRBY', KEYS[i + 1], counter.field, after and 1 or -1) end
end
return 1`;

/**
 * The counts of one generation of the distributed read models, and what keeps them exact (see Counter):
 * - each count is a field of the hash `<prefix><collection>:<id>` of the document it belongs to: for users and
 *   posts the very hash of their hot copy (so a feed page reads its counts with the documents), for comments a
 *   hash of their counts alone;
 * - each counted document's state (revision, and the fields its counters' filters read) is a field of the hash
 *   `<prefix>counted:<collection>`, JSON, beside the document in MongoDB.
 * Counts live in Redis only: MongoDB's documents carry none, and reads of documents served from MongoDB get
 * their counts from here (overlay). One script per counted write, pipelined with the write's other Redis
 * commands: a count costs the same whatever the number of edges already counted.
 */
export class RedisCounts {
  /** collection → its counters, for the counted collections */
  private readonly countersOf = new Map<CollectionName, Counter[]>();
  /** collection → the counted fields of its documents */
  private readonly fieldsOf = new Map<CollectionName, string[]>();
  /** collection → the count fields its documents carry, for the collections counted into */
  private readonly countFields = new Map<CollectionName, string[]>();

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    counters: readonly Counter[],
  ) {
    for (const name of collections) {
      const of = countersOf(counters, name);
      if (of.length > 0) {
        this.countersOf.set(name, of);
        this.fieldsOf.set(name, countedFields(of));
      }
      const fields = counters.filter((counter) => counter.collection === name).map((c) => c.field);
      if (fields.length > 0) this.countFields.set(name, fields);
    }
  }

  isCounted(collection: CollectionName): boolean {
    return this.countersOf.has(collection);
  }

  /** the fields of a `collection` document a counted write needs: its counted fields and its counters' keys */
  keyFields(collection: CollectionName): string[] {
    return this.fieldsOf.get(collection) ?? [];
  }

  private countsKey(collection: CollectionName, id: string): string {
    return `${this.prefix}${collection}:${id}`;
  }

  private stateKey(collection: CollectionName): string {
    return `${this.prefix}counted:${collection}`;
  }

  /**
   * Queues the counted write of `doc` (its id, and at least the fields the write sets and its counters' keys),
   * guarded by `rev` when given (see countedWriteScript).
   */
  write(
    pipeline: Pipeline,
    collection: CollectionName,
    doc: Readonly<Record<string, unknown>> & { id: string },
    fields: Readonly<Record<string, unknown>>,
    rev?: number,
  ): void {
    const counters = this.countersOf.get(collection);
    if (!counters) return;
    const keys = [this.stateKey(collection)];
    const described: { field: string; filter: unknown }[] = [];
    const flags: [string, number][] = [];
    for (const counter of counters) {
      const target = doc[counter.key];
      // A document that does not name what it counts for (a flag written before its stream's first event)
      // counts nowhere yet; the key's own write comes with the first event.
      keys.push(this.countsKey(counter.collection, typeof target === 'string' ? target : ''));
      described.push({
        field: counter.field,
        filter: counter.filter(typeof target === 'string' ? target : ''),
      });
    }
    for (const counter of counters) {
      for (const [flag, accountField] of Object.entries(counter.accountFlags ?? {})) {
        const account = doc[accountField];
        if (typeof account !== 'string' || flags.some(([name]) => name === flag)) continue;
        keys.push(this.countsKey('users', account));
        flags.push([flag, keys.length]);
      }
    }
    const counted: Record<string, unknown> = {};
    for (const field of this.fieldsOf.get(collection) ?? []) {
      if (field in fields) counted[field] = fields[field];
    }
    pipeline.eval(
      countedWriteScript,
      keys.length,
      ...keys,
      doc.id,
      rev === undefined ? '' : String(rev),
      JSON.stringify(counted),
      JSON.stringify(described),
      JSON.stringify(flags),
    );
  }

  /** Sets the counts of `docs` (read from MongoDB, which keeps none) from Redis, in one round trip. */
  async overlay(collection: CollectionName, docs: Doc[]): Promise<Doc[]> {
    const fields = this.countFields.get(collection);
    if (!fields || docs.length === 0) return docs;
    const pipeline = this.redis.pipeline();
    for (const doc of docs) pipeline.hmget(this.countsKey(collection, doc.id), ...fields);
    const replies = (await pipeline.exec()) ?? [];
    docs.forEach((doc, i) => {
      const [error, values] = replies[i] ?? [];
      if (error) throw error;
      fields.forEach((field, j) => {
        const value = (values as (string | null)[])[j];
        if (value !== null && value !== undefined) doc[field] = Number(value);
        else delete doc[field];
      });
    });
    return docs;
  }

  /** the count fields documents of `collection` carry (none for most collections) */
  fieldsCountedInto(collection: CollectionName): readonly string[] {
    return this.countFields.get(collection) ?? [];
  }

  /**
   * Writes a fresh generation's counted states and the counts of documents that have no hot copy (the rebuild's
   * export; the hot copies carry their own counts), no guard needed.
   */
  putAll(pipeline: Pipeline, collection: CollectionName, docs: readonly Readonly<Doc>[], hot: boolean): void {
    const fields = this.fieldsOf.get(collection);
    if (fields && docs.length > 0) {
      const args: string[] = [];
      for (const doc of docs) {
        const state: Record<string, unknown> = { rev: doc.rev };
        for (const field of fields) if (doc[field] !== undefined) state[field] = doc[field];
        args.push(doc.id, JSON.stringify(state));
      }
      pipeline.hset(this.stateKey(collection), ...args);
    }
    const counts = this.countFields.get(collection);
    if (!counts || hot) return;
    for (const doc of docs) {
      const args: string[] = [];
      for (const field of counts) if (typeof doc[field] === 'number') args.push(field, String(doc[field]));
      if (args.length > 0) pipeline.hset(this.countsKey(collection, doc.id), ...args);
    }
  }
}
