import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { streamIds, toStoredEvent } from '@gram/events';
import { loadAggregate, newId } from '@gram/service-kit';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIdentityContext } from '../context.js';
import { IdentityHarness } from '../testing/identity-harness.js';
import { exportDecider } from './export.js';
import { diskExportStorage, type ExportStorage } from './export-storage.js';
import { ExportJobs } from './jobs.js';

const t0 = new Date('2030-01-01T00:00:00.000Z');
let now = t0;
const later = (ms: number) => new Date(t0.getTime() + ms);
const hour = 60 * 60 * 1000;

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start({ clock: () => now });
});
afterAll(() => identity.stop());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const requestExport = (token: string, headers: Record<string, string> = {}) =>
  identity.app.inject({
    method: 'POST',
    url: '/api/v1/users/me/exports',
    headers: { ...bearer(token), ...headers },
  });
const getExport = (token: string, exportId: string) =>
  identity.app.inject({ method: 'GET', url: `/api/v1/users/me/exports/${exportId}`, headers: bearer(token) });
/** A download as a browser makes it: the link alone, no token. */
const download = (url: string) => {
  const { pathname, search } = new URL(url);
  return identity.app.inject({ method: 'GET', url: `${pathname}${search}` });
};

interface ExportBody {
  id: string;
  status: string;
  createdAt: string;
  readyAt?: string;
  url?: string;
  expiresAt?: string;
}

/** Polls the export until its build has ended. */
async function settled(token: string, exportId: string): Promise<ExportBody> {
  return vi.waitFor(
    async () => {
      const body = (await getExport(token, exportId)).json<ExportBody>();
      if (body.status === 'pending') throw new Error('still pending');
      return body;
    },
    { timeout: 15_000, interval: 20 },
  );
}

async function readyExport() {
  const account = await identity.account();
  const requested = await requestExport(account.accessToken);
  expect(requested.statusCode).toBe(202);
  const exported = await settled(account.accessToken, requested.json<ExportBody>().id);
  expect(exported.status).toBe('ready');
  return { account, exported, url: exported.url ?? '' };
}

const expectNotFound = (res: LightMyRequestResponse) => {
  expect(res.statusCode).toBe(404);
  expect(res.json()).toMatchObject({ code: 'not-found' });
};

describe('POST /api/v1/users/me/exports', () => {
  it('answers 202 with the pending export and its Location, then the export becomes ready with a link', async () => {
    now = t0;
    const account = await identity.account();
    const res = await requestExport(account.accessToken);
    expect(res.statusCode).toBe(202);
    const pending = res.json<ExportBody>();
    expect(pending).toEqual({ id: expect.any(String), status: 'pending', createdAt: t0.toISOString() });
    expect(res.headers.location).toBe(`/api/v1/users/me/exports/${pending.id}`);
    const ready = await settled(account.accessToken, pending.id);
    expect(ready).toEqual({
      id: pending.id,
      status: 'ready',
      createdAt: t0.toISOString(),
      readyAt: t0.toISOString(),
      expiresAt: later(7 * 24 * hour).toISOString(),
      url: expect.stringMatching(
        new RegExp(
          `^http://gram\\.test/api/v1/users/${account.userId}/exports/${pending.id}/archive\\?key=[\\w-]{43}$`,
        ),
      ),
    });
  });

  it('answers 401 without a token', async () => {
    const res = await identity.app.inject({ method: 'POST', url: '/api/v1/users/me/exports' });
    expect(res.statusCode).toBe(401);
  });

  it('answers 429 with Retry-After to a second request within 24 hours, and 202 once they have passed', async () => {
    now = t0;
    const account = await identity.account();
    expect((await requestExport(account.accessToken)).statusCode).toBe(202);
    now = later(24 * hour - 90_000);
    const refused = await requestExport(account.accessToken);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'rate-limited' });
    expect(refused.headers['retry-after']).toBe('90');
    now = later(24 * hour);
    expect((await requestExport(account.accessToken)).statusCode).toBe(202);
    now = t0;
  });

  it('answers a repeat with the same Idempotency-Key as the first, creating nothing new', async () => {
    now = t0;
    const account = await identity.account();
    const first = await requestExport(account.accessToken, { 'idempotency-key': 'export-1' });
    const again = await requestExport(account.accessToken, { 'idempotency-key': 'export-1' });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    const requests = (await identity.store.readStream(streamIds.export(account.userId))).filter(
      (e) => e.type === 'ExportRequested',
    );
    expect(requests).toHaveLength(1);
  });
});

describe('GET /api/v1/users/me/exports/:exportId', () => {
  it("answers 404 for an unknown export and for another account's", async () => {
    now = t0;
    const { exported } = await readyExport();
    const other = await identity.account();
    expectNotFound(await getExport(other.accessToken, exported.id));
    expectNotFound(await getExport(other.accessToken, newId()));
  });

  it('claims again a pending export whose build was abandoned past its lease, and completes it', async () => {
    now = t0;
    const account = await identity.account();
    const exportId = newId();
    // What a process that died mid-build leaves: the request and its claim, no archive.
    await identity.store.appendToStream(
      streamIds.export(account.userId),
      [
        toStoredEvent({
          type: 'ExportRequested',
          data: { accountId: account.userId, exportId, requestedAt: t0.toISOString() },
        }),
        toStoredEvent({
          type: 'ExportStarted',
          data: { accountId: account.userId, exportId, startedAt: t0.toISOString() },
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    now = later(15 * 60 * 1000 - 1);
    expect((await getExport(account.accessToken, exportId)).json()).toMatchObject({ status: 'pending' });
    const types = async () =>
      (await identity.store.readStream(streamIds.export(account.userId))).map((e) => e.type);
    expect(await types()).toEqual(['ExportRequested', 'ExportStarted']);
    now = later(15 * 60 * 1000);
    const done = await settled(account.accessToken, exportId);
    expect(done.status).toBe('ready');
    expect(await types()).toEqual(['ExportRequested', 'ExportStarted', 'ExportStarted', 'ExportReady']);
    expect((await download(done.url ?? '')).statusCode).toBe(200);
    now = t0;
  });
});

describe('the download link', () => {
  it('downloads the ZIP without a token, as an attachment nobody caches', async () => {
    now = t0;
    const { exported, url } = await readyExport();
    const res = await download(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="gram-export-${exported.id}.zip"`);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
    expect(res.rawPayload.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
  });

  it('answers the same 404 to a wrong key, no key, an unknown export and an expired link', async () => {
    now = t0;
    const { account, exported, url } = await readyExport();
    const link = new URL(url);
    const wrongKey = new URL(url);
    wrongKey.searchParams.set('key', 'A'.repeat(43));
    expectNotFound(await download(wrongKey.href));
    const noKey = new URL(url);
    noKey.search = '';
    expectNotFound(await download(noKey.href));
    expectNotFound(await download(link.href.replace(exported.id, newId())));
    const otherAccount = await identity.account();
    expectNotFound(await download(link.href.replace(account.userId, otherAccount.userId)));
    now = later(7 * 24 * hour);
    expectNotFound(await download(url));
    expect((await getExport(account.accessToken, exported.id)).json()).not.toHaveProperty('url');
    now = t0;
  });

  it('answers 404 once the account is deleted, whose archives are gone from the disk', async () => {
    now = t0;
    const { account, exported, url } = await readyExport();
    const file = join(identity.dataDir, 'exports', account.userId, `${exported.id}.zip`);
    await access(file);
    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);
    expectNotFound(await download(url));
    await expect(access(file)).rejects.toThrow();
    await expect(readdir(join(identity.dataDir, 'exports'))).resolves.not.toContain(account.userId);
  });
});

describe('builds', () => {
  const abandonedAt = later(15 * 60 * 1000);

  /** A process of its own on identity's store and keys (another replica), with its own queue. */
  function otherProcess(storage: ExportStorage): ExportJobs {
    const context = createIdentityContext({
      store: identity.store,
      keys: identity.keys,
      dataKeys: identity.dataKeys,
    });
    return new ExportJobs({
      store: context.store,
      storage,
      sources: { followersOf: async function* () {}, mediaFile: async () => undefined },
      accounts: context.accounts,
      dataKeys: context.dataKeys,
      clock: () => abandonedAt,
      leaseMs: 15 * 60 * 1000,
      concurrency: 1,
    });
  }

  async function abandonedExport(accountId: string): Promise<string> {
    const exportId = newId();
    await identity.store.appendToStream(
      streamIds.export(accountId),
      [
        toStoredEvent({
          type: 'ExportRequested',
          data: { accountId, exportId, requestedAt: t0.toISOString() },
        }),
      ],
      { expectedRevision: 'no_stream' },
    );
    return exportId;
  }

  const stateOf = async (accountId: string) =>
    (await loadAggregate(identity.store, streamIds.export(accountId), exportDecider)).state;
  const typesOf = async (accountId: string) =>
    (await identity.store.readStream(streamIds.export(accountId))).map((e) => e.type);

  it('of two processes claiming the same abandoned export at once, builds it once', async () => {
    const account = await identity.account();
    const exportId = await abandonedExport(account.userId);
    const disk = diskExportStorage(join(identity.dataDir, 'exports'));
    const puts: string[] = [];
    const counting: ExportStorage = {
      ...disk,
      put: (accountId, id, source) => {
        puts.push(id);
        return disk.put(accountId, id, source);
      },
    };
    const processes = [otherProcess(counting), otherProcess(counting)];
    const state = await stateOf(account.userId);
    for (const jobs of processes) jobs.resumeAbandoned(account.userId, state, identity.app.log);
    await Promise.all(processes.map((jobs) => jobs.idle()));
    expect(puts).toEqual([exportId]);
    expect(await typesOf(account.userId)).toEqual(['ExportRequested', 'ExportStarted', 'ExportReady']);
  });

  it('of an account deleted while its archive was being written, leaves no file and no ready export', async () => {
    now = t0;
    const account = await identity.account();
    const exportId = await abandonedExport(account.userId);
    const disk = diskExportStorage(join(identity.dataDir, 'exports'));
    let deleted: () => void = () => {};
    const deletion = new Promise<void>((resolve) => {
      deleted = resolve;
    });
    // The archive reaches the disk only after the account's deletion answered (its erasers found nothing).
    const late: ExportStorage = {
      ...disk,
      put: async (accountId, id, source) => {
        await deletion;
        return disk.put(accountId, id, source);
      },
    };
    const jobs = otherProcess(late);
    jobs.resumeAbandoned(account.userId, await stateOf(account.userId), identity.app.log);
    expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);
    deleted();
    await jobs.idle();
    await expect(
      access(join(identity.dataDir, 'exports', account.userId, `${exportId}.zip`)),
    ).rejects.toThrow();
    expect(await typesOf(account.userId)).toEqual(['ExportRequested', 'ExportStarted']);
  });
});
