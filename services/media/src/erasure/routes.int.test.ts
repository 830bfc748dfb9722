import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamIds } from '@gram/events';
import { internalCredentialHeaders } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicUrl, registerUser, startService } from '../../test/fixtures.js';
import { multipartBody, plainJpeg } from '../../test/images.js';
import { diskMediaStorage } from '../storage/disk-storage.js';
import type { MediaStorage } from '../storage/media-storage.js';

const internalSecret = 'the-internal-secret-of-the-media-erasure-tests';
const internal = internalCredentialHeaders(internalSecret);
const erasureUrl = (userId: string) => `/internal/v1/users/${userId}/media`;

/** A disk storage whose deletions fail while `failing` is set, as an unreachable object store's would. */
function failingDeletes(storage: MediaStorage) {
  const control = { failing: false };
  const wrapped: MediaStorage = {
    ...storage,
    put: (key, bytes, type) => storage.put(key, bytes, type),
    get: (key) => storage.get(key),
    delete: async (key) => {
      if (control.failing) throw new Error('connect ECONNREFUSED 10.0.0.9:9000');
      await storage.delete(key);
    },
  };
  return { storage: wrapped, control };
}

let service: Awaited<ReturnType<typeof startService>>;
let deletes: ReturnType<typeof failingDeletes>['control'];
beforeAll(async () => {
  const failing = failingDeletes(diskMediaStorage(await mkdtemp(join(tmpdir(), 'media-erasure-route-'))));
  deletes = failing.control;
  service = await startService({ storage: failing.storage, internalSecret });
});
afterAll(async () => {
  await service?.close();
});

async function uploadAs(userId: string): Promise<{ id: string; url: string }> {
  const body = multipartBody([
    { name: 'file', filename: 'p.jpg', contentType: 'image/jpeg', data: await plainJpeg(300, 200) },
  ]);
  const res = await service.app.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload: body.payload,
    headers: { ...internal, authorization: `Bearer ${await service.issuer.mint(userId)}`, ...body.headers },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

const fileStatus = async (url: string) =>
  (await service.app.inject({ method: 'GET', url: url.slice(publicUrl.length), headers: internal }))
    .statusCode;

describe('DELETE /internal/v1/users/:userId/media', () => {
  it('answers 401 without the internal credential, and erases nothing', async () => {
    const userId = await registerUser(service.store);
    const media = await uploadAs(userId);
    for (const headers of [{}, internalCredentialHeaders('not-the-internal-secret-of-these-tests')]) {
      const res = await service.app.inject({ method: 'DELETE', url: erasureUrl(userId), headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await fileStatus(media.url)).toBe(200);
  });

  it("answers 204 with the internal credential once the account's files are gone, and 204 again on a retry", async () => {
    const userId = await registerUser(service.store);
    const media = await uploadAs(userId);
    const res = await service.app.inject({ method: 'DELETE', url: erasureUrl(userId), headers: internal });
    expect(res.statusCode).toBe(204);
    expect(await fileStatus(media.url)).toBe(404);
    expect((await service.store.readStream(streamIds.media(media.id))).map((e) => e.type)).toEqual([
      'MediaUploaded',
      'MediaErased',
    ]);
    const again = await service.app.inject({ method: 'DELETE', url: erasureUrl(userId), headers: internal });
    expect(again.statusCode).toBe(204);
  });

  it('answers 503 with Retry-After when the storage fails, records no erasure, and erases on the retry', async () => {
    const userId = await registerUser(service.store);
    const media = await uploadAs(userId);
    deletes.failing = true;
    const res = await service.app.inject({ method: 'DELETE', url: erasureUrl(userId), headers: internal });
    deletes.failing = false;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ status: 503, code: 'service-unavailable' });
    expect(JSON.stringify(res.json())).not.toContain('10.0.0.9');
    expect((await service.store.readStream(streamIds.media(media.id))).map((e) => e.type)).toEqual([
      'MediaUploaded',
    ]);

    const retry = await service.app.inject({ method: 'DELETE', url: erasureUrl(userId), headers: internal });
    expect(retry.statusCode).toBe(204);
    expect(await fileStatus(media.url)).toBe(404);
  });

  it('answers 400 to an account id that is not one', async () => {
    const res = await service.app.inject({ method: 'DELETE', url: erasureUrl('nope'), headers: internal });
    expect(res.statusCode).toBe(400);
  });

  it('is not in the OpenAPI document', async () => {
    const document = await service.app.inject({ method: 'GET', url: '/openapi.json', headers: internal });
    expect(Object.keys(document.json().paths).filter((path) => path.startsWith('/internal'))).toEqual([]);
  });
});
