// A worker process for the SIGTERM test: consumes TOPIC as GROUP with a slow handler and prints what it does.
import { createKafka } from '../src/kafka-client.js';
import { KafkaSubscriber } from '../src/kafka-subscriber.js';
import { silentLogger } from '../src/logger.js';

const kafka = createKafka({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'sigterm-worker',
  logger: silentLogger,
});
const subscriber = new KafkaSubscriber({ kafka, logger: silentLogger });
await subscriber.subscribe({
  groupId: process.env.GROUP as string,
  topics: [process.env.TOPIC as string],
  handler: async (message) => {
    console.log(`handling ${message.streamRevision}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    console.log(`handled ${message.streamRevision}`);
  },
});
