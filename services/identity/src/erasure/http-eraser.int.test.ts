import { streamIds } from '@gram/events';
import { createServiceApp, internalCredentialHeaders, type ServiceApp } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness } from '../testing/identity-harness.js';
import { httpAccountEraser } from './http-eraser.js';

const secret = 'the-internal-secret-of-the-http-eraser-tests';
const accountId = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('an eraser that asks another service over HTTP', () => {
  let service: ServiceApp;
  let url: string;
  const asked: string[] = [];
  /** what the service answers the next erasure */
  let answer = 204;
  beforeAll(async () => {
    service = createServiceApp({ name: 'media', internalSecret: secret });
    service.delete('/internal/v1/users/:userId/media', async (request, reply) => {
      asked.push(request.url);
      return reply.code(answer).send(answer === 204 ? null : { status: answer });
    });
    url = await service.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => service?.close());

  const eraser = (base = url, headers = internalCredentialHeaders(secret)) =>
    httpAccountEraser('media files', (id) => new URL(`/internal/v1/users/${id}/media`, base), headers);

  it("resolves once the service answered 204 to the DELETE of the account's URL, sent with the internal credential", async () => {
    answer = 204;
    await eraser().erase(accountId);
    expect(asked.at(-1)).toBe(`/internal/v1/users/${accountId}/media`);
  });

  it.each([
    ['the service answers 503', 503],
    ['the service refuses the credential (401)', 401],
    ['the service fails (500)', 500],
  ])('throws an outage (statusCode 503, answered 503 to retry) when %s', async (_, status) => {
    answer = status;
    const headers = status === 401 ? internalCredentialHeaders('not-the-secret-of-these-tests') : undefined;
    await expect(eraser(url, headers).erase(accountId)).rejects.toMatchObject({ statusCode: 503 });
  });

  it('throws an outage (statusCode 503) when the service cannot be reached', async () => {
    const closed = createServiceApp({ name: 'gone' });
    const address = await closed.listen({ port: 0, host: '127.0.0.1' });
    await closed.close();
    await expect(eraser(address).erase(accountId)).rejects.toMatchObject({ statusCode: 503 });
  });

  it('makes DELETE /users/me answer 503 with Retry-After while the service cannot erase, the account whole until a retry deletes it', async () => {
    const identity = await IdentityHarness.start({ erasers: [eraser()] });
    try {
      const account = await identity.account();
      const stream = streamIds.user(account.userId);
      const before = await identity.store.readStream(stream);
      answer = 503;
      const refused = await identity.deleteMe(account.accessToken);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json()).toMatchObject({ status: 503, code: 'service-unavailable' });
      expect(await identity.store.readStream(stream)).toEqual(before);
      expect((await identity.login(account.body.userName, account.body.password)).statusCode).toBe(200);

      answer = 204;
      expect((await identity.deleteMe(account.accessToken)).statusCode).toBe(204);
      expect(asked.at(-1)).toBe(`/internal/v1/users/${account.userId}/media`);
    } finally {
      await identity.stop();
    }
  });
});
