import { describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client.js';
import { eventually, expectStatus, signUp } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

interface Export {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  createdAt: string;
  readyAt?: string;
  url?: string;
  expiresAt?: string;
}

/** The names of a ZIP's entries, from its central directory (located by the end record, at most 64 KiB from the end). */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error('no end of central directory record: not a ZIP');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('a broken central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

export function exportsSuite(system: SystemRef): void {
  describe('your data: export', () => {
    const api = () => new ApiClient(system().url);

    it('builds an archive downloadable through the gateway without a token, and forgets it with the account', async () => {
      const client = api();
      const user = await signUp(client, 'exporter');
      const requested = await client.post<Export>('/api/v1/users/me/exports', { token: user.accessToken });
      expectStatus(requested, 202);
      expect(requested.body.status).toBe('pending');
      const location = requested.headers.get('location') ?? '';
      expect(location).toBe(`/api/v1/users/me/exports/${requested.body.id}`);

      const ready = await eventually(async () => {
        const polled = await client.get<Export>(location, { token: user.accessToken });
        expectStatus(polled, 200);
        expect(polled.body.status).toBe('ready');
        return polled.body;
      }, 30_000);
      const url = ready.url ?? '';
      // The link leads through the gateway, the system's one door.
      expect(new URL(url).origin).toBe(new URL(system().url).origin);

      const downloaded = await fetch(url);
      expect(downloaded.status).toBe(200);
      expect(downloaded.headers.get('content-type')).toBe('application/zip');
      const zip = Buffer.from(await downloaded.arrayBuffer());
      expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
      expect(zipEntries(zip)).toContain('account.json');

      expectStatus(await client.delete('/api/v1/users/me', { token: user.accessToken }), 204);
      const gone = await fetch(url);
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ code: 'not-found' });
    });

    it('answers 429 with Retry-After to a second request within 24 hours', async () => {
      const client = api();
      const user = await signUp(client, 'exporter');
      expectStatus(await client.post('/api/v1/users/me/exports', { token: user.accessToken }), 202);
      const again = await client.post('/api/v1/users/me/exports', { token: user.accessToken });
      expectStatus(again, 429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
}
