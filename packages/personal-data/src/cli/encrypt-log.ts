import { resolve } from 'node:path';
import { eventStoreLocation, openEventStoreFromEnv } from '@gram/event-store';
import { Presets, SingleBar } from 'cli-progress';
import { encryptLog } from '../encrypt-log.js';
import { personalDataKeysFromEnv } from '../from-env.js';

// pnpm --filter @gram/personal-data encrypt-log: copies the log the services use (DATA_DIR/events.sqlite, or
// EVENT_STORE_URL) into a new one, every personal field encrypted (see encrypt-log.ts), at TARGET_DATA_DIR
// (a new events.sqlite there) or TARGET_EVENT_STORE_URL (a KurrentDB). The data keys are identity's
// (personalDataKeysFromEnv under DATA_DIR, with the same PERSONAL_DATA_* variables identity is given), since
// identity reads the new log with them, and its reservation secret keys the reservation stream ids. Run it with the services stopped; run it again to continue after a stop.
// pnpm runs a package's script in the package's directory: relative paths are the operator's, from where the
// command was typed.
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
const dataDir = process.env.DATA_DIR || './data';
if (!process.env.TARGET_DATA_DIR && !process.env.TARGET_EVENT_STORE_URL) {
  console.error('encrypt-log: set TARGET_DATA_DIR or TARGET_EVENT_STORE_URL to where the encrypted log goes');
  process.exit(2);
}
const targetEnv = {
  DATA_DIR: process.env.TARGET_DATA_DIR,
  EVENT_STORE_URL: process.env.TARGET_EVENT_STORE_URL,
};
const [from, to] = [eventStoreLocation(process.env), eventStoreLocation(targetEnv)];
const sameLog =
  from.kind === 'sqlite'
    ? to.kind === 'sqlite' && resolve(from.path) === resolve(to.path)
    : to.kind === 'kurrentdb' && from.connectionString === to.connectionString;
if (sameLog) {
  console.error('encrypt-log: the target is the source log; the encrypted log goes to a new one');
  process.exit(2);
}

const source = openEventStoreFromEnv(process.env);
const target = openEventStoreFromEnv(targetEnv);
// Progress on stderr in source positions (the head when it starts), which are event counts in SQLite.
const bar = new SingleBar(
  {
    format: 'encrypt-log [{bar}] {percentage}% position {value}/{total}, {events} events in the target',
    stream: process.stderr,
    fps: 5,
    hideCursor: true,
  },
  Presets.legacy,
);
try {
  bar.start(await source.headPosition(), 0, { events: 0 });
  const result = await encryptLog({
    source,
    target,
    keys: personalDataKeysFromEnv(process.env, dataDir),
    onProgress: ({ position, events }) => {
      if (position > bar.getTotal()) bar.setTotal(position);
      bar.update(position, { events });
    },
  });
  bar.stop();
  console.info(
    `encrypt-log: ${result.copied} events copied (${result.resumedAfter} already in the target), ` +
      `${result.fieldsEncrypted} personal fields encrypted, ${result.accountsForgotten} accounts forgotten, ` +
      `${result.reservationsRekeyed} legacy reservation streams given keyed ids, ${result.reservationsDropped} dropped`,
  );
} catch (error) {
  bar.stop();
  console.error(`encrypt-log: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await source.close();
  await target.close();
}
// The data key store has no close (a Redis connection would keep the process alive): the work is done.
process.exit();
