import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  expectStatus,
  ids,
  logIn,
  mediaKeysOf,
  photoUrl,
  signUp,
} from './api/fixtures.js';
import { directoryText, type EmbeddedSystem, filesText, startEmbedded, zipEntries } from './harness/index.js';
import { createRunDir, finishRunDir } from './run-dir.js';
import { accessLimitsEnv, apiSuite, writesPerUserPerMinute } from './suite/index.js';

describe('embedded mode: the whole system in one process, over HTTP', () => {
  const runDir = createRunDir('embedded');
  let system: EmbeddedSystem;

  beforeAll(async () => {
    system = await startEmbedded({
      dataDir: join(runDir, 'data'),
      logFile: join(runDir, 'logs', 'embedded.log'),
      env: { WRITES_PER_USER_PER_MINUTE: String(writesPerUserPerMinute), ...accessLimitsEnv },
    });
  });
  afterAll(async (suite) => {
    await system?.stop();
    finishRunDir(runDir, suite);
  });

  apiSuite(() => system);

  describe('personal data', () => {
    it("keeps an account's profile, contact data, captions and comments only encrypted in the event store, exports them, and keeps none of them, nor its photos or exports, once it is deleted", async () => {
      const client = new ApiClient(system.url);
      const { user, bio, caption, post, photo, sentinels } = await accountWithSentinels(client);
      const profile = await client.get<Profile>(`/api/v1/users/${user.id}`);
      expect(profile.body).toMatchObject({ name: user.name, bio });
      expect((await client.get<Post>(`/api/v1/posts/${post.id}`)).body.caption).toBe(caption);
      const exported = await downloadedExport(client, user);
      const archive = [...(await zipEntries(exported.zip)).values()].join('\n');
      for (const sentinel of sentinels) expect(archive, `${sentinel} in the export`).toContain(sentinel);

      const log = join(system.dataDir, 'events.sqlite');
      const exports = join(system.dataDir, 'exports');
      const expectNone = (stored: string, where: string) => {
        for (const sentinel of sentinels)
          expect(stored.includes(sentinel), `${sentinel} in ${where}`).toBe(false);
      };
      expectNone(filesText([log, `${log}-wal`]), 'the event store');
      expect(await directoryText(exports)).toContain(user.email);
      const photoFiles = mediaKeysOf(photo).map((key) => join(system.dataDir, 'media', key));
      for (const file of photoFiles) expect(existsSync(file), file).toBe(true);

      expectStatus(await client.delete('/api/v1/users/me', { token: user.accessToken }), 204);
      expectStatus(await client.get(`/api/v1/users/${user.id}`), 404);
      expectNone(filesText([log, `${log}-wal`]), 'the event store');
      expectNone(await directoryText(exports), 'the export storage');
      expect((await fetch(exported.url)).status).toBe(404);
      for (const file of photoFiles) expect(existsSync(file), file).toBe(false);
    });
  });

  describe('restarts', () => {
    it('answers a repeat of a write sent before a restart with the first answer: the keys are kept under DATA_DIR', async () => {
      const client = new ApiClient(system.url);
      const author = await signUp(client);
      const request = {
        token: author.accessToken,
        json: { photo: photoUrl(), caption: 'sent before and after a restart' },
        headers: { 'idempotency-key': randomUUID() },
      };
      const first = await client.post<Post>('/api/v1/posts', request);
      expectStatus(first, 201);
      await system.restart();
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
    it('keeps every account, post, like, follow and comment across a restart and a crash (SIGKILL)', async () => {
      const client = new ApiClient(system.url);
      const [alice, bob] = [await signUp(client), await signUp(client)];
      const post = await createPost(client, alice, 'survives restarts');
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: bob.accessToken }), 204);
      expectStatus(await client.put(`/api/v1/users/${alice.id}/follow`, { token: bob.accessToken }), 204);
      const comment = await client.post<Comment>(`/api/v1/posts/${post.id}/comments`, {
        token: bob.accessToken,
        json: { text: 'still here?' },
      });
      expectStatus(comment, 201);

      const expectEverythingKept = async (fresh: ApiClient, feedOfBob: string[]) => {
        // Tokens issued before stay valid: the signing key is kept under DATA_DIR too.
        const me = await fresh.get<Profile>('/api/v1/users/me', { token: bob.accessToken });
        expectStatus(me, 200);
        expect(me.body).toMatchObject({ id: bob.id, followingCount: 1 });
        const aliceProfile = await fresh.get<Profile>(`/api/v1/users/${alice.id}`, {
          token: bob.accessToken,
        });
        expect(aliceProfile.body).toMatchObject({ followersCount: 1, postCount: 1, followedByMe: true });
        const read = await fresh.get<Post>(`/api/v1/posts/${post.id}`, { token: bob.accessToken });
        expect(read.body).toMatchObject({
          likesCount: 1,
          commentsCount: 1,
          likedByMe: true,
          caption: post.caption,
        });
        const likers = await fresh.get<Page<UserSummary>>(`/api/v1/posts/${post.id}/likes`);
        expect(ids(likers.body.items)).toEqual([bob.id]);
        const feed = await fresh.get<Page<Post>>('/api/v1/feed', { token: bob.accessToken });
        expect(ids(feed.body.items)).toEqual(feedOfBob);
        const comments = await fresh.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`);
        expect(comments.body.items).toEqual([comment.body]);
        await logIn(fresh, alice.email);
        // A like again after the restart is still the same like: counted once.
        expectStatus(await fresh.put(`/api/v1/posts/${post.id}/like`, { token: bob.accessToken }), 204);
        const again = await fresh.get<Post>(`/api/v1/posts/${post.id}`);
        expect(again.body.likesCount).toBe(1);
      };

      await system.restart();
      await expectEverythingKept(new ApiClient(system.url), [post.id]);

      // A crash: no shutdown code runs. Every write that was answered is in the log.
      const late = await createPost(client, bob, 'written just before the crash');
      await system.kill('SIGKILL');
      await system.process.start();
      await expectEverythingKept(new ApiClient(system.url), [late.id, post.id]);
    });
  });
});
