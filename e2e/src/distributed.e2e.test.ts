import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { injectServer } from '@gram/test-servers/inject';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse, type SseClient } from '../../services/notifications/test/sse-client.js';
import {
  ApiClient,
  type Comment,
  type Page,
  type Post,
  type Profile,
  type UserSummary,
} from './api/client.js';
import {
  accountWithSentinels,
  createPost,
  downloadedExport,
  eventually,
  expectStatus,
  ids,
  mediaKeysOf,
  photoUrl,
  signUp,
  type User,
} from './api/fixtures.js';
import {
  type DistributedSystem,
  databaseText,
  directoryText,
  filesText,
  pipelineFlowing,
  redisText,
  repoRoot,
  startDistributed,
  topicText,
  zipEntries,
} from './harness/index.js';
import { createRunDir, finishRunDir } from './run-dir.js';
import { accessLimitsEnv, apiSuite, writesPerUserPerMinute } from './suite/index.js';

// injectServer throws in CI when a server is missing: there the suite fails rather than skips.
const kafkaBrokers = injectServer('kafkaBrokers');
const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');
const s3Url = injectServer('s3Url');
const s3Credentials = injectServer('s3Credentials');
const esdbUrl = process.env.ESDB_URL;

describe.skipIf(kafkaBrokers === undefined || mongoUrl === undefined || redisUrl === undefined)(
  `distributed mode: a process per service, ${esdbUrl ? 'KurrentDB' : 'one SQLite event store'}, Kafka, MongoDB protocol, Redis${s3Url ? ', S3' : ''}`,
  () => {
    const runDir = createRunDir('distributed');
    let system: DistributedSystem;

    beforeAll(async () => {
      system = await startDistributed({
        runDir,
        gatewayEnv: { WRITES_PER_USER_PER_MINUTE: String(writesPerUserPerMinute) },
        identityEnv: accessLimitsEnv,
        // The gateway reaches the first; the stream test below reaches the second directly.
        notificationsInstances: 2,
        servers: {
          kafkaBrokers: kafkaBrokers as string[],
          mongoUrl: mongoUrl as string,
          redisUrl: redisUrl as string,
          ...(s3Url && s3Credentials ? { s3: { url: s3Url, ...s3Credentials } } : {}),
          ...(esdbUrl ? { eventStoreUrl: esdbUrl } : {}),
        },
      });
      await pipelineFlowing(system.url);
    });
    afterAll(async (suite) => {
      await system?.stop();
      finishRunDir(runDir, suite);
    });

    apiSuite(() => system);

    describe('personal data', () => {
      it("keeps an account's profile, contact data, captions and comments only encrypted in the log and the topics, exports them, and keeps none of them in any store, nor its photos or exports, once it is deleted", async () => {
        const client = new ApiClient(system.url);
        const { user, bio, caption, text, post, comment, photo, sentinels } =
          await accountWithSentinels(client);
        await eventually(async () => {
          const profile = await client.get<{ name: string; bio: string }>(`/api/v1/users/${user.id}`);
          expect(profile.body).toMatchObject({ name: user.name, bio });
          const comments = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`);
          expect(comments.body.items.map((item) => item.text)).toEqual([text]);
        });
        const exported = await downloadedExport(client, user);
        const archive = [...(await zipEntries(exported.zip)).values()].join('\n');
        for (const sentinel of sentinels) expect(archive, `${sentinel} in the export`).toContain(sentinel);

        const expectNone = (stored: string, where: string) => {
          for (const sentinel of sentinels)
            expect(stored.includes(sentinel), `${sentinel} in ${where}`).toBe(false);
        };
        const dataDir = join(system.runDir, 'data');
        const log = join(dataDir, 'events.sqlite');
        const exports = join(dataDir, 'exports');
        const readModels = () => databaseText(mongoUrl as string, `gram_${system.runId}`);
        if (!esdbUrl) expectNone(filesText([log, `${log}-wal`]), 'the event store');
        const topics = async (profileEvents: number) => {
          expectNone(
            await topicText(kafkaBrokers as string[], 'identity.users', `user-${user.id}`, profileEvents),
            'identity.users',
          );
          expectNone(
            await topicText(kafkaBrokers as string[], 'content.posts', `post-${post.id}`, 1),
            'content.posts',
          );
          expectNone(
            await topicText(kafkaBrokers as string[], 'content.comments', `comment-${comment.id}`, 1),
            'content.comments',
          );
        };
        await topics(2);
        // The read models hold the profile, caption and text while the account lives: the search finds them.
        const living = await readModels();
        for (const sentinel of [user.name, caption, text]) expect(living).toContain(sentinel);
        expect(await directoryText(exports)).toContain(user.email);
        // Without S3, media keeps its files under DATA_DIR (with S3, media's own tests search the bucket).
        const photoFiles = s3Url ? [] : mediaKeysOf(photo).map((key) => join(dataDir, 'media', key));
        for (const file of photoFiles) expect(existsSync(file), file).toBe(true);

        expectStatus(await client.delete(`/api/v1/users/me`, { token: user.accessToken }), 204);
        // Before any read model has caught up: the export storage and the media files are emptied by the deletion.
        expectNone(await directoryText(exports), 'the export storage');
        expect((await fetch(exported.url)).status).toBe(404);
        for (const file of photoFiles) expect(existsSync(file), file).toBe(false);
        for (const url of [photo.url, photo.variants.standard]) expect((await fetch(url)).status).toBe(404);
        await eventually(async () => expectStatus(await client.get(`/api/v1/users/${user.id}`), 404));
        expectNone(await readModels(), 'MongoDB');
        expectNone(await redisText(redisUrl as string), 'Redis');
        if (!esdbUrl) expectNone(filesText([log, `${log}-wal`]), 'the event store');
        await topics(3);
      });
    });

    describe('the rebuild command (pnpm read-models:rebuild)', () => {
      it('rebuilds the read models from the log, reading the personal fields with the keys it asks of identity, and the query API answers from the new generation', async () => {
        const client = new ApiClient(system.url);
        const user = await signUp(client, `Rebuilt ${randomUUID().slice(0, 8)}`);
        const caption = `rebuilt caption ${randomUUID()}`;
        const post = await createPost(client, user, caption);
        await eventually(async () => expectStatus(await client.get(`/api/v1/posts/${post.id}`), 200));

        const run = spawnSync(
          process.execPath,
          ['--import', 'tsx', 'services/projections/src/cli/rebuild.ts'],
          {
            cwd: repoRoot,
            encoding: 'utf8',
            env: {
              ...process.env,
              ...(esdbUrl ? { EVENT_STORE_URL: esdbUrl } : { DATA_DIR: join(system.runDir, 'data') }),
              MONGO_URL: mongoUrl as string,
              MONGO_DB: `gram_${system.runId}`,
              REDIS_URL: redisUrl as string,
              IDENTITY_URL: system.urls.identity,
              INTERNAL_SERVICE_SECRET: system.internalSecret,
              REBUILD_GRACE_MS: '2500',
            },
          },
        );
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^rebuilt generation \d+ \(was \d+\)/m);

        const profile = await client.get<Profile>(`/api/v1/users/${user.id}`);
        expect(profile.body).toMatchObject({ name: user.name, userName: user.userName });
        const rebuilt = await client.get<Post>(`/api/v1/posts/${post.id}`);
        expect(rebuilt.body).toMatchObject({ caption, author: { name: user.name } });
      });
    });

    describe('notifications on two instances (one consumer group, one Redis)', () => {
      it('streams to a client of one instance the changes the other applied: they travel between instances by Redis Pub/Sub', async () => {
        const client = new ApiClient(system.url);
        const [author, liker] = [await signUp(client), await signUp(client)];
        const post = await createPost(client, author);
        const [replica] = system.notificationsReplicas;
        if (!replica) throw new Error('the system was started with one notifications instance');
        // A ticket issued by the gateway's instance opens a stream at the other: tickets are kept in Redis.
        const issued = await client.post<{ ticket: string }>('/api/v1/notifications/stream-tickets', {
          token: author.accessToken,
        });
        expectStatus(issued, 201);
        const internal = { 'x-internal-service-secret': system.internalSecret };
        const onReplica = await openSse(
          `${replica.url}/api/v1/notifications/stream?ticket=${issued.body.ticket}`,
          internal,
        );
        const onGateway = await openSse(`${system.url}/api/v1/notifications/stream`, {
          authorization: `Bearer ${author.accessToken}`,
        });
        const countOf = async (sse: SseClient) => JSON.parse((await sse.next('unread-count')).data).count;
        const untilCount = async (sse: SseClient, count: number) => {
          while ((await countOf(sse)) !== count);
        };
        expect(onReplica.response.status).toBe(200);
        await untilCount(onReplica, 0);
        await untilCount(onGateway, 0);

        // One member of the group applies the like, so one of the two streams hears it from the other instance.
        expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: liker.accessToken }), 204);
        for (const sse of [onReplica, onGateway]) {
          expect(JSON.parse((await sse.next('notification')).data)).toMatchObject({
            type: 'like',
            post: { id: post.id },
          });
          await untilCount(sse, 1);
        }
        // The marker is moved by the gateway's instance alone: the other's stream hears the new count through Redis.
        expectStatus(
          await client.post('/api/v1/notifications/read', { token: author.accessToken, json: {} }),
          204,
        );
        await untilCount(onReplica, 0);
        onReplica.close();
        onGateway.close();
      });

      it('counts each event in the /metrics of the instance that applied it: between them, every event of a new account and its post', async () => {
        const instances = [
          system.urls.notifications,
          ...system.notificationsReplicas.map((replica) => replica.url),
        ];
        const applied = async () => {
          let sum = 0;
          for (const url of instances) {
            const res = await fetch(`${url}/metrics`, {
              headers: { 'x-internal-service-secret': system.internalSecret },
            });
            const count = /^gram_notifications_events_applied_total (\S+)$/m.exec(await res.text())?.[1];
            sum += Number(count ?? Number.NaN);
          }
          return sum;
        };
        const before = await applied();
        const client = new ApiClient(system.url);
        await createPost(client, await signUp(client));
        // UserRegistered and PostCreated, on the consumer's own time (a wait, not a bound on its lag)
        await expect.poll(applied, { timeout: 30_000 }).toBeGreaterThanOrEqual(before + 2);
      });
    });

    describe('a restart of content', () => {
      it('answers a repeat of a write sent before a restart with the first answer: the keys are kept in Redis', async () => {
        const client = new ApiClient(system.url);
        const author = await signUp(client);
        const request = {
          token: author.accessToken,
          json: { photo: photoUrl(), caption: 'sent before and after content restarts' },
          headers: { 'idempotency-key': randomUUID() },
        };
        const first = await client.post<Post>('/api/v1/posts', request);
        expectStatus(first, 201);
        await system.services.content.restart();
        const fresh = new ApiClient(system.url);
        const repeat = await fresh.post<Post>('/api/v1/posts', request);
        expectStatus(repeat, 201);
        expect(repeat.body).toEqual(first.body);
        expect(repeat.headers.get('x-consistency-token')).toBe(first.headers.get('x-consistency-token'));
        const posts = await fresh.get<Page<Post>>(`/api/v1/users/${author.id}/posts`, {
          headers: { 'x-consistency-token': first.headers.get('x-consistency-token') as string },
        });
        expect(ids(posts.body.items)).toEqual([first.body.id]);
      });
    });

    describe('a service reached on its own port, not through the gateway', () => {
      const direct = (url: string, init: RequestInit = {}) =>
        fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
      const withSecret = (secret: string) => ({ 'x-internal-service-secret': secret });

      it('answers 401 problem+json without the internal credential, on a route and on token introspection', async () => {
        const client = new ApiClient(system.url);
        const user = await signUp(client, 'Direct');
        const calls: [string, RequestInit][] = [
          [
            `${system.urls.identity}/internal/v1/introspect`,
            { method: 'POST', body: JSON.stringify({ token: user.accessToken }) },
          ],
          [
            `${system.urls.identity}/api/v1/users/me`,
            { headers: { authorization: `Bearer ${user.accessToken}` } },
          ],
          [`${system.urls.content}/api/v1/posts`, { method: 'POST', body: '{}' }],
          [`${system.urls['social-graph']}/api/v1/users/${user.id}/follow`, { method: 'PUT' }],
          [`${system.urls.media}/api/v1/media`, { method: 'POST' }],
          [`${system.urls.projections}/api/v1/users/${user.id}`, {}],
          [`${system.urls.projections}/metrics`, {}],
          [`${system.urls.relay}/metrics`, {}],
        ];
        for (const [url, init] of calls) {
          for (const secret of [undefined, 'a wrong secret of the right length, 32+ bytes']) {
            const res = await direct(url, {
              ...init,
              headers: { ...init.headers, ...(secret ? withSecret(secret) : {}) },
            });
            expect(res.status, `${url} with ${secret ?? 'no secret'}`).toBe(401);
            expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          }
        }
      });

      it('serves a call that carries the internal credential, and answers /health to anyone', async () => {
        const client = new ApiClient(system.url);
        const user = await signUp(client, 'Internal');
        const introspected = await direct(`${system.urls.identity}/internal/v1/introspect`, {
          method: 'POST',
          headers: withSecret(system.internalSecret),
          body: JSON.stringify({ token: user.accessToken }),
        });
        expect(introspected.status).toBe(200);
        expect(await introspected.json()).toMatchObject({ active: true, userId: user.id });
        const metrics = await direct(`${system.urls.relay}/metrics`, {
          headers: withSecret(system.internalSecret),
        });
        expect(metrics.status).toBe(200);
        for (const name of [
          'identity',
          'content',
          'social-graph',
          'media',
          'projections',
          'relay',
        ] as const) {
          expect((await fetch(`${system.urls[name]}/health`)).status, name).toBe(200);
        }
      });
    });

    describe('a projection worker killed in the middle of traffic', () => {
      it('catches up after a SIGKILL and a restart: every count equals what was written, none lost, none doubled', async () => {
        const client = new ApiClient(system.url);
        const author = await signUp(client, 'Author');
        const fans: User[] = [];
        for (let i = 0; i < 6; i++) fans.push(await signUp(client, 'Fan'));
        const post = await createPost(client, author, 'the busy post');

        // What was written, from the answers: the expected read model.
        const liked = new Set<string>();
        const following = new Set<string>();
        const commentIds: string[] = [];
        const postIds = [post.id];
        type Write = () => Promise<void>;
        const like =
          (fan: User): Write =>
          async () => {
            expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: fan.accessToken }), 204);
            liked.add(fan.id);
          };
        const unlike =
          (fan: User): Write =>
          async () => {
            expectStatus(
              await client.delete(`/api/v1/posts/${post.id}/like`, { token: fan.accessToken }),
              204,
            );
            liked.delete(fan.id);
          };
        const follow =
          (fan: User): Write =>
          async () => {
            expectStatus(
              await client.put(`/api/v1/users/${author.id}/follow`, { token: fan.accessToken }),
              204,
            );
            following.add(fan.id);
          };
        const comment =
          (fan: User, n: number): Write =>
          async () => {
            const res = await client.post<Comment>(`/api/v1/posts/${post.id}/comments`, {
              token: fan.accessToken,
              json: { text: `comment ${n}` },
            });
            expectStatus(res, 201);
            commentIds.push(res.body.id);
          };
        const newPost =
          (n: number): Write =>
          async () => {
            postIds.push((await createPost(client, author, `post ${n}`)).id);
          };
        // Each fan's writes in order (a like before its unlike); fans run side by side.
        const lanes: Write[][] = fans.map((fan, i) => [
          like(fan),
          comment(fan, i * 10),
          follow(fan),
          comment(fan, i * 10 + 1),
          ...(i % 3 === 0 ? [unlike(fan)] : []),
          comment(fan, i * 10 + 2),
          ...(i % 3 === 0 ? [like(fan), unlike(fan)] : []),
          newPost(i),
        ]);
        const total = lanes.reduce((sum, lane) => sum + lane.length, 0);

        // The worker has been applying (a read that waited for it), then dies after a third of the writes,
        // in the middle of the others, and is started again while they keep coming.
        const projections = system.services.projections;
        const warmUp = await client.get<Post>(`/api/v1/posts/${post.id}`, {
          headers: { 'x-consistency-token': client.lastConsistencyToken as string },
        });
        expect(warmUp.headers.get('x-read-consistency')).toBe('applied');
        expect(warmUp.body.id).toBe(post.id);
        let written = 0;
        let killed: Promise<void> | undefined;
        let restarted: Promise<void> | undefined;
        const afterEachWrite = () => {
          written += 1;
          if (written === Math.floor(total / 3)) killed = projections.kill('SIGKILL');
          if (written === Math.floor((2 * total) / 3)) restarted = killed?.then(() => projections.start());
        };
        await Promise.all(
          lanes.map(async (lane) => {
            for (const write of lane) {
              await write();
              afterEachWrite();
            }
          }),
        );
        expect(killed).toBeDefined();
        await restarted;

        // Caught up: no write is missing and none is counted twice. The restarted consumer takes over the
        // partitions once the killed member's session expires, so this may take the group's session timeout.
        const expectedComments = [...commentIds].sort();
        await eventually(
          async () => {
            const read = await client.get<Post>(`/api/v1/posts/${post.id}`, { consistency: false });
            expectStatus(read, 200);
            expect(read.body).toMatchObject({ likesCount: liked.size, commentsCount: commentIds.length });
            const likers = await client.get<Page<UserSummary>>(`/api/v1/posts/${post.id}/likes?limit=100`, {
              consistency: false,
            });
            expect(ids(likers.body.items).sort()).toEqual([...liked].sort());
            const comments = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments?limit=100`, {
              consistency: false,
            });
            expect(ids(comments.body.items).sort()).toEqual(expectedComments);
            const profile = await client.get<Profile>(`/api/v1/users/${author.id}`, { consistency: false });
            expect(profile.body).toMatchObject({ followersCount: following.size, postCount: postIds.length });
            const followers = await client.get<Page<UserSummary>>(`/api/v1/users/${author.id}/followers`, {
              consistency: false,
            });
            expect(ids(followers.body.items).sort()).toEqual([...following].sort());
            const feed = await client.get<Page<Post>>('/api/v1/feed?limit=100', {
              token: fans[0]?.accessToken,
              consistency: false,
            });
            expect(ids(feed.body.items).sort()).toEqual([...postIds].sort());
          },
          120_000,
          500,
        );
        // And it serves read-your-writes again: the next write is waited for, not guessed.
        await createPost(client, author, 'after the catch-up');
        const read = await client.get<Profile>(`/api/v1/users/${author.id}`, {
          headers: { 'x-consistency-token': client.lastConsistencyToken as string },
        });
        expect(read.headers.get('x-read-consistency')).toBe('applied');
        expect(read.body.postCount).toBe(postIds.length + 1);
      }, 240_000);
    });
  },
);
