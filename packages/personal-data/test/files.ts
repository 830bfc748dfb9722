import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The SQLite event store's files under `dir` as they are on disk, the WAL included (a missing one is empty). */
export function eventStoreBytes(dir: string): string {
  return ['events.sqlite', 'events.sqlite-wal']
    .map((file) => {
      try {
        return readFileSync(join(dir, file)).toString('latin1');
      } catch {
        return '';
      }
    })
    .join('');
}
