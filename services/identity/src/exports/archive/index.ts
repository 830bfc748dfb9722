import type { Readable, Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';

// Temporary: the archive's real builder replaces this file, with the same declarations.

export interface ArchiveSources {
  store: EventStore; // identity's store: personal fields decrypted
  followersOf(
    accountId: string,
  ): AsyncIterable<{ id: string; userName: string; name: string; profilePic: string }>;
  mediaFile(key: string): Promise<import('node:stream').Readable | undefined>;
}

export async function writeExportArchive(
  accountId: string,
  sources: ArchiveSources,
  output: Writable,
  options?: { signal?: AbortSignal },
): Promise<{ bytes: number }> {
  options?.signal?.throwIfAborted();
  const events = await sources.store.readStream(streamIds.user(accountId));
  const account = Buffer.from(JSON.stringify({ id: accountId, events: events.length }));
  const zip = storedZip('account.json', account);
  await new Promise<void>((resolve, reject) => {
    output.once('error', reject);
    output.end(zip, resolve);
  });
  return { bytes: zip.length };
}

export function httpFollowersOf(
  _queryBaseUrl: URL,
  _headers: Record<string, string>,
): ArchiveSources['followersOf'] {
  return async function* () {};
}

export function httpMediaFile(
  _mediaBaseUrl: URL,
  _headers: Record<string, string>,
): ArchiveSources['mediaFile'] {
  return async (): Promise<Readable | undefined> => undefined;
}

/** A ZIP of one stored (uncompressed) entry. */
function storedZip(name: string, content: Buffer): Buffer {
  const fileName = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, content, central, fileName, end]);
}
