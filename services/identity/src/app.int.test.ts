import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityHarness } from './testing/identity-harness.js';

let identity: IdentityHarness;
beforeAll(async () => {
  identity = await IdentityHarness.start();
});
afterAll(() => identity.stop());

describe('identity app', () => {
  it('serves its OpenAPI document with every route of identity', async () => {
    const res = await identity.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/.well-known/jwks.json',
      '/api/v1/auth/login',
      '/api/v1/auth/logout',
      '/api/v1/auth/refresh',
      '/api/v1/auth/signup',
      '/api/v1/users/me',
      '/api/v1/users/me/exports',
      '/api/v1/users/me/exports/{exportId}',
      '/api/v1/users/{userId}/exports/{exportId}/archive',
    ]);
    expect(Object.keys(doc.paths['/api/v1/users/me']).sort()).toEqual(['delete', 'patch']);
  });

  it('answers /health', async () => {
    expect((await identity.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  });
});
