import { type IHeaders, Kafka, logLevel } from 'kafkajs';
import { headers, topics } from './contract.js';
import { HourlyCounts } from './hourly-counts.js';

export interface HourlyAnalyticsOptions {
  brokers: string[];
  groupId: string;
  counts?: HourlyCounts;
}

export interface HourlyAnalytics {
  counts: HourlyCounts;
  stop(): Promise<void>;
}

function header(values: IHeaders | undefined, name: string): string | undefined {
  const value = values?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * Counts from the oldest retained message of each topic. The counts live in memory, so every start reads the
 * topics again from the beginning (offsets are never committed); a production job would store its counts and its
 * offsets together instead. Reads committed messages only, as the contract advises.
 */
export async function startHourlyAnalytics(options: HourlyAnalyticsOptions): Promise<HourlyAnalytics> {
  const counts = options.counts ?? new HourlyCounts();
  const kafka = new Kafka({
    clientId: 'analytics-hourly',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
  });
  const consumer = kafka.consumer({ groupId: options.groupId, readUncommitted: false, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const type = header(message.headers, headers.type);
      const time = header(message.headers, headers.time);
      const streamId = header(message.headers, headers.streamId);
      const revision = header(message.headers, headers.streamRevision);
      // A message without the contract's headers is not ours to interpret: skip it rather than guess.
      if (!type || !time || !streamId || revision === undefined) return;
      counts.record({ type, time, streamId, streamRevision: Number(revision) });
    },
  });
  return { counts, stop: () => consumer.disconnect() };
}
