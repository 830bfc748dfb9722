import { describe, expect, it } from 'vitest';
import { buildGatewayApp } from './app.js';

describe('gateway', () => {
  it('answers /health', async () => {
    const res = await buildGatewayApp().inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });
});
