import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import { type Logger, stderrLogger } from './logger.js';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger?: Logger;
}

/** KAFKA_BROKERS: a comma-separated list of host:port. */
export function brokersFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (a comma-separated list of host:port)');
  return brokers;
}

/**
 * A kafkajs client logging through our logger at warn and above. kafkajs logs every error response of a request
 * it is about to retry (`[Connection] Response ...`, `[Producer] Failed to send messages` with a retry count), e.g. CONCURRENT_TRANSACTIONS on nearly every transaction
 * the relay begins while the previous one's markers are being written; those lines are dropped, because an error
 * that survives the retries reaches our code as a rejected promise and is logged there, with its context.
 */
export function createKafka(options: KafkaClientOptions): Kafka {
  const logger = options.logger ?? stderrLogger;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, ...extra } = log;
        const retried =
          (namespace === 'Connection' && message.startsWith('Response ')) ||
          (namespace === 'Producer' && 'retryCount' in extra);
        if (retried) return;
        const fields = { kafkajs: namespace, ...extra };
        if (level === logLevel.ERROR) logger.error(fields, `kafkajs: ${message}`);
        else logger.warn(fields, `kafkajs: ${message}`);
      },
  });
}
