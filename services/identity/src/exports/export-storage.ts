import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportLifetime } from './export.js';

/**
 * Where export archives are kept until they expire. Both modes as run here keep them on the disk of the one
 * identity process (`diskExportStorage`). A deployment with several identity replicas must give them one shared
 * place: a volume every replica mounts at the same path, or an implementation of this port on an S3 bucket
 * (as the media service's S3 storage does), since the replica that serves a download is rarely the one that
 * built the archive.
 */
export interface ExportStorage {
  /** Stores the archive read from `source`, replacing any earlier one; resolves with its size once durable. */
  put(accountId: string, exportId: string, source: Readable): Promise<{ bytes: number }>;
  get(accountId: string, exportId: string): Promise<{ body: Readable; bytes: number } | undefined>;
  /** Deletes one archive (a build that must leave nothing); nothing when there is none. */
  delete(accountId: string, exportId: string): Promise<void>;
  /** Deletes every archive of the account (its deletion). Idempotent. */
  deleteAccount(accountId: string): Promise<void>;
  /** Deletes the archives written `exportLifetime` or longer before `now`, and leftovers of interrupted writes. */
  deleteExpired(now: Date): Promise<void>;
  /** for logs: where the archives are */
  readonly description: string;
}

const ids = /^[0-9a-fA-F-]{36}$/;

/**
 * Archives as files under `root`: `<accountId>/<exportId>.zip`. Written to a temporary file, flushed to disk
 * and then renamed, so a reader never finds half an archive under its final name, and a crash leaves only a
 * temporary file, which the expiry sweep removes.
 */
export function diskExportStorage(root: string): ExportStorage {
  // Ids come from our own routes' validated params; checked again here since they become paths.
  const dirOf = (accountId: string) => {
    if (!ids.test(accountId)) throw new Error(`not an account id: ${accountId}`);
    return join(root, accountId);
  };
  const fileOf = (accountId: string, exportId: string) => {
    if (!ids.test(exportId)) throw new Error(`not an export id: ${exportId}`);
    return join(dirOf(accountId), `${exportId}.zip`);
  };
  return {
    description: `disk: ${root}`,

    async put(accountId, exportId, source) {
      const file = fileOf(accountId, exportId);
      const temporary = `${file}.${process.pid}.${Date.now()}.partial`;
      await mkdir(dirOf(accountId), { recursive: true });
      try {
        await pipeline(source, createWriteStream(temporary, { flags: 'wx' }));
        const handle = await open(temporary, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return { bytes: (await stat(file)).size };
    },

    async get(accountId, exportId) {
      const file = fileOf(accountId, exportId);
      try {
        // Opened before its size is read: a file deleted in between is then still read whole.
        const handle = await open(file, 'r');
        const { size } = await handle.stat();
        return { body: createReadStream('', { fd: handle }), bytes: size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    delete: (accountId, exportId) => rm(fileOf(accountId, exportId), { force: true }),

    deleteAccount: (accountId) => rm(dirOf(accountId), { recursive: true, force: true }),

    async deleteExpired(now) {
      const before = now.getTime() - exportLifetime;
      let accounts: string[];
      try {
        accounts = await readdir(root);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const account of accounts) {
        const dir = join(root, account);
        const files = await readdir(dir).catch(() => []);
        for (const name of files) {
          const file = join(dir, name);
          const info = await stat(file).catch(() => undefined);
          if (info !== undefined && info.mtimeMs <= before) await rm(file, { force: true });
        }
      }
    },
  };
}
