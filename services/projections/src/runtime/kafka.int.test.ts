import { isDeepStrictEqual } from 'node:util';
import { KafkaPublisher, KafkaSubscriber, publicMessageOf, silentLogger } from '@gram/messaging';
import { injectServer } from '@gram/test-servers/inject';
import { describe, expect, it } from 'vitest';
import { withoutZeroCounts } from '../../test/counts.js';
import { generateHistory } from '../../test/history.js';
import { kafkaWithPublicTopics } from '../../test/kafka.js';
import { fixedReadModels } from '../app.js';
import { Projector } from '../projection/projector.js';
import { counters } from '../read-models/registry.js';
import { collections, type Doc } from '../store/document-store.js';
import { createMemoryReadModelStore, type MemoryReadModelStore } from '../store/memory.js';
import { subscribeProjections } from './workers.js';

const brokers = injectServer('kafkaBrokers');

/**
 * The documents and feeds of `store` that belong to `reference`: the public topics are shared with the other
 * test files of the run, whose events (other ids) this worker projects too.
 */
function ours(store: MemoryReadModelStore, reference: MemoryReadModelStore) {
  const expected = reference.documents.dump();
  const actual = withoutZeroCounts(store.documents.dump());
  const feeds = store.feeds.dump();
  return {
    documents: Object.fromEntries(
      collections.map((name) => {
        const ids = new Set(expected[name].map((doc: Doc) => doc.id));
        return [name, actual[name].filter((doc) => ids.has(doc.id))];
      }),
    ),
    feeds: Object.fromEntries(Object.keys(reference.feeds.dump()).map((userId) => [userId, feeds[userId]])),
  };
}

describe.skipIf(brokers === undefined)('projections fed by Kafka (KafkaSubscriber, real broker)', () => {
  it('every event published twice through the public topics builds the read model of one clean pass', async () => {
    const history = generateHistory({ users: 15, follows: 40, posts: 30, likes: 80, comments: 30, seed: 11 });
    const messages = history.flatMap((event) => publicMessageOf(event) ?? []);
    const reference = createMemoryReadModelStore({ counters });
    const clean = new Projector(reference);
    for (const { message } of messages) await clean.apply(message);

    const kafka = await kafkaWithPublicTopics(brokers as string[], 'projections-test');

    const store = createMemoryReadModelStore({ counters });
    const subscriber = new KafkaSubscriber({ kafka, logger: silentLogger, shutdownSignals: [] });
    const publisher = new KafkaPublisher(kafka);
    try {
      // A group of its own: other suites (e2e) run projection workers on the same broker meanwhile.
      await subscribeProjections(subscriber, fixedReadModels(store), {
        groupId: `projections-test-${process.pid}-${Date.now()}`,
      });
      // At least once, as after a relay crash: the whole log again after the first delivery.
      await publisher.publish(messages);
      await publisher.publish(messages);
      const expected = {
        documents: withoutZeroCounts(reference.documents.dump()),
        feeds: reference.feeds.dump(),
      };
      const deadline = Date.now() + 60_000;
      while (!isDeepStrictEqual(ours(store, reference), expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ours(store, reference)).toEqual(expected);
    } finally {
      await subscriber.stop();
      await publisher.close();
    }
  }, 90_000);
});
