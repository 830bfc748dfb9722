import { join } from 'node:path';
import type { EventStore } from './event-store.js';
import { openKurrentDbEventStore } from './kurrentdb-event-store.js';
import { openSqliteEventStore } from './sqlite-event-store.js';

export * from './event-store.js';
export {
  KurrentDbEventStore,
  type KurrentDbEventStoreOptions,
  openKurrentDbEventStore,
} from './kurrentdb-event-store.js';
export {
  DuplicateEventIdError,
  openSqliteEventStore,
  SqliteEventStore,
  type SqliteEventStoreOptions,
} from './sqlite-event-store.js';

const KURRENTDB_URL = /^(esdb|kurrentdb|kurrent|kdb)(\+discover)?:\/\//;

/** Which event store the environment asks for, without opening it: services log this at start. */
export function eventStoreLocation(
  env: Record<string, string | undefined>,
): { kind: 'kurrentdb'; connectionString: string } | { kind: 'sqlite'; path: string } {
  const url = env.EVENT_STORE_URL || env.ESDB_URL;
  if (url) {
    if (KURRENTDB_URL.test(url)) return { kind: 'kurrentdb', connectionString: url };
    // A typo must not quietly turn a distributed deployment into a private SQLite file per process.
    throw new Error(
      `EVENT_STORE_URL/ESDB_URL: unsupported scheme in ${JSON.stringify(url)} (expected esdb:// or kurrentdb://)`,
    );
  }
  return { kind: 'sqlite', path: join(env.DATA_DIR || './data', 'events.sqlite') };
}

/**
 * `EVENT_STORE_URL` (or `ESDB_URL`) with an `esdb://` / `kurrentdb://` scheme selects EventStoreDB / KurrentDB;
 * without either, the embedded SQLite store at `${DATA_DIR ?? './data'}/events.sqlite`.
 */
export function openEventStoreFromEnv(env: Record<string, string | undefined> = process.env): EventStore {
  const location = eventStoreLocation(env);
  return location.kind === 'kurrentdb'
    ? openKurrentDbEventStore({ connectionString: location.connectionString })
    : openSqliteEventStore({ path: location.path });
}
