import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { contentTypeOfKey, isValidMediaKey } from '../uploads/media-keys.js';
import type { MediaStorage, StoredFile } from './media-storage.js';

/** Writes `bytes` to a new file at `path` and waits until they are on the disk, not just in the page cache. */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(bytes);
    await file.datasync();
  } finally {
    await file.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Files under one directory, one file per key (embedded mode: `<DATA_DIR>/media`). */
export function diskMediaStorage(root: string): MediaStorage {
  const base = resolve(root);
  const pathOf = (key: string): string => {
    // Keys come from our own events, but the serving route takes them from a URL: never leave the root.
    const path = resolve(join(base, key));
    if (!isValidMediaKey(key) || !path.startsWith(base + sep)) throw new Error(`invalid media key ${key}`);
    return path;
  };
  return {
    description: `disk ${base}`,
    async put(key, bytes) {
      const path = pathOf(key);
      // Written aside and renamed: a reader never sees half a file under a key.
      const partial = `${path}.partial`;
      // The directory is made only when missing, not tried before every file (a recursive mkdir is a
      // system call per path level, paid three times per upload).
      await writeDurably(partial, bytes).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true });
        await writeDurably(partial, bytes);
      });
      await rename(partial, path);
      // The rename itself reaches the disk with its directory. Only then may the upload's event be appended
      // (the event store syncs every append): after a crash, an event never names a file that was lost.
      await syncDirectory(dirname(path));
    },
    async get(key): Promise<StoredFile | undefined> {
      if (!isValidMediaKey(key)) return undefined;
      const path = pathOf(key);
      const stats = await stat(path).catch(() => undefined);
      if (!stats?.isFile()) return undefined;
      return { body: createReadStream(path), contentType: contentTypeOfKey(key), contentLength: stats.size };
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
