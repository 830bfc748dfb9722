/**
 * The behaviour every EventStore adapter must show, as one vitest suite run against each real store.
 *
 * The suite never assumes it has the store to itself: a shared EventStoreDB keeps events from earlier runs and
 * other suites. Every test writes to streams named with a fresh UUID, starts global reads at the head it saw
 * first, and looks only at its own streams.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type ReplayedEvent,
  type Subscription,
  WrongExpectedRevisionError,
} from './event-store.js';

export type EventStoreFactory = () => EventStore | Promise<EventStore>;

export function uniqueStreamId(aggregate: string): string {
  return `${aggregate}-${randomUUID()}`;
}

export function newEvent(n: number, type = 'ContractTested'): Required<NewEvent> {
  return {
    id: randomUUID(),
    type,
    data: { n, nested: { list: [n, 'ü'] } },
    metadata: { source: 'contract', n },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/**
 * Pulls events the test cares about until `isLast` says stop. The subscription is closed on the way out, and
 * after `timeoutMs` at the latest, so a lost event fails the test with a short list instead of hanging it.
 */
export async function collectUntil(
  subscription: Subscription,
  accept: (event: RecordedEvent) => boolean,
  isLast: (event: RecordedEvent) => boolean,
  timeoutMs: number,
): Promise<RecordedEvent[]> {
  const collected: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for await (const event of subscription) {
      if (!accept(event)) continue;
      collected.push(event);
      if (isLast(event)) break;
    }
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  return collected;
}

export function expectStrictlyIncreasing(positions: number[]): void {
  const firstOutOfOrder = positions.findIndex(
    (position, i) => i > 0 && position <= (positions[i - 1] as number),
  );
  expect(firstOutOfOrder, `position at index ${firstOutOfOrder} does not increase`).toBe(-1);
}

export function describeEventStoreContract(name: string, factory: EventStoreFactory): void {
  describe(`${name} fulfils the EventStore contract`, () => {
    let store: EventStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await store.close();
    });

    async function expectWrongRevision(
      streamId: string,
      expectedRevision: ExpectedRevision,
      actual: number,
    ): Promise<void> {
      const error = await rejectionOf(store.appendToStream(streamId, [newEvent(99)], { expectedRevision }));
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ streamId, expected: expectedRevision, actual });
    }

    describe('expected revisions', () => {
      it('no_stream creates a stream and is rejected once the stream exists, with its actual revision', async () => {
        const streamId = uniqueStreamId('account');
        const result = await store.appendToStream(streamId, [newEvent(0), newEvent(1)], {
          expectedRevision: 'no_stream',
        });
        expect(result.nextExpectedRevision).toBe(1);
        await expectWrongRevision(streamId, 'no_stream', 1);
      });

      it('a matching revision is accepted and a stale or future one is rejected with the actual revision', async () => {
        const streamId = uniqueStreamId('post');
        await store.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'no_stream' });
        const result = await store.appendToStream(streamId, [newEvent(1)], { expectedRevision: 0 });
        expect(result.nextExpectedRevision).toBe(1);
        await expectWrongRevision(streamId, 0, 1);
        await expectWrongRevision(streamId, 5, 1);
      });

      it('a numeric revision on a missing stream is rejected with actual -1', async () => {
        await expectWrongRevision(uniqueStreamId('post'), 0, -1);
      });

      it('stream_exists is rejected for a missing stream (actual -1) and accepted once it exists', async () => {
        const streamId = uniqueStreamId('comment');
        await expectWrongRevision(streamId, 'stream_exists', -1);
        await store.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'any' });
        const result = await store.appendToStream(streamId, [newEvent(1)], {
          expectedRevision: 'stream_exists',
        });
        expect(result.nextExpectedRevision).toBe(1);
      });

      it('any appends to a missing stream and to an existing one', async () => {
        const streamId = uniqueStreamId('like');
        expect(
          (await store.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'any' }))
            .nextExpectedRevision,
        ).toBe(0);
        expect(
          (await store.appendToStream(streamId, [newEvent(1)], { expectedRevision: 'any' }))
            .nextExpectedRevision,
        ).toBe(1);
      });

      it('a rejected append writes none of its events', async () => {
        const streamId = uniqueStreamId('follow');
        const first = newEvent(0);
        await store.appendToStream(streamId, [first], { expectedRevision: 'no_stream' });
        await rejectionOf(
          store.appendToStream(streamId, [newEvent(1), newEvent(2)], { expectedRevision: 'no_stream' }),
        );
        expect((await store.readStream(streamId)).map((event) => event.id)).toEqual([first.id]);
      });

      it('a malformed numeric expected revision is refused, not read as "no stream"', async () => {
        const error = await rejectionOf(
          store.appendToStream(uniqueStreamId('post'), [newEvent(0)], { expectedRevision: -1 }),
        );
        expect(error).toBeInstanceOf(RangeError);
      });

      it('50 concurrent appends with the same expected revision: exactly one succeeds, 49 get the typed error', async () => {
        const streamId = uniqueStreamId('post');
        await store.appendToStream(streamId, [newEvent(0)], { expectedRevision: 'no_stream' });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 50 }, (_, i) =>
            store.appendToStream(streamId, [newEvent(i + 1)], { expectedRevision: 0 }),
          ),
        );
        const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const rejected = outcomes.flatMap((outcome) =>
          outcome.status === 'rejected' ? [outcome.reason] : [],
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(49);
        for (const error of rejected) {
          expect(error).toBeInstanceOf(WrongExpectedRevisionError);
          expect(error).toMatchObject({ streamId, expected: 0, actual: 1 });
        }
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('idempotent retries', () => {
      it('repeating an append with the same event ids and expected revision writes nothing more', async () => {
        const streamId = uniqueStreamId('post');
        const created = [newEvent(0), newEvent(1)];
        const first = await store.appendToStream(streamId, created, { expectedRevision: 'no_stream' });
        const retried = await store.appendToStream(streamId, created, { expectedRevision: 'no_stream' });
        expect(retried.nextExpectedRevision).toBe(first.nextExpectedRevision);

        const liked = [newEvent(2)];
        await store.appendToStream(streamId, liked, { expectedRevision: 1 });
        const retriedLike = await store.appendToStream(streamId, liked, { expectedRevision: 1 });
        expect(retriedLike.nextExpectedRevision).toBe(2);
        expect((await store.readStream(streamId)).map((event) => event.id)).toEqual(
          [...created, ...liked].map((event) => event.id),
        );
      });
    });

    describe('reading', () => {
      it('recorded events carry id, type, data, metadata, revision, creation time and an increasing position', async () => {
        const streamId = uniqueStreamId('account');
        const appended = [
          newEvent(0, 'AccountOpened'),
          newEvent(1, 'ProfileEdited'),
          newEvent(2, 'ProfileEdited'),
        ];
        const before = Date.now();
        const result = await store.appendToStream(streamId, appended, { expectedRevision: 'no_stream' });
        const recorded = await store.readStream(streamId);

        expect(
          recorded.map(({ id, type, data, metadata, streamId }) => ({ id, type, data, metadata, streamId })),
        ).toEqual(appended.map(({ id, type, data, metadata }) => ({ id, type, data, metadata, streamId })));
        expect(recorded.map((event) => event.revision)).toEqual([0, 1, 2]);
        expectStrictlyIncreasing(recorded.map((event) => event.position));
        expect(recorded.at(-1)?.position).toBe(result.position);
        expect(result.nextExpectedRevision).toBe(2);
        for (const event of recorded) {
          expect(event.createdAt).toBeInstanceOf(Date);
          // Server clocks may differ a little from ours.
          expect(Math.abs(event.createdAt.getTime() - before)).toBeLessThan(60_000);
        }
      });

      it('readStream returns events in revision order from fromRevision, up to maxCount', async () => {
        const streamId = uniqueStreamId('post');
        await store.appendToStream(streamId, [newEvent(0), newEvent(1)], { expectedRevision: 'no_stream' });
        await store.appendToStream(streamId, [newEvent(2), newEvent(3), newEvent(4)], {
          expectedRevision: 1,
        });

        const revisions = async (options: { fromRevision?: number; maxCount?: number }) =>
          (await store.readStream(streamId, options)).map((event) => event.revision);
        expect(await revisions({})).toEqual([0, 1, 2, 3, 4]);
        expect(await revisions({ fromRevision: 2 })).toEqual([2, 3, 4]);
        expect(await revisions({ fromRevision: 1, maxCount: 2 })).toEqual([1, 2]);
        expect(await revisions({ fromRevision: 10 })).toEqual([]);
        expect((await store.readStream(streamId)).map((event) => (event.data as { n: number }).n)).toEqual([
          0, 1, 2, 3, 4,
        ]);
      });

      it('readStreams reads several streams at once, each whole and in revision order, in the order asked', async () => {
        const [first, second, ghost] = [
          uniqueStreamId('block'),
          uniqueStreamId('block'),
          uniqueStreamId('ghost'),
        ];
        await store.appendToStream(first, [newEvent(0), newEvent(1)], { expectedRevision: 'no_stream' });
        await store.appendToStream(second, [newEvent(2)], { expectedRevision: 'no_stream' });
        await store.appendToStream(first, [newEvent(3)], { expectedRevision: 1 });

        const read = await store.readStreams([second, ghost, first, second]);
        expect(read.map((events) => events.map((event) => (event.data as { n: number }).n))).toEqual([
          [2],
          [],
          [0, 1, 3],
          [2],
        ]);
        expect(read[2]?.map((event) => [event.streamId, event.revision])).toEqual([
          [first, 0],
          [first, 1],
          [first, 2],
        ]);
        expect(await store.readStreams([])).toEqual([]);
      });

      it('readStreams reads a hundred streams in one call, every one whole', async () => {
        const ids = Array.from({ length: 100 }, () => uniqueStreamId('many'));
        const written = ids.filter((_, i) => i % 3 === 0);
        for (const [i, id] of written.entries()) {
          await store.appendToStream(id, [newEvent(i), newEvent(i + 1000)], {
            expectedRevision: 'no_stream',
          });
        }
        const read = await store.readStreams(ids);
        expect(read.map((events) => events.map((event) => (event.data as { n: number }).n))).toEqual(
          ids.map((_, i) => (i % 3 === 0 ? [i / 3, i / 3 + 1000] : [])),
        );
      });

      it('readStream of a stream that does not exist is empty', async () => {
        expect(await store.readStream(uniqueStreamId('ghost'))).toEqual([]);
      });

      it('readAll returns the events strictly after a position, in global order, up to maxCount', async () => {
        const start = await store.headPosition();
        const post = uniqueStreamId('post');
        const like = uniqueStreamId('like');
        const events = [newEvent(0), newEvent(1), newEvent(2), newEvent(3)];
        await store.appendToStream(post, [events[0], events[1]] as NewEvent[], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(like, [events[2]] as NewEvent[], { expectedRevision: 'no_stream' });
        await store.appendToStream(post, [events[3]] as NewEvent[], { expectedRevision: 1 });
        const ours = (event: RecordedEvent) => event.streamId === post || event.streamId === like;

        const all = (await store.readAll({ after: start })).filter(ours);
        expect(all.map((event) => event.id)).toEqual(events.map((event) => event.id));
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect(all[0]?.position).toBeGreaterThan(start);

        const [first, second] = all as [RecordedEvent, RecordedEvent];
        expect(
          (await store.readAll({ after: second.position })).filter(ours).map((event) => event.id),
        ).toEqual([events[2]?.id, events[3]?.id]);
        // The two events of one append sit next to each other in the global log.
        expect(
          (await store.readAll({ after: first.position, maxCount: 1 })).map((event) => event.id),
        ).toEqual([second.id]);
        const page = await store.readAll({ after: first.position, maxCount: 2 });
        expect(page).toHaveLength(2);
        expect(page[0]?.id).toBe(second.id);
      });

      it('readAllForReplay reads what readAll reads, for the same positions and counts, less ids, streams and times', async () => {
        const start = await store.headPosition();
        const stream = uniqueStreamId('post');
        await store.appendToStream(stream, [newEvent(0), newEvent(1), newEvent(2)], {
          expectedRevision: 'no_stream',
        });
        const replayed = (event: ReplayedEvent) => ({
          type: event.type,
          data: event.data,
          metadata: event.metadata,
          revision: event.revision,
          position: event.position,
        });
        const all = await store.readAll({ after: start });
        expect(all.length).toBeGreaterThanOrEqual(3);
        expect((await store.readAllForReplay({ after: start })).map(replayed)).toEqual(all.map(replayed));
        const second = all[1] as RecordedEvent;
        expect((await store.readAllForReplay({ after: second.position, maxCount: 1 })).map(replayed)).toEqual(
          (await store.readAll({ after: second.position, maxCount: 1 })).map(replayed),
        );
      });

      it('readAllForReplay answers objects of its own: changing what one read answered changes no later read', async () => {
        const start = await store.headPosition();
        const stream = uniqueStreamId('post');
        await store.appendToStream(stream, [newEvent(0)], { expectedRevision: 'no_stream' });
        const [first] = await store.readAllForReplay({ after: start });
        const before = structuredClone(first?.data);
        (first?.data as Record<string, unknown>).changed = 'by the reader';
        const [again] = await store.readAllForReplay({ after: start });
        expect(again?.data).toEqual(before);
      });

      it('readByActor reads the events one account caused, from every stream, in global order, paged like readAll', async () => {
        const actor = randomUUID();
        const other = randomUUID();
        const post = uniqueStreamId('post');
        const like = uniqueStreamId('like');
        const byActor = (i: number) => ({ ...newEvent(i), metadata: { actorId: actor } });
        const ours = [byActor(0), byActor(1), byActor(3), byActor(4)];
        await store.appendToStream(post, [ours[0], ours[1]] as NewEvent[], { expectedRevision: 'no_stream' });
        await store.appendToStream(
          post,
          [
            { ...newEvent(2), metadata: { actorId: other } },
            { ...newEvent(5), metadata: {} },
          ],
          { expectedRevision: 1 },
        );
        await store.appendToStream(like, [ours[2]] as NewEvent[], { expectedRevision: 'no_stream' });
        await store.appendToStream(post, [ours[3]] as NewEvent[], { expectedRevision: 3 });

        const all = await store.readByActor(actor);
        expect(all.map((event) => event.id)).toEqual(ours.map((event) => event.id));
        expect(all.map((event) => event.streamId)).toEqual([post, post, like, post]);
        expectStrictlyIncreasing(all.map((event) => event.position));
        const [first, second] = all as [RecordedEvent, RecordedEvent];
        expect(
          (await store.readByActor(actor, { after: first.position, maxCount: 2 })).map((e) => e.id),
        ).toEqual([second.id, ours[2]?.id]);
        expect(await store.readByActor(actor, { after: (all[3] as RecordedEvent).position })).toEqual([]);
        expect(await store.readByActor(randomUUID())).toEqual([]);
      });

      it('readByType reads the events of the given types, from every stream, in global order, paged like readAll', async () => {
        const wanted = `Wanted${randomUUID().replaceAll('-', '')}`;
        const also = `Also${randomUUID().replaceAll('-', '')}`;
        const typed = (type: string, i: number): NewEvent => ({ ...newEvent(i), type });
        const first = uniqueStreamId('follow');
        const second = uniqueStreamId('follow');
        const ours = [typed(wanted, 0), typed(also, 2), typed(wanted, 3)];
        await store.appendToStream(first, [ours[0], newEvent(1)] as NewEvent[], {
          expectedRevision: 'no_stream',
        });
        await store.appendToStream(second, [ours[1], ours[2]] as NewEvent[], {
          expectedRevision: 'no_stream',
        });
        // A type that only starts like one asked for is another type.
        await store.appendToStream(first, [typed(`${wanted}X`, 4)], { expectedRevision: 1 });

        const all = await store.readByType([wanted, also]);
        expect(all.map((event) => event.id)).toEqual(ours.map((event) => event.id));
        expect(all.map((event) => event.streamId)).toEqual([first, second, second]);
        expectStrictlyIncreasing(all.map((event) => event.position));
        expect((await store.readByType([wanted])).map((event) => event.id)).toEqual([
          ours[0]?.id,
          ours[2]?.id,
        ]);
        const [head, next] = all as [RecordedEvent, RecordedEvent];
        expect(
          (await store.readByType([wanted, also], { after: head.position, maxCount: 1 })).map((e) => e.id),
        ).toEqual([next.id]);
        expect(await store.readByType([wanted, also], { after: (all[2] as RecordedEvent).position })).toEqual(
          [],
        );
        expect(await store.readByType([])).toEqual([]);
      });

      it('headPosition moves to the position of the newest append', async () => {
        const before = await store.headPosition();
        const result = await store.appendToStream(uniqueStreamId('post'), [newEvent(0)], {
          expectedRevision: 'any',
        });
        expect(result.position).toBeGreaterThan(before);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
      });
    });

    describe('subscriptions', () => {
      it('a subscriber started before and one started after a burst of 10,000 concurrent appends each see every event exactly once, in global order', async () => {
        const prefix = `burst${randomUUID().replaceAll('-', '')}`;
        const ours = (event: RecordedEvent) => event.streamId.startsWith(prefix);
        const endStream = `${prefix}-end`;
        const isEnd = (event: RecordedEvent) => event.streamId === endStream;
        const start = await store.headPosition();

        // Consumes while the writers write: it catches up and goes live many times over.
        const early = collectUntil(store.subscribeToAll({ after: start }), ours, isEnd, 90_000);

        const writers = 8;
        const eventsPerWriter = 1_250;
        const appendedIds = new Set<string>();
        await Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            const revisions = new Map<string, number>();
            let written = 0;
            for (let i = 0; written < eventsPerWriter; i++) {
              const streamId = `${prefix}-w${writer}-s${i % 5}`;
              // Mostly single-event appends, with a batch of 20..40 every fifth time.
              const size = Math.min(i % 5 === 4 ? 20 + (i % 3) * 10 : 1, eventsPerWriter - written);
              const batch = Array.from({ length: size }, (_, k) => newEvent(written + k));
              const current = revisions.get(streamId);
              const result = await store.appendToStream(streamId, batch, {
                expectedRevision: current ?? 'no_stream',
              });
              revisions.set(streamId, result.nextExpectedRevision);
              for (const event of batch) appendedIds.add(event.id);
              written += size;
            }
          }),
        );
        await store.appendToStream(endStream, [newEvent(-1)], { expectedRevision: 'no_stream' });
        const late = collectUntil(store.subscribeToAll({ after: start }), ours, isEnd, 90_000);

        const [earlyEvents, lateEvents] = await Promise.all([early, late]);
        const logged = (await store.readAll({ after: start })).filter(ours);
        expect(appendedIds.size).toBe(writers * eventsPerWriter);
        expect(logged).toHaveLength(writers * eventsPerWriter + 1);
        for (const seen of [earlyEvents, lateEvents]) {
          expect(seen).toHaveLength(logged.length);
          expectStrictlyIncreasing(seen.map((event) => event.position));
          expect(seen.map((event) => event.position)).toEqual(logged.map((event) => event.position));
          expect(seen.map((event) => event.id)).toEqual(logged.map((event) => event.id));
          expect(new Set(seen.filter((event) => !isEnd(event)).map((event) => event.id))).toEqual(
            appendedIds,
          );
        }
      });

      it('a caught-up subscription wakes on a new append', async () => {
        const subscription = store.subscribeToAll({ after: await store.headPosition() });
        const streamId = uniqueStreamId('post');
        const received = collectUntil(
          subscription,
          (event) => event.streamId === streamId,
          () => true,
          10_000,
        );
        // Long enough for the subscription to have read to the end and started waiting.
        await sleep(300);
        const appended = newEvent(0);
        await store.appendToStream(streamId, [appended], { expectedRevision: 'no_stream' });
        expect((await withTimeout(received, 5_000, 'the new event')).map((event) => event.id)).toEqual([
          appended.id,
        ]);
      });

      it('a subscription resumes strictly after the given position', async () => {
        const streamId = uniqueStreamId('post');
        const events = [newEvent(0), newEvent(1), newEvent(2)];
        await store.appendToStream(streamId, events, { expectedRevision: 'no_stream' });
        const [first] = await store.readStream(streamId);
        const seen = await collectUntil(
          store.subscribeToAll({ after: (first as RecordedEvent).position }),
          (event) => event.streamId === streamId,
          (event) => event.revision === 2,
          10_000,
        );
        expect(seen.map((event) => event.id)).toEqual([events[1]?.id, events[2]?.id]);
      });

      it('close ends the iteration of a subscription waiting for events', async () => {
        const subscription = store.subscribeToAll({ after: await store.headPosition() });
        const iteration = (async () => {
          for await (const _ of subscription) {
            // drains whatever arrives until closed
          }
          return 'ended';
        })();
        await sleep(200);
        await subscription.close();
        expect(await withTimeout(iteration, 5_000, 'the iteration to end')).toBe('ended');
      });

      it('a subscription closed before it is iterated yields nothing', async () => {
        const subscription = store.subscribeToAll();
        await subscription.close();
        const seen: RecordedEvent[] = [];
        for await (const event of subscription) seen.push(event);
        expect(seen).toEqual([]);
      });

      it('closing the store ends its subscriptions', async () => {
        const subscription = store.subscribeToAll({ after: await store.headPosition() });
        const iteration = (async () => {
          for await (const _ of subscription) {
            // drains whatever arrives until the store closes
          }
          return 'ended';
        })();
        await sleep(200);
        await store.close();
        expect(await withTimeout(iteration, 5_000, 'the iteration to end')).toBe('ended');
      });
    });
  });
}
