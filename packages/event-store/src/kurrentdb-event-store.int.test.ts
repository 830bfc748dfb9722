import { describe } from 'vitest';
import { describeEventStoreContract } from './event-store.contract.js';
import { openKurrentDbEventStore } from './kurrentdb-event-store.js';

// No EventStoreDB / KurrentDB package is reachable from the project's machines (see DESIGN.md), so this suite
// runs only against a server the caller provides, e.g. `docker compose up` and
// ESDB_URL=kurrentdb://localhost:2113?tls=false. The project accepts the skip; the same contract runs on SQLite.
const connectionString = process.env.ESDB_URL;

if (connectionString) {
  console.info(`event store tests use KurrentDB at ${connectionString}`);
  describeEventStoreContract('KurrentDB', () => openKurrentDbEventStore({ connectionString }));
} else {
  console.info(
    'KurrentDB event store contract skipped: ESDB_URL is not set (no EventStoreDB/KurrentDB server here)',
  );
  describe.skip('KurrentDB fulfils the EventStore contract (set ESDB_URL to run)', () => {
    describeEventStoreContract('KurrentDB', () => {
      throw new Error('unreachable: skipped');
    });
  });
}
