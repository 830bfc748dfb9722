import type { EventStore, RecordedEvent } from '@gram/event-store';
import { streamIds } from '@gram/events';

/** Events read per call to the store: memory stays flat however many events an account caused. */
export const eventPageSize = 1_000;

/**
 * Every event the account caused, in global order, read page by page: those whose metadata names it as actor,
 * from every stream, and the events of its own user stream, which carry no actor when identity wrote them
 * before it recorded one. The two reads are merged by global position, an event both hold given once.
 */
export async function* accountEvents(
  store: EventStore,
  accountId: string,
  signal?: AbortSignal,
): AsyncGenerator<RecordedEvent> {
  const caused = causedBy(store, accountId, signal);
  const own = userStream(store, accountId, signal);
  let causedHead = await caused.next();
  let ownHead = await own.next();
  for (;;) {
    const heads = [causedHead, ownHead].flatMap((head) => (head.done ? [] : [head.value]));
    if (heads.length === 0) return;
    const next = heads.reduce((first, head) => (head.position < first.position ? head : first));
    yield next;
    if (!causedHead.done && causedHead.value.position === next.position) causedHead = await caused.next();
    if (!ownHead.done && ownHead.value.position === next.position) ownHead = await own.next();
  }
}

async function* causedBy(
  store: EventStore,
  accountId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<RecordedEvent> {
  let after: number | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const page = await store.readByActor(accountId, { after, maxCount: eventPageSize });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < eventPageSize) return;
    after = last.position;
  }
}

async function* userStream(
  store: EventStore,
  accountId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<RecordedEvent> {
  for (let fromRevision = 0; ; fromRevision += eventPageSize) {
    signal?.throwIfAborted();
    const page = await store.readStream(streamIds.user(accountId), { fromRevision, maxCount: eventPageSize });
    yield* page;
    if (page.length < eventPageSize) return;
  }
}
