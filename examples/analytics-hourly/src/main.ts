// Prints posts, likes and follows per hour from gram's Kafka topics: KAFKA_BROKERS=host:port pnpm start
import { startHourlyAnalytics } from './consumer.js';
import type { HourRow } from './hourly-counts.js';

const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
const analytics = await startHourlyAnalytics({ brokers, groupId: `analytics-hourly-${process.pid}` });

function print(rows: HourRow[]): void {
  console.log(
    `${'hour (UTC)'.padEnd(24)} ${'posts'.padStart(8)} ${'likes'.padStart(8)} ${'follows'.padStart(8)}`,
  );
  for (const row of rows) {
    console.log(
      `${row.hour.padEnd(24)} ${String(row.posts).padStart(8)} ${String(row.likes).padStart(8)} ${String(row.follows).padStart(8)}`,
    );
  }
}

const timer = setInterval(() => print(analytics.counts.table()), 10_000);
process.once('SIGTERM', async () => {
  clearInterval(timer);
  await analytics.stop();
  print(analytics.counts.table());
});
process.once('SIGINT', () => process.emit('SIGTERM'));
