import { encodeConsistencyToken } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { messagesOf } from '../test/deliveries.js';
import { HistoryBuilder } from '../test/history.js';
import { buildProjectionsApp, fixedReadModels } from './app.js';
import { Projector } from './projection/projector.js';
import { counters } from './read-models/registry.js';
import { AppliedPositions } from './runtime/applied-positions.js';
import { ProjectionMetrics } from './runtime/metrics.js';
import { createMemoryReadModelStore } from './store/memory.js';

const tokens = await createTestTokenIssuer();

/** The query API over a memory read model whose projection is driven by hand, message by message. */
function scenario() {
  const h = new HistoryBuilder();
  const store = createMemoryReadModelStore({ counters });
  const projector = new Projector(store);
  const applied = new AppliedPositions();
  const registry = new Registry();
  const metrics = new ProjectionMetrics(registry);
  const app = buildProjectionsApp({
    readModels: fixedReadModels(store),
    verifier: tokens.verifier,
    applied,
    registry,
    consistencyTimeoutMs: 300,
  });
  let projected = 0;
  /** projects the events not projected yet, as the worker does: apply, then record the position */
  const project = async () => {
    for (const message of messagesOf(h.events.slice(projected))) {
      await projector.handle(message);
      applied.applied(message.position);
      metrics.applied(message);
    }
    projected = h.events.length;
  };
  return { h, app, project };
}

describe('read-your-writes on the query API', () => {
  it('holds a read sending a consistency token until the read model has applied that write', async () => {
    const s = scenario();
    const ann = s.h.register('ann');
    await s.project();
    const post = s.h.post(ann);
    const position = messagesOf(s.h.events).at(-1)?.position as number;
    const read = s.app.inject({
      method: 'GET',
      url: `/api/v1/posts/${post}`,
      headers: { 'x-consistency-token': encodeConsistencyToken(position) },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s.project();
    const res = await read;
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-read-consistency']).toBe('applied');
    expect(res.json().id).toBe(post);
  });

  it('answers what the read model has once the wait runs out, and says so', async () => {
    const s = scenario();
    const ann = s.h.register('ann');
    await s.project();
    const started = Date.now();
    const res = await s.app.inject({
      method: 'GET',
      url: `/api/v1/users/${ann}`,
      headers: { 'x-consistency-token': encodeConsistencyToken(10_000) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-read-consistency']).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('refuses a malformed consistency token with a 400 problem naming the header', async () => {
    const s = scenario();
    const ann = s.h.register('ann');
    await s.project();
    const res = await s.app.inject({
      method: 'GET',
      url: `/api/v1/users/${ann}`,
      headers: { 'x-consistency-token': 'not-a-token' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([
      { field: 'x-consistency-token', message: 'must be the x-consistency-token of a write' },
    ]);
  });

  it('serves the projection lag and applied position in Prometheus text at /metrics', async () => {
    const s = scenario();
    s.h.register('ann');
    await s.project();
    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('gram_projection_lag_seconds_count 1');
    expect(res.body).toMatch(/gram_projection_applied_position \d+/);
  });
});
