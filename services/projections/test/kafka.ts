import { workerTopics } from '@gram/events';
import { createKafka, ensureTopics, silentLogger } from '@gram/messaging';

/** A Kafka client for a test, once every topic the projections read exists (the relay creates them in production). */
export async function kafkaWithPublicTopics(
  brokers: string[],
  clientId: string,
): Promise<ReturnType<typeof createKafka>> {
  const kafka = createKafka({ brokers, clientId, logger: silentLogger });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      workerTopics.map((topic) => ({ topic, numPartitions: 3 })),
    );
  } finally {
    await admin.disconnect();
  }
  return kafka;
}
