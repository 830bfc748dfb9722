import type { RecordedEvent } from '@gram/event-store';
import { fromStoredEvent } from '@gram/events';
import type { LogDocuments, VisibleIds } from '../read-models/read-model.js';
import { readModels } from '../read-models/registry.js';
import {
  type CollectionName,
  collections,
  type Doc,
  type DocumentStore,
  matchesFilter,
} from '../store/document-store.js';

/** The counters of the read models as the event store says they must be: collection → document id → field → count. */
export type ExpectedCounts = Partial<Record<CollectionName, Map<string, Record<string, number>>>>;

/**
 * Recounts every counter straight from the event log, independently of the projection handlers: each
 * registered read model folds the log into its documents (ReadModel.log), then every counter counts them with
 * the filter the handlers count with. Only visible documents are expected (a deleted account's profile or a
 * deleted post is not served).
 */
export async function recountFromEvents(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
): Promise<ExpectedCounts> {
  const log = Object.fromEntries(collections.map((name) => [name, new Map<string, Doc>()])) as LogDocuments;
  for await (const recorded of events) {
    const event = fromStoredEvent(recorded);
    if (event) for (const model of readModels) model.log.fold(event, recorded.streamId, log);
  }
  for (const model of readModels) model.log.settle?.(log);

  const visible: VisibleIds = {};
  for (const model of readModels) {
    for (const [collection, ids] of Object.entries(model.log.visible ?? {})) {
      visible[collection as CollectionName] = new Set(ids(log, visible));
    }
  }
  const counters = readModels.flatMap((model) => model.counters);
  const counts: ExpectedCounts = {};
  for (const counter of counters) {
    const expected = counts[counter.collection] ?? new Map<string, Record<string, number>>();
    counts[counter.collection] = expected;
    for (const id of visible[counter.collection] ?? [])
      expected.set(id, { ...expected.get(id), [counter.field]: 0 });
  }
  for (const counter of counters) {
    const expected = counts[counter.collection] as Map<string, Record<string, number>>;
    for (const doc of log[counter.counted].values()) {
      const id = doc[counter.key] as string;
      const fields = expected.get(id);
      if (fields && matchesFilter(doc, counter.filter(id)))
        fields[counter.field] = (fields[counter.field] ?? 0) + 1;
    }
  }
  return counts;
}

export interface CounterDifference {
  collection: CollectionName;
  id: string;
  field: string;
  expected: number;
  actual: number | undefined;
  /** which copy differs, where the store keeps documents twice (see DocumentStore.copies) */
  copy?: string;
}

/**
 * Every counter of a visible document whose stored value differs from the recount, in every copy a query may
 * read it from (MongoDB and the Redis copies of the distributed read models; the one store of memory).
 */
export async function compareCounters(
  expected: ExpectedCounts,
  documents: DocumentStore,
  options: { batchSize?: number } = {},
): Promise<CounterDifference[]> {
  if (!documents.copies) return compareCopy(expected, documents, undefined, options.batchSize ?? 500);
  const differences: CounterDifference[] = [];
  for (const [copy, reads] of Object.entries(documents.copies)) {
    differences.push(...(await compareCopy(expected, reads, copy, options.batchSize ?? 500)));
  }
  return differences;
}

async function compareCopy(
  expected: ExpectedCounts,
  documents: Pick<DocumentStore, 'getMany'>,
  copy: string | undefined,
  batchSize: number,
): Promise<CounterDifference[]> {
  const differences: CounterDifference[] = [];
  for (const [collection, counts] of Object.entries(expected) as [
    CollectionName,
    Map<string, Record<string, number>>,
  ][]) {
    const entries = [...counts.entries()];
    for (let i = 0; i < entries.length; i += batchSize) {
      const batch = entries.slice(i, i + batchSize);
      const stored = new Map(
        (
          await documents.getMany(
            collection,
            batch.map(([id]) => id),
          )
        ).map((doc) => [doc.id, doc]),
      );
      for (const [id, counts] of batch) {
        const doc = stored.get(id);
        for (const [field, value] of Object.entries(counts)) {
          const actual = doc ? ((doc[field] as number | undefined) ?? 0) : undefined;
          if (actual !== value) {
            differences.push({ collection, id, field, expected: value, actual, ...(copy ? { copy } : {}) });
          }
        }
      }
    }
  }
  return differences;
}
