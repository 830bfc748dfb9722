import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent } from '../test/content-harness.js';

let h: ContentHarness;
beforeAll(async () => {
  h = await startContent();
});
afterAll(() => h.close());

describe('content app', () => {
  it('serves its OpenAPI document with every write route of the service', async () => {
    const res = await h.call('GET', '/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((verb) => `${verb.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /api/v1/posts',
        'PATCH /api/v1/posts/{postId}',
        'DELETE /api/v1/posts/{postId}',
        'PUT /api/v1/posts/{postId}/like',
        'DELETE /api/v1/posts/{postId}/like',
        'POST /api/v1/posts/{postId}/comments',
        'DELETE /api/v1/comments/{commentId}',
        'POST /api/v1/comments/{commentId}/replies',
        'DELETE /api/v1/replies/{replyId}',
      ].sort(),
    );
  });

  it('answers /health', async () => {
    expect((await h.call('GET', '/health')).json()).toEqual({ status: 'ok' });
  });
});
