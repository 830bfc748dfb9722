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
 * 1. The counted state of the document (its revision and the fields its counters read) is read.
 * 2. A guarded write (ARGV[2] a revision) stops there when the stored revision is at or above it: a redelivered
 *    or stale event moves nothing. An unguarded one (a flag from another stream) goes on.
 * 3. The fields are set; an account flag is also set when the account's copy says it is deleted (see below).
 * 4. Each counter moves by the change in whether the document matches its filter: -1, 0 or +1, in the hash of
 *    the document its key field names. The state, not the event, names it: a deletion's event may not carry
 *    the key (a post's deletion names no author), the stored creation does.
 * Account flags: a handler sets `userDeleted` from the account as it read it, and another worker may apply the
 * account's deletion between that read and this script. The deletion writes the account's copy first and
 * then flags the account's documents, reading which exist from MongoDB, which every counted write reaches
 * before this script; so either the deletion's flagging finds this document, or this script finds the
 * account's copy deleted. Accounts are never undeleted, so the flag only ever goes from false to true.
 * The hashes counted into and the account copies are named from the state, within the script: the read models'
 * Redis is one server, not a cluster, where every key would have to be declared in KEYS.
 *
 * KEYS[1] the collection's counted states.
 * ARGV[1] the document's id; ARGV[2] the revision, or '' for an unguarded write; ARGV[3] the fields (JSON);
 * ARGV[4] the counters, [{ field, key, into, filter }] (JSON; `into` the prefix of the hashes counted into, the
 * filter without its key); ARGV[5] the account flags, [[flag, account field]] (JSON); ARGV[6] the prefix of
 * the account copies. Answers 1 when it wrote, 0 when the guard stopped it.
 */
const countedWriteScript = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local doc = stored and cjson.decode(stored) or {}
local rev = tonumber(ARGV[2])
if rev and doc.rev and doc.rev >= rev then return 0 end
local counters = cjson.decode(ARGV[4])
local function counted(counter)
  local target = doc[counter.key]
  if type(target) ~= 'string' then return nil end
  for field, value in pairs(counter.filter) do
    if doc[field] ~= value then return nil end
  end
  return target
end
local before = {}
for i, counter in ipairs(counters) do before[i] = counted(counter) end
for field, value in pairs(cjson.decode(ARGV[3])) do doc[field] = value end
for _, flag in ipairs(cjson.decode(ARGV[5])) do
  local account = doc[flag[2]]
  if type(account) == 'string' and redis.call('HGET', ARGV[6] .. account, 'status') == '"deleted"' then
    doc[flag[1]] = true
  end
end
if rev then doc.rev = rev end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(doc))
for i, counter in ipairs(counters) do
  local after = counted(counter)
  if after ~= before[i] then
    if before[i] then redis.call('HINCRBY', counter.into .. before[i], counter.field, -1) end
    if after then redis.call('HINCRBY', counter.into .. after, counter.field, 1) end
  end
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
  /** collection → the counted fields of its documents */
  private readonly fieldsOf = new Map<CollectionName, string[]>();
  /** collection → the count fields its documents carry, for the collections counted into */
  private readonly countFields = new Map<CollectionName, string[]>();
  /** collection → the script's last arguments (its counters, account flags and accounts' prefix), the same for every write */
  private readonly scriptArgs = new Map<CollectionName, string[]>();

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    counters: readonly Counter[],
  ) {
    for (const name of collections) {
      const of = countersOf(counters, name);
      if (of.length > 0) {
        this.fieldsOf.set(name, countedFields(of));
        const described = of.map((counter) => {
          const { [counter.key]: _key, ...filter } = counter.filter('');
          return {
            field: counter.field,
            key: counter.key,
            into: this.countsKey(counter.collection, ''),
            filter,
          };
        });
        const flags = new Map(of.flatMap((counter) => Object.entries(counter.accountFlags ?? {})));
        this.scriptArgs.set(name, [
          JSON.stringify(described),
          JSON.stringify([...flags]),
          this.countsKey('users', ''),
        ]);
      }
      const fields = counters.filter((counter) => counter.collection === name).map((c) => c.field);
      if (fields.length > 0) this.countFields.set(name, fields);
    }
  }

  isCounted(collection: CollectionName): boolean {
    return this.scriptArgs.has(collection);
  }

  private countsKey(collection: CollectionName, id: string): string {
    return `${this.prefix}${collection}:${id}`;
  }

  private stateKey(collection: CollectionName): string {
    return `${this.prefix}counted:${collection}`;
  }

  /**
   * Queues the counted write of the document `id` of `collection`: sets `fields` (those its counters read),
   * guarded by `rev` when given, and moves its counters (see countedWriteScript).
   */
  write(
    pipeline: Pipeline,
    collection: CollectionName,
    id: string,
    fields: Readonly<Record<string, unknown>>,
    rev?: number,
  ): void {
    const script = this.scriptArgs.get(collection);
    if (!script) return;
    const counted: Record<string, unknown> = {};
    for (const field of this.fieldsOf.get(collection) ?? []) {
      if (field in fields) counted[field] = fields[field];
    }
    pipeline.eval(
      countedWriteScript,
      1,
      this.stateKey(collection),
      id,
      rev === undefined ? '' : String(rev),
      JSON.stringify(counted),
      ...script,
    );
  }

  /** The revision of the counted document `id` as its counted state holds it, if any. */
  async revision(collection: CollectionName, id: string): Promise<number | undefined> {
    const state = await this.redis.hget(this.stateKey(collection), id);
    const rev = state === null ? undefined : (JSON.parse(state) as { rev?: unknown }).rev;
    return typeof rev === 'number' ? rev : undefined;
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
