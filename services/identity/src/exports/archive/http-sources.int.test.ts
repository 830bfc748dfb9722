import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFollowersOf, httpMediaFile } from './index.js';

const credential = { 'x-internal-service-secret': 'a secret the services share' };
const accountId = randomUUID();
/** 250 followers: two full pages of 100 and one of 50 */
const everyFollower = Array.from({ length: 250 }, (_, i) => ({
  id: randomUUID(),
  userName: `follower_${i}`,
  name: `Follower ${i}`,
  profilePic: `https://img.example/${i}.png`,
  followedByMe: false,
}));
const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3]);
const photoKey = `${randomUUID()}/original-${'b'.repeat(32)}.jpg`;

/** What the services were asked: the query of each followers page and the credential of every request. */
const asked: { query: Record<string, string>; credential: unknown }[] = [];
let server: FastifyInstance;
let baseUrl: URL;

// The routes as the projections and media services answer them (services/projections/src/routes.ts,
// services/media/src/files/routes.ts): a page `{ items, nextCursor }`, the bytes or a 404.
beforeAll(async () => {
  server = Fastify();
  server.get<{ Params: { userId: string }; Querystring: Record<string, string> }>(
    '/api/v1/users/:userId/followers',
    async (request, reply) => {
      asked.push({ query: request.query, credential: request.headers['x-internal-service-secret'] });
      if (request.params.userId !== accountId) return reply.code(404).send({ code: 'not-found' });
      const start = Number(request.query.cursor ?? 0);
      const end = start + Number(request.query.limit);
      return {
        items: everyFollower.slice(start, end),
        nextCursor: end < everyFollower.length ? String(end) : null,
      };
    },
  );
  server.get<{ Params: { '*': string } }>('/api/v1/media/files/*', async (request, reply) => {
    asked.push({ query: {}, credential: request.headers['x-internal-service-secret'] });
    if (request.params['*'] === photoKey) return reply.type('image/jpeg').send(photo);
    if (request.params['*'].startsWith('broken/')) return reply.code(503).send({ code: 'unavailable' });
    return reply.code(404).send({ code: 'not-found' });
  });
  baseUrl = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(() => server.close());

describe('followers over the query API', () => {
  it('pages through every follower, 100 at a time, with the internal credential', async () => {
    asked.length = 0;
    const followers = [];
    for await (const follower of httpFollowersOf(baseUrl, credential)(accountId)) followers.push(follower);

    expect(followers).toEqual(everyFollower);
    expect(asked.map((a) => a.query)).toEqual([
      { limit: '100' },
      { limit: '100', cursor: '100' },
      { limit: '100', cursor: '200' },
    ]);
    expect(asked.every((a) => a.credential === credential['x-internal-service-secret'])).toBe(true);
  });

  it('fails, rather than export an empty list, when the query API does not answer a page', async () => {
    const reading = async () => {
      for await (const _ of httpFollowersOf(baseUrl, credential)(randomUUID())) {
        // reading is what fails
      }
    };
    await expect(reading()).rejects.toThrow(/answered 404/);
  });
});

describe('media files over the media service', () => {
  it('streams the bytes behind a key, with the internal credential', async () => {
    asked.length = 0;
    const file = await httpMediaFile(baseUrl, credential)(photoKey);
    expect(file).toBeDefined();
    expect(await buffer(file as NonNullable<typeof file>)).toEqual(photo);
    expect(asked).toEqual([{ query: {}, credential: credential['x-internal-service-secret'] }]);
  });

  it('answers undefined for a file that is gone (404), and fails on any other answer', async () => {
    const mediaFile = httpMediaFile(baseUrl, credential);
    expect(await mediaFile(`${randomUUID()}/original-${'c'.repeat(32)}.jpg`)).toBeUndefined();
    await expect(mediaFile('broken/original.jpg')).rejects.toThrow(/answered 503/);
  });
});
