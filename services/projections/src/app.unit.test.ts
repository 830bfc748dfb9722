import { describe, expect, it } from 'vitest';
import { buildProjectionsApp } from './app.js';

describe('projections service', () => {
  it('answers /health', async () => {
    const res = await buildProjectionsApp().inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });
});
