import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createServiceApp, HttpProblem, type ServiceApp } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl } from '../../test/fake-services.js';
import { buildGatewayApp, type GatewayAppOptions } from '../app.js';

// A service behind the distributed gateway, each on its own loopback port: an app of service-kit, as every
// service is, with the rule of the distributed mode (it believes X-Forwarded-For only on calls carrying the
// internal credential), serving identity's login as a failed one. The client connects from 127.0.0.2
// (Linux routes all of 127.0.0.0/8 to loopback), the gateway from 127.0.0.1: what the service takes for the
// client's address (what identity counts failed logins by) tells which of the two it believed. Its request
// log says what it took.

const internalSecret = 'the-internal-secret-of-the-client-address-tests';
const clientAddress = '127.0.0.2';
let identity: ServiceApp;
let identityUrl: string;
/** the client address identity logged for each login it received, in order */
const loginsSeenFrom: string[] = [];

beforeAll(async () => {
  const log = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { req?: { url?: string; remoteAddress?: string } };
        if (entry.req?.url === '/api/v1/auth/login') loginsSeenFrom.push(entry.req.remoteAddress ?? '(none)');
      }
      done();
    },
  });
  identity = createServiceApp({ name: 'identity', internalSecret, logger: { level: 'info', stream: log } });
  identity.post('/api/v1/auth/login', async () => {
    throw new HttpProblem(401, 'wrong login or password');
  });
  await identity.listen({ port: 0, host: '127.0.0.1' });
  identityUrl = `http://127.0.0.1:${(identity.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await identity?.close();
});

async function gatewayInFront(options: Partial<GatewayAppOptions> = {}): Promise<ServiceApp> {
  const elsewhere = await closedPortUrl();
  const gateway = await buildGatewayApp({
    internalSecret,
    upstreams: {
      identity: identityUrl,
      content: elsewhere,
      'social-graph': elsewhere,
      media: elsewhere,
      projections: elsewhere,
      notifications: elsewhere,
    },
    ...options,
  });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  return gateway;
}

/** A failed login sent to the gateway from 127.0.0.2; the address identity logged for it. */
async function loginThrough(gateway: ServiceApp, headers: Record<string, string> = {}): Promise<string> {
  const seenBefore = loginsSeenFrom.length;
  const body = JSON.stringify({ login: 'nobody', password: 'wrong password' });
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: (gateway.server.address() as AddressInfo).port,
        localAddress: clientAddress,
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  expect(status).toBe(401);
  expect(loginsSeenFrom).toHaveLength(seenBefore + 1);
  return loginsSeenFrom.at(-1) as string;
}

describe('a service behind the distributed gateway', () => {
  it('sees the client’s address, not the gateway’s', async () => {
    const gateway = await gatewayInFront();
    try {
      expect(await loginThrough(gateway)).toBe(clientAddress);
    } finally {
      await gateway.close();
    }
  });

  it('sees the client’s address even when the client sends an X-Forwarded-For of its own', async () => {
    const gateway = await gatewayInFront();
    try {
      expect(await loginThrough(gateway, { 'x-forwarded-for': '203.0.113.9' })).toBe(clientAddress);
    } finally {
      await gateway.close();
    }
  });

  it('sees the address a proxy the gateway trusts (TRUST_PROXY) names', async () => {
    const gateway = await gatewayInFront({ trustProxy: [clientAddress] });
    try {
      expect(await loginThrough(gateway, { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
    } finally {
      await gateway.close();
    }
  });
});
