import { internalCredentialHeaders } from '@gram/service-kit';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeIdentity, internalSecret } from '../../test/fake-services.js';
import { identityIntrospection } from './token-check.js';

let identity: Awaited<ReturnType<typeof fakeIdentity>>;
const dispatcher = new Agent();
beforeAll(async () => {
  identity = await fakeIdentity();
});
afterAll(async () => {
  await identity.app.close();
  await dispatcher.close();
});

describe("the gateway's introspection of access tokens", () => {
  it('sends the tokens asked about in the same turn of the event loop together, at most 256 a call', async () => {
    const introspect = identityIntrospection(
      identity.url,
      dispatcher,
      internalCredentialHeaders(internalSecret),
    );
    const tokens = Array.from({ length: 257 }, (_, i) => `token-${i}`);
    identity.revoked.add('token-3');
    const before = identity.introspections.length;

    const answers = await Promise.all(tokens.map(introspect));

    expect(answers).toEqual(tokens.map((token) => token !== 'token-3'));
    expect(identity.introspections.slice(before)).toEqual([tokens.slice(0, 256), tokens.slice(256)]);
  });

  it('sends together the tokens asked about by callbacks of the same phase of the event loop, as requests arriving on several connections are', async () => {
    const introspect = identityIntrospection(
      identity.url,
      dispatcher,
      internalCredentialHeaders(internalSecret),
    );
    const before = identity.introspections.length;

    // Two immediates queued together run in one check phase, each a job of its own (the microtasks run between
    // them), as two sockets read in one poll phase. Not two timers: two `setTimeout(0)` made a millisecond apart
    // on a loaded machine fall in different turns of the loop, and the test failed in CI for it.
    const answers = await Promise.all(
      ['early', 'late'].map(
        (token) => new Promise<boolean>((resolve) => setImmediate(() => resolve(introspect(token)))),
      ),
    );

    expect(answers).toEqual([true, true]);
    expect(identity.introspections.slice(before)).toEqual([['early', 'late']]);
  });
});
