import { buildGatewayApp } from '@gram/gateway';
import { apiRoutes, openApiPath } from '@gram/gateway/api-routes';
import type { ServiceApp } from '@gram/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedGateway } from '../test/embedded-gateway.js';

const upstreams = {
  identity: 'http://identity.invalid',
  content: 'http://content.invalid',
  'social-graph': 'http://social-graph.invalid',
  media: 'http://media.invalid',
  projections: 'http://projections.invalid',
  notifications: 'http://notifications.invalid',
};

interface Operation {
  responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>;
}
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

/** The resources of API.md, each of which the document holds once, as a component. */
const resources = [
  'ProblemDetails',
  'UserSummary',
  'Profile',
  'Post',
  'Comment',
  'Reply',
  'Media',
  'UserSummaryPage',
  'PostPage',
  'CommentPage',
  'ReplyPage',
];

type Schema = { $ref?: string; required?: string[]; properties?: Record<string, Schema>; items?: Schema };

/**
 * What identifies a resource in a schema: its required fields, each with the component it holds when it
 * holds one (`author` → `UserSummary`, `items` → `[Post]`). Optional fields are left out, since a resource
 * gains them freely (`likedByMe` when the request is authenticated) and is still the same resource. An
 * object with no required field (a PATCH body) identifies nothing.
 */
function identity(schema: Schema): string | undefined {
  // `required: true` is a parameter's, not a schema's
  if (!Array.isArray(schema.required) || schema.required.length === 0) return undefined;
  if (schema.properties === undefined) return undefined;
  const required = [...schema.required].sort();
  const component = (s: Schema | undefined) => s?.$ref?.split('/').at(-1);
  return required
    .map((name) => {
      const field = schema.properties?.[name];
      const held = component(field) ?? (field?.items ? `[${component(field.items) ?? ''}]` : '');
      return held ? `${name}→${held}` : name;
    })
    .join(',');
}

/**
 * Every place of the document that describes a resource again: two components with the same identity, or a
 * schema written out in place (in a path, or inside a component) with the identity of a component, which
 * should have referred to it.
 */
function repeatedResources(doc: {
  paths: unknown;
  components: { schemas: Record<string, unknown> };
}): string[] {
  const components = new Map<string, string>();
  const repeats: string[] = [];
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const id = identity(schema as Schema);
    if (id === undefined) continue;
    const first = components.get(id);
    if (first !== undefined) repeats.push(`components ${first} and ${name}`);
    else components.set(id, name);
  }
  const visit = (node: unknown, where: string, isComponent: boolean): void => {
    if (typeof node !== 'object' || node === null) return;
    const id = isComponent ? undefined : identity(node as Schema);
    const same = id === undefined ? undefined : components.get(id);
    if (same !== undefined) repeats.push(`${where} repeats ${same}`);
    for (const [key, child] of Object.entries(node)) visit(child, `${where}/${key}`, false);
  };
  visit(doc.paths, '#/paths', false);
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    visit(schema, `#/components/schemas/${name}`, true);
  }
  return repeats;
}

describe('the rule that finds a resource described twice', () => {
  const summary = {
    type: 'object',
    required: ['id', 'name'],
    properties: { id: { type: 'string' }, name: { type: 'string' } },
  };
  const post = {
    type: 'object',
    required: ['id', 'author'],
    properties: { id: { type: 'string' }, author: { $ref: '#/components/schemas/Summary' } },
  };

  it('finds nothing in a document that refers to each component', () => {
    const doc = {
      components: { schemas: { Summary: summary, Post: post } },
      paths: { '/p': { get: { responses: { 200: { $ref: '#/components/schemas/Post' } } } } },
    };
    expect(repeatedResources(doc)).toEqual([]);
  });

  it('finds a second component of the same resource, and a copy written out in place', () => {
    const withOptional = { ...summary, properties: { ...summary.properties, bio: { type: 'string' } } };
    const doc = {
      components: { schemas: { Summary: summary, SummaryView: withOptional, Post: post } },
      paths: { '/p': { get: { responses: { 200: { ...post, properties: { ...post.properties } } } } } },
    };
    expect(repeatedResources(doc)).toEqual([
      'components Summary and SummaryView',
      '#/paths//p/get/responses/200 repeats Post',
    ]);
  });
});

const modes: [string, () => Promise<{ app: ServiceApp; close: () => Promise<void> }>][] = [
  ['embedded', () => embeddedGateway()],
  [
    'distributed',
    async () => {
      const app = await buildGatewayApp({ upstreams, internalSecret: 'x'.repeat(32) });
      return { app, close: () => app.close() };
    },
  ],
];

describe.each(modes)('the OpenAPI document of the %s gateway', (_mode, build) => {
  let gateway: { app: ServiceApp; close: () => Promise<void> };
  let doc: OpenApi;
  beforeAll(async () => {
    gateway = await build();
    doc = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(() => gateway.close());

  const operation = (method: string, url: string) => doc.paths[openApiPath(url)]?.[method.toLowerCase()];

  it('is OpenAPI 3.1 and documents every route of API.md', () => {
    expect(doc.openapi).toBe('3.1.0');
    const missing = apiRoutes.filter((r) => operation(r.method, r.url) === undefined);
    expect(missing).toEqual([]);
  });

  it('has one component per resource of API.md, and describes no resource a second time (see `identity`)', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(resources));
    expect(repeatedResources(doc)).toEqual([]);
  });

  it('documents 429 with Retry-After on the login and on every write, and on no read', () => {
    const limited = apiRoutes.filter(
      (r) => r.url === '/api/v1/auth/login' || (r.method !== 'GET' && !r.url.startsWith('/api/v1/auth/')),
    );
    for (const route of limited) {
      const tooMany = operation(route.method, route.url)?.responses['429'];
      expect(tooMany?.headers, `${route.method} ${route.url}`).toHaveProperty('retry-after');
      expect(tooMany?.content).toBeDefined();
    }
    for (const route of apiRoutes.filter((r) => r.method === 'GET')) {
      expect(
        operation(route.method, route.url)?.responses['429'],
        `${route.method} ${route.url}`,
      ).toBeUndefined();
    }
  });

  it('documents 401 on every route, since a bad token is refused wherever it is sent', () => {
    for (const route of apiRoutes) {
      expect(operation(route.method, route.url)?.responses, `${route.method} ${route.url}`).toHaveProperty(
        '401',
      );
    }
  });

  it('leads a request for / to Swagger UI, so that a newcomer’s first request finds the docs', async () => {
    const root = await gateway.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/docs');
    let res = root;
    for (let hops = 0; res.statusCode === 302 && hops < 3; hops += 1) {
      res = await gateway.app.inject({ method: 'GET', url: String(res.headers.location) });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await gateway.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
