import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  type ApiResponse,
  type Problem,
  type Profile,
  type RequestOptions,
} from '../api/client.js';
import { createPost, expectProblem, expectStatus, signUp, type User } from '../api/fixtures.js';
import type { SystemRef } from './system.js';

/** `{"a":{"a":...}}` and `[[...]]`, `depth` levels: what a recursive parser or serializer dies on. */
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/**
 * Requests no well-behaved client sends, found by probing both modes from outside; each once answered a 5xx
 * (or, for `limit=Infinity`, every item). Each must be a 4xx problem with its `code`, in every mode.
 */
export function oddInputSuite(system: SystemRef): void {
  describe('odd input: never a 5xx', () => {
    const api = () => new ApiClient(system().url);

    it('answers a JSON body over 1 MiB with 413 problem+json (code content-too-large), on the login and on any other route', async () => {
      const client = api();
      const user = await signUp(client);
      const huge = 'x'.repeat(1024 * 1024 + 1);
      const answers = [
        await client.post('/api/v1/auth/login', { json: { login: huge, password: huge } }),
        await client.post('/api/v1/posts', { token: user.accessToken, json: { photo: huge } }),
        await client.patch('/api/v1/users/me', { token: user.accessToken, json: { bio: huge } }),
      ];
      for (const res of answers) expectCode(res, 413, 'content-too-large');
    });

    it('answers a JSON body nested 5,000 deep with 400 problem+json (code validation), on the login and on any other route', async () => {
      const client = api();
      const user = await signUp(client);
      const post = await createPost(client, user);
      const routes: [method: string, path: string, token?: string][] = [
        ['POST', '/api/v1/auth/login'],
        ['POST', '/api/v1/auth/signup'],
        ['POST', '/api/v1/auth/refresh'],
        ['POST', '/api/v1/posts', user.accessToken],
        ['PATCH', `/api/v1/posts/${post.id}`, user.accessToken],
        ['POST', `/api/v1/posts/${post.id}/comments`, user.accessToken],
      ];
      for (const [method, path, token] of routes) {
        for (const body of [
          deepObject(5000),
          deepArray(5000),
          `{"login":${deepArray(5000)},"password":"x"}`,
        ]) {
          const res = await client.request(method, path, {
            ...(token ? { token } : {}),
            headers: { 'content-type': 'application/json' },
            body,
          });
          expectCode(res, 400, 'validation', `${method} ${path} ${body.slice(0, 12)}`);
        }
      }
    });

    it('answers a malformed Content-Type with 400 and an unsupported one with 415, problem+json, on the login and on any other route', async () => {
      const client = api();
      const user = await signUp(client);
      const requests: { path: string; headers: Record<string, string>; body: string; accepted: number }[] = [
        {
          path: '/api/v1/auth/login',
          headers: {},
          body: JSON.stringify({ login: user.userName, password: user.password }),
          accepted: 200,
        },
        {
          path: '/api/v1/posts',
          headers: { authorization: `Bearer ${user.accessToken}` },
          body: JSON.stringify({ photo: 'https://img.example.com/odd-input.jpg' }),
          accepted: 201,
        },
      ];
      for (const { path, headers, body, accepted } of requests) {
        const send = (type: string) =>
          raw(system().url, 'POST', path, { headers: { ...headers, 'content-type': type }, body });
        for (const type of [
          'application/json;;;=;charset',
          'application/json; charset',
          'application/json;=',
          '/',
        ]) {
          expectCode(await send(type), 400, 'validation', `${path} ${type}`);
        }
        for (const type of [
          'application/json; charset=utf-16',
          'text/xml',
          'application/x-www-form-urlencoded',
        ]) {
          expectCode(await send(type), 415, 'unsupported-media-type', `${path} ${type}`);
        }
        // A well-formed type, parameters, case and spaces as RFC 9110 allows them, is still JSON.
        expectStatus(await send('Application/JSON ; Charset="UTF-8"'), accepted);
      }
    });

    it('serves a request whose target is in absolute form (RFC 9112 §3.2.2) as the same request in origin form', async () => {
      const client = api();
      const user = await signUp(client);
      const origin = await client.get<Profile>(`/api/v1/users/${user.id}`);
      expectStatus(origin, 200);
      const absolute = await raw(system().url, 'GET', `http://gram.example/api/v1/users/${user.id}?x=1`);
      expectStatus(absolute, 200);
      expect(absolute.body).toEqual(origin.body);

      const edited = await raw(system().url, 'PATCH', 'http://gram.example/api/v1/users/me', {
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ bio: 'sent in absolute form' }),
      });
      expectStatus(edited, 200);
      expect(edited.body).toMatchObject({ id: user.id, bio: 'sent in absolute form' });
      const missing = await raw(system().url, 'GET', 'http://gram.example/api/v1/no-such-thing');
      expectCode(missing, 404, 'not-found');
    });

    it('refuses a limit that is not a finite number from 1 to 100 with 400 problem+json (code validation) on every list', async () => {
      const client = api();
      const user: User = await signUp(client);
      const post = await createPost(client, user);
      const lists = [
        `/api/v1/users/${user.id}/followers`,
        `/api/v1/users/${user.id}/following`,
        `/api/v1/users/${user.id}/posts`,
        `/api/v1/posts/${post.id}/likes`,
        `/api/v1/posts/${post.id}/comments`,
        '/api/v1/feed',
      ];
      for (const list of lists) {
        for (const limit of ['Infinity', '-Infinity', '1e400', '-1e400', 'NaN', '101', '0']) {
          const res = await client.get(`${list}?limit=${limit}`, { token: user.accessToken });
          expectCode(res, 400, 'validation', `${list}?limit=${limit}`);
          expectProblem(res, 400, 'limit');
        }
      }
    });

    it('answers 401 (code unauthorized), not 400, to a request without a token whatever else is wrong with it, on every service', async () => {
      const client = api();
      const noFile = new FormData();
      noFile.append('caption', 'no file part');
      const refused: [service: string, method: string, path: string, body?: RequestOptions][] = [
        ['identity', 'PATCH', '/api/v1/users/me', { json: { name: '', bio: 5, extra: true } }],
        ['identity', 'POST', '/api/v1/auth/logout', { json: { refreshToken: 5 } }],
        ['content', 'POST', '/api/v1/posts', { json: { photo: 'not a url', caption: 5 } }],
        ['content', 'PATCH', '/api/v1/posts/not-an-id', { json: { caption: '\u0000' } }],
        ['content', 'POST', '/api/v1/posts/not-an-id/comments', { json: {} }],
        ['social-graph', 'PUT', '/api/v1/users/not-an-id/follow'],
        ['media', 'POST', '/api/v1/media', { body: noFile }],
        ['projections', 'GET', '/api/v1/feed?limit=0'],
      ];
      for (const [service, method, path, options] of refused) {
        expectCode(
          await client.request(method, path, options),
          401,
          'unauthorized',
          `${service}: ${method} ${path}`,
        );
      }
    });
  });
}

function expectCode(res: ApiResponse<unknown>, status: number, code: string, what = ''): void {
  expect({ what, status: res.status, body: res.body }).toMatchObject({ status, body: { status, code } });
  expectProblem(res as ApiResponse<Problem>, status);
}

/**
 * One request with Node's own HTTP client, which sends the request target and headers exactly as given
 * (fetch would not send an absolute-form target at all).
 */
function raw(
  base: string,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<ApiResponse<unknown>> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method, path: target, headers: options.headers, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = res.headers['content-type'] ?? '';
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: type.includes('json') && text !== '' ? JSON.parse(text) : text,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${target}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
