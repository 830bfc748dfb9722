import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { contentTypeOfKey, isValidMediaKey } from '../uploads/media-keys.js';
import type { MediaStorage, StoredFile } from './media-storage.js';

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
      await writeFile(partial, bytes).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true });
        await writeFile(partial, bytes);
      });
      await rename(partial, path);
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
