// `pnpm bench <name> [args]` runs one benchmark (its package's `bench` script, or the `script` named here);
// `pnpm bench` lists them. Each benchmark prints
// its figures beside the saved baseline (`--save-baseline` records the current run as baseline).
import { spawnSync } from 'node:child_process';

const benches = {
  'event-store': {
    dir: 'packages/event-store',
    what: 'SQLite event store: appends/s (1 and 16 writers, batches), read-all events/s',
  },
  identity: {
    dir: 'services/identity',
    what: 'identity: latency of a login behind 50 parallel signups, with and without the hashing queue',
  },
  exports: {
    dir: 'services/identity',
    script: 'bench:exports',
    what: 'exports: archives/s, archive size and peak memory for accounts of 10,000 and 1,000 posts in a 200,000-event log',
  },
  content: {
    dir: 'services/content',
    what: 'content service: like-a-post, create-a-post and comment req/s, p50/p99',
  },
  follow: { dir: 'services/social-graph', what: 'social-graph service: follow req/s, p50/p99' },
  relay: {
    dir: 'services/relay',
    what: 'relay: catch-up events/s into Kafka, append-to-consumer lag p50/p99',
  },
  projections: {
    dir: 'services/projections',
    what: 'read side: rebuild events/s (memory, MongoDB+Redis), feed reads, append-to-visible lag; `live`: the distributed workers (events/s, lag through the gateway, crash recovery)',
  },
  media: { dir: 'services/media', what: 'media: 3 MB JPEG uploads/s, p50/p99, peak memory' },
  search: {
    dir: 'apps/embedded',
    script: 'bench:search',
    what: 'finding people and posts (embedded, through the gateway): user search, tag pages and explore req/s, p50/p99 on 100,000 accounts and 1,000,000 posts; rebuild time and heap',
  },
  notifications: {
    dir: 'apps/embedded',
    script: 'bench:notifications',
    what: 'notifications (embedded, through the gateway): like-to-stream p50/p99 at 500 likes/s, 10,000 open streams (memory, latency), GET /notifications req/s, p99; then like-to-stream p50/p99 through the distributed system (--mode embedded|distributed for one)',
  },
  gateway: {
    dir: 'apps/embedded',
    what: 'embedded gateway: feed/post reads, likes, post creation req/s, p50/p99, overhead vs the service',
  },
};

const [name, ...args] = process.argv.slice(2);
const bench = benches[name];
if (!bench) {
  console.log('usage: pnpm bench <name> [--save-baseline]\n');
  for (const [key, value] of Object.entries(benches)) console.log(`  ${key.padEnd(12)} ${value.what}`);
  process.exit(name ? 1 : 0);
}
const result = spawnSync('pnpm', ['--dir', bench.dir, 'run', bench.script ?? 'bench', ...args], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
