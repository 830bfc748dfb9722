import type { Redis } from 'ioredis';
import {
  type CollectionName,
  type Counter,
  collections,
  countedFields,
  countersOf,
  type Doc,
  matchesFilter,
  type Position,
  type SortedList,
} from '../document-store.js';
import { RedisScript } from './scripts.js';
import { sortedPage } from './sorted-page.js';

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * One counted write, atomically: a Lua script runs alone in Redis, so nothing (no other worker's write of the
 * same document, no other event moving the same count or list) comes between its read and its writes.
 * 1. The counted state of the document (its revision and the fields its counters and lists read) is read.
 * 2. A guarded write (ARGV[2] a revision) stops there when the stored revision is at or above it: a redelivered
 *    or stale event moves nothing. An unguarded one (a flag from another stream) goes on.
 * 3. The fields are set; an account flag is also set when the account's copy says it is deleted (see below).
 * 4. Each counter moves by the change in whether the document matches its filter: -1, 0 or +1, in the hash of
 *    the document its key field names. The state, not the event, names it: a deletion's event may not carry
 *    the key (a post's deletion names no author), the stored creation does.
 * 5. Each list leaves or takes the document by the same rule: removed from the list it matched, added (again,
 *    with its `at` as score, which may have moved) to the one it matches now.
 * Account flags: a handler sets `userDeleted` from the account as it read it, and another worker may apply the
 * account's deletion between that read and this script. The deletion writes the account's copy first and
 * then flags the account's documents, reading which exist from where every counted write reaches before or
 * within this script (MongoDB, or the account's list for the documents kept in Redis alone); so either the
 * deletion's flagging finds this document, or this script finds the account's copy deleted. Accounts are
 * never undeleted, so the flag only ever goes from false to true.
 * The hashes counted into, the lists and the account copies are named from the state, within the script: the
 * read models' Redis is one server, not a cluster, where every key would have to be declared in KEYS.
 *
 * KEYS[1] the collection's counted states.
 * ARGV[1] the document's id; ARGV[2] the revision, or '' for an unguarded write; ARGV[3] the fields (JSON);
 * ARGV[4] the counters, [{ field, key, into, filter }] (JSON; `into` the prefix of the hashes counted into, the
 * filter without its key); ARGV[5] the account flags, [[flag, account field]] (JSON); ARGV[6] the prefix of
 * the account copies; ARGV[7] the lists, [{ key, into, filter }] (JSON; `into` the prefix of the sorted sets).
 * Answers 1 when it wrote, 0 when the guard stopped it.
 */
const countedWriteScript = new RedisScript(
  'gramCountedWrite',
  `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local doc = stored and cjson.decode(stored) or {}
local rev = tonumber(ARGV[2])
if rev and doc.rev and doc.rev >= rev then return 0 end
local counters = cjson.decode(ARGV[4])
local lists = cjson.decode(ARGV[7])
local function member(index)
  local target = doc[index.key]
  if type(target) ~= 'string' then return nil end
  for field, value in pairs(index.filter) do
    if doc[field] ~= value then return nil end
  end
  return target
end
local counted, listed = {}, {}
for i, counter in ipairs(counters) do counted[i] = member(counter) end
for i, list in ipairs(lists) do listed[i] = member(list) end
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
  local after = member(counter)
  if after ~= counted[i] then
    if counted[i] then redis.call('HINCRBY', counter.into .. counted[i], counter.field, -1) end
    if after then redis.call('HINCRBY', counter.into .. after, counter.field, 1) end
  end
end
local score = type(doc.at) == 'number' and string.format('%.17g', doc.at) or '0'
for i, list in ipairs(lists) do
  local after = member(list)
  if listed[i] and listed[i] ~= after then redis.call('ZREM', list.into .. listed[i], ARGV[1]) end
  if after then redis.call('ZADD', list.into .. after, score, ARGV[1]) end
end
return 1`,
  1,
);

/**
 * The counts and lists of one generation of the distributed read models, and what keeps them exact (see Counter
 * and SortedList):
 * - each count is a field of the hash `<prefix><collection>:<id>` of the document it belongs to: for users and
 *   posts the very hash of their hot copy (so a feed page reads its counts with the documents), for comments a
 *   hash of their counts alone;
 * - each list is a sorted set `<prefix>list:<name>:<id>` of document ids, scored by their `at`;
 * - each counted document's state (revision, and the fields its counters' and lists' filters read, and `at`) is
 *   a field of the hash `<prefix>counted:<collection>`, JSON, beside the document in MongoDB; for the
 *   collections kept in Redis alone (`whole`), the state is the whole document.
 * Counts live in Redis only: MongoDB's documents carry none, and reads of documents served from MongoDB get
 * their counts from here (overlay). One script per counted write, pipelined with the write's other Redis
 * commands: a count or a list costs the same whatever the number of documents already in it.
 */
export class RedisIndexes {
  /** collection → the fields of its counted state, for the collections kept in MongoDB */
  private readonly fieldsOf = new Map<CollectionName, string[]>();
  /** collection → the count fields its documents carry, for the collections counted into */
  private readonly countFields = new Map<CollectionName, string[]>();
  /** collection → the script's last arguments (counters, account flags, accounts' prefix, lists), the same for every write */
  private readonly scriptArgs = new Map<CollectionName, string[]>();
  private readonly listsOf = new Map<CollectionName, SortedList[]>();

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    counters: readonly Counter[],
    lists: readonly SortedList[],
    /** the collections whose documents are kept whole in their counted state, in Redis alone */
    private readonly whole: ReadonlySet<CollectionName>,
  ) {
    countedWriteScript.defineOn(redis);
    for (const name of collections) {
      const of = countersOf(counters, name);
      const listed = lists.filter((list) => list.collection === name);
      if (of.length > 0 || listed.length > 0) {
        const fields = new Set(countedFields([...of, ...listed]));
        if (listed.length > 0) fields.add('at');
        this.fieldsOf.set(name, [...fields]);
        this.listsOf.set(name, listed);
        const withoutKey = (index: Counter | SortedList) => {
          const { [index.key]: _key, ...filter } = index.filter('');
          return filter;
        };
        const described = of.map((counter) => ({
          field: counter.field,
          key: counter.key,
          into: this.countsKey(counter.collection, ''),
          filter: withoutKey(counter),
        }));
        const flags = new Map(of.flatMap((counter) => Object.entries(counter.accountFlags ?? {})));
        this.scriptArgs.set(name, [
          JSON.stringify(described),
          JSON.stringify([...flags]),
          this.countsKey('users', ''),
          JSON.stringify(
            listed.map((list) => ({ key: list.key, into: this.listKey(list, ''), filter: withoutKey(list) })),
          ),
        ]);
      }
      const fields = counters.filter((counter) => counter.collection === name).map((c) => c.field);
      if (fields.length > 0) this.countFields.set(name, fields);
    }
  }

  /** Whether writes of `collection` go through the counted write (it has counters or lists). */
  isCounted(collection: CollectionName): boolean {
    return this.scriptArgs.has(collection);
  }

  private countsKey(collection: CollectionName, id: string): string {
    return `${this.prefix}${collection}:${id}`;
  }

  private stateKey(collection: CollectionName): string {
    return `${this.prefix}counted:${collection}`;
  }

  private listKey(list: SortedList, id: string): string {
    return `${this.prefix}list:${list.name}:${id}`;
  }

  /**
   * Queues the counted write of the document `id` of `collection`: sets `fields` (those its state keeps: all of
   * them for a collection kept whole), guarded by `rev` when given, and moves its counters and lists (see
   * countedWriteScript). Its reply in the pipeline is 1 when it wrote, 0 when the guard stopped it.
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
    let state: Readonly<Record<string, unknown>> = fields;
    if (!this.whole.has(collection)) {
      const kept: Record<string, unknown> = {};
      for (const field of this.fieldsOf.get(collection) ?? [])
        if (field in fields) kept[field] = fields[field];
      state = kept;
    }
    countedWriteScript.queue(
      pipeline,
      this.stateKey(collection),
      id,
      rev === undefined ? '' : String(rev),
      JSON.stringify(state),
      ...script,
    );
  }

  /** The revision of the counted document `id` as its counted state holds it, if any. */
  async revision(collection: CollectionName, id: string): Promise<number | undefined> {
    const state = await this.redis.hget(this.stateKey(collection), id);
    const rev = state === null ? undefined : (JSON.parse(state) as { rev?: unknown }).rev;
    return typeof rev === 'number' ? rev : undefined;
  }

  /** the fields every counted state of `collection` holds (at least; a whole document holds them all) */
  stateFields(collection: CollectionName): readonly string[] {
    return this.fieldsOf.get(collection) ?? [];
  }

  /** The counted states of `ids` that exist, in their order: whole documents for a collection kept whole. */
  async states(collection: CollectionName, ids: readonly string[]): Promise<Doc[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.hmget(this.stateKey(collection), ...ids);
    const docs: Doc[] = [];
    ids.forEach((id, i) => {
      const value = values[i];
      if (typeof value === 'string') docs.push({ id, ...(JSON.parse(value) as Omit<Doc, 'id'>) } as Doc);
    });
    return docs;
  }

  /** Every counted state of `collection` (verify's and the tests' reads of a whole collection kept whole). */
  async allStates(collection: CollectionName): Promise<Doc[]> {
    const docs: Doc[] = [];
    let cursor = '0';
    do {
      const [next, entries] = await this.redis.hscan(this.stateKey(collection), cursor, 'COUNT', 1000);
      for (let i = 0; i + 1 < entries.length; i += 2) {
        docs.push({
          id: entries[i] as string,
          ...(JSON.parse(entries[i + 1] as string) as Omit<Doc, 'id'>),
        } as Doc);
      }
      cursor = next;
    } while (cursor !== '0');
    return docs;
  }

  /** up to `limit` (at, id) keys of the list `list` of `id`, after `after`, in `order` of `at` */
  page(list: SortedList, id: string, after: Position | undefined, order: 1 | -1, limit: number) {
    return sortedPage(this.redis, this.listKey(list, id), after, order, limit);
  }

  /** the whole list `list` of `id`, ascending */
  async all(list: SortedList, id: string): Promise<Position[]> {
    const raw = await this.redis.zrange(this.listKey(list, id), 0, -1, 'WITHSCORES');
    const keys: Position[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2)
      keys.push({ id: raw[i] as string, value: Number(raw[i + 1]) });
    return keys;
  }

  size(list: SortedList, id: string): Promise<number> {
    return this.redis.zcard(this.listKey(list, id));
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
   * Writes a fresh generation's counted states, lists, and the counts of documents that have no hot copy (the
   * rebuild's export; the hot copies carry their own counts), no guard needed.
   */
  putAll(pipeline: Pipeline, collection: CollectionName, docs: readonly Readonly<Doc>[], hot: boolean): void {
    const fields = this.fieldsOf.get(collection);
    if (fields && docs.length > 0) {
      const args: string[] = [];
      for (const doc of docs) {
        let state: Record<string, unknown>;
        if (this.whole.has(collection)) {
          const { id: _id, ...rest } = doc;
          state = rest;
        } else {
          state = { rev: doc.rev };
          for (const field of fields) if (doc[field] !== undefined) state[field] = doc[field];
        }
        args.push(doc.id, JSON.stringify(state));
      }
      pipeline.hset(this.stateKey(collection), ...args);
    }
    for (const list of this.listsOf.get(collection) ?? []) {
      const members = new Map<string, (string | number)[]>();
      for (const doc of docs) {
        const id = doc[list.key];
        if (typeof id !== 'string' || !matchesFilter(doc, list.filter(id))) continue;
        const args = members.get(id) ?? [];
        if (args.length === 0) members.set(id, args);
        args.push(typeof doc.at === 'number' ? doc.at : 0, doc.id);
      }
      for (const [id, args] of members) pipeline.zadd(this.listKey(list, id), ...args);
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
