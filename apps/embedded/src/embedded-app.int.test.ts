import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { fromStoredEvent, streamIds, toStoredEvent } from '@gram/events';
import { KeyStore } from '@gram/identity';
import { diskMediaStorage } from '@gram/media';
import { openSqliteReadMarkings } from '@gram/notifications';
import { personalDataKeysFromEnv } from '@gram/personal-data';
import { afterEach, describe, expect, it } from 'vitest';
import { buildEmbeddedApp } from './embedded-app.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string) {
  const store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  const keys = await KeyStore.inDirectory(dataDir);
  const media = { storage: diskMediaStorage(join(dataDir, 'media')), publicUrl: 'http://localhost:8080' };
  const readMarkings = openSqliteReadMarkings({ path: join(dataDir, 'notifications.sqlite') });
  const app = await buildEmbeddedApp({
    store,
    keys,
    dataKeys: personalDataKeysFromEnv({}, dataDir),
    media,
    readMarkings,
  });
  return {
    app,
    store,
    close: async () => {
      await app.close();
      await store.close();
      readMarkings.close();
    },
  };
}

/** Reads are eventually consistent: retry until the read model shows the write, for at most 2 s. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => void): Promise<T> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const signup = (n: number) => ({
  name: `User ${n}`,
  userName: `user_${n}`,
  email: `user${n}@example.com`,
  phoneNo: `+4917000000${n}`,
  password: 'correct horse battery',
});

describe('embedded mode: every command service in one process', () => {
  it('serves a user journey across identity, content and social-graph, and keeps it across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gram-embedded-'));
    dirs.push(dataDir);
    let system = await start(dataDir);

    const users = [];
    for (const n of [1, 2]) {
      const created = await system.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: signup(n),
      });
      expect(created.statusCode).toBe(201);
      const login = await system.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: `user_${n}`, password: 'correct horse battery' },
      });
      expect(login.statusCode).toBe(200);
      users.push({ id: created.json().user.id as string, token: login.json().accessToken as string });
    }
    const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];
    const auth = (u: typeof alice) => ({ authorization: `Bearer ${u.token}` });

    // A photo uploaded to media is a valid `photo` for a post.
    const boundary = 'gram-boundary';
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const upload = await system.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      headers: { ...auth(alice), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        png,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    expect(upload.statusCode).toBe(201);
    const photo = upload.json().variants.standard as string;

    const post = await system.app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: auth(alice),
      payload: { photo, caption: '  sunset  ' },
    });
    expect(post.statusCode).toBe(201);
    expect(post.json()).toMatchObject({
      photo,
      caption: 'sunset',
      author: { id: alice.id, userName: 'user_1' },
    });
    expect(post.headers['x-consistency-token']).toBeTruthy();
    const postId = post.json().id as string;

    const like = await system.app.inject({
      method: 'PUT',
      url: `/api/v1/posts/${postId}/like`,
      headers: auth(bob),
    });
    expect(like.statusCode).toBe(204);
    const follow = await system.app.inject({
      method: 'PUT',
      url: `/api/v1/users/${alice.id}/follow`,
      headers: auth(bob),
    });
    expect(follow.statusCode).toBe(204);

    const get = (url: string, user: typeof alice) => () =>
      system.app.inject({ method: 'GET', url, headers: auth(user) });
    await eventually(get('/api/v1/feed', bob), (res) => {
      expect(res.json().items.map((p: { id: string }) => p.id)).toEqual([postId]);
    });
    await eventually(get(`/api/v1/posts/${postId}`, bob), (res) => {
      expect(res.json()).toMatchObject({ likesCount: 1, likedByMe: true });
    });

    await system.close();
    system = await start(dataDir);

    // The read models are rebuilt from the log at start.
    await eventually(get(`/api/v1/users/${alice.id}`, bob), (res) => {
      expect(res.json()).toMatchObject({ followersCount: 1, postCount: 1, followedByMe: true });
    });

    // Same keys and events after the restart: the old token still works and likes stay single.
    const again = await system.app.inject({
      method: 'PUT',
      url: `/api/v1/posts/${postId}/like`,
      headers: auth(bob),
    });
    expect(again.statusCode).toBe(204);
    expect(again.headers['x-global-position']).toBe(like.headers['x-global-position']);
    const relogin = await system.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'user1@example.com', password: 'correct horse battery' },
    });
    expect(relogin.statusCode).toBe(200);

    const deleted = await system.app.inject({
      method: 'DELETE',
      url: '/api/v1/users/me',
      headers: auth(alice),
    });
    expect(deleted.statusCode).toBe(204);
    const afterDelete = await system.app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: auth(alice),
      payload: { photo: 'https://img.example.com/b.jpg' },
    });
    expect(afterDelete.statusCode).toBe(401);
    const followDeleted = await system.app.inject({
      method: 'PUT',
      url: `/api/v1/users/${alice.id}/follow`,
      headers: auth(bob),
    });
    expect(followDeleted.statusCode).toBe(404);
    await eventually(get(`/api/v1/posts/${postId}`, bob), (res) => expect(res.statusCode).toBe(404));
    await eventually(get('/api/v1/feed', bob), (res) => expect(res.json().items).toEqual([]));
    await system.close();
  });

  it("runs social-graph's reaction to UserBlocked from the log: a block left unfinished is completed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gram-embedded-'));
    dirs.push(dataDir);
    const system = await start(dataDir);
    try {
      const ids: string[] = [];
      for (const n of [7, 8]) {
        const created = await system.app.inject({
          method: 'POST',
          url: '/api/v1/auth/signup',
          payload: signup(n),
        });
        ids.push(created.json().user.id);
      }
      const [a, b] = ids as [string, string];
      const login = await system.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'user_7', password: 'correct horse battery' },
      });
      const followed = await system.app.inject({
        method: 'PUT',
        url: `/api/v1/users/${b}/follow`,
        headers: { authorization: `Bearer ${login.json().accessToken}` },
      });
      expect(followed.statusCode).toBe(204);
      // B's block as the route appends it, with nothing after it: a process stopped right there.
      await system.store.appendToStream(
        streamIds.block(b, a),
        [
          toStoredEvent({
            type: 'UserBlocked',
            data: { blockerId: b, blockedId: a, blockedAt: new Date().toISOString() },
          }),
        ],
        { expectedRevision: 'no_stream' },
      );
      await eventually(
        async () => (await system.store.readStream(streamIds.follow(a, b))).map((e) => fromStoredEvent(e)),
        (events) =>
          expect(events.at(-1)).toMatchObject({ type: 'UserUnfollowed', data: { endedBy: 'followee' } }),
      );
    } finally {
      await system.close();
    }
  });

  it("runs content's reaction to blocks from the log: the blocked account's like of the blocker's post ends", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gram-embedded-'));
    dirs.push(dataDir);
    const system = await start(dataDir);
    try {
      const [alice, bob] = await Promise.all(
        [3, 4].map(async (n) => {
          const created = await system.app.inject({
            method: 'POST',
            url: '/api/v1/auth/signup',
            payload: signup(n),
          });
          expect(created.statusCode).toBe(201);
          const login = await system.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { login: `user_${n}`, password: 'correct horse battery' },
          });
          return { id: created.json().user.id as string, token: login.json().accessToken as string };
        }),
      );
      if (!alice || !bob) throw new Error('two accounts were not signed up');
      // A post's photo is checked by media only for its own URLs: any https URL will do here.
      const post = await system.app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: { authorization: `Bearer ${alice.token}` },
        payload: { photo: 'https://img.example/p.jpg' },
      });
      expect(post.statusCode).toBe(201);
      const postId = post.json().id as string;
      const like = await system.app.inject({
        method: 'PUT',
        url: `/api/v1/posts/${postId}/like`,
        headers: { authorization: `Bearer ${bob.token}` },
      });
      expect(like.statusCode).toBe(204);
      await system.store.appendToStream(
        streamIds.block(alice.id, bob.id),
        [
          toStoredEvent({
            type: 'UserBlocked',
            data: { blockerId: alice.id, blockedId: bob.id, blockedAt: new Date().toISOString() },
          }),
        ],
        { expectedRevision: 'no_stream' },
      );
      await eventually(
        async () => (await system.store.readStream(streamIds.like(postId, bob.id))).map((e) => e.type),
        (types) => expect(types).toEqual(['PostLiked', 'PostUnliked']),
      );
    } finally {
      await system.close();
    }
  });

  it("records a caption's mentions by the accounts identity names in-process: live ones, case-insensitively", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gram-embedded-'));
    dirs.push(dataDir);
    const system = await start(dataDir);
    try {
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const created = await system.app.inject({
          method: 'POST',
          url: '/api/v1/auth/signup',
          payload: signup(n),
        });
        ids.push(created.json().user.id);
      }
      const login = (n: number) =>
        system.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { login: `user_${n}`, password: 'correct horse battery' },
        });
      const bearer = async (n: number) => ({
        authorization: `Bearer ${(await login(n)).json().accessToken}`,
      });
      const deleted = await system.app.inject({
        method: 'DELETE',
        url: '/api/v1/users/me',
        headers: await bearer(3),
      });
      expect(deleted.statusCode).toBe(204);

      const post = await system.app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: await bearer(1),
        payload: { photo: 'https://img.example/p.jpg', caption: 'with @USER_2. and @user_3, @user_9' },
      });
      expect(post.statusCode, post.body).toBe(201);
      // Ids are no personal data: the log holds them in clear.
      const [created] = await system.store.readStream(streamIds.post(post.json().id));
      expect(created && fromStoredEvent(created)).toMatchObject({
        type: 'PostCreated',
        data: { mentions: [ids[1]] },
      });
    } finally {
      await system.close();
    }
  });

  it('keeps notifications read across a restart: the read markers are kept under DATA_DIR', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gram-embedded-'));
    dirs.push(dataDir);
    let system = await start(dataDir);
    const [alice, bob] = await Promise.all(
      [5, 6].map(async (n) => {
        const created = await system.app.inject({
          method: 'POST',
          url: '/api/v1/auth/signup',
          payload: signup(n),
        });
        const login = await system.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { login: `user_${n}`, password: 'correct horse battery' },
        });
        return { id: created.json().user.id as string, token: login.json().accessToken as string };
      }),
    );
    if (!alice || !bob) throw new Error('two accounts were not signed up');
    const unread = () =>
      system.app.inject({
        method: 'GET',
        url: '/api/v1/notifications/unread-count',
        headers: { authorization: `Bearer ${alice.token}` },
      });
    const followed = await system.app.inject({
      method: 'PUT',
      url: `/api/v1/users/${alice.id}/follow`,
      headers: { authorization: `Bearer ${bob.token}` },
    });
    expect(followed.statusCode).toBe(204);
    await eventually(unread, (res) => expect(res.json()).toEqual({ count: 1 }));
    const read = await system.app.inject({
      method: 'POST',
      url: '/api/v1/notifications/read',
      headers: { authorization: `Bearer ${alice.token}` },
      payload: {},
    });
    expect(read.statusCode).toBe(204);

    await system.close();
    system = await start(dataDir);

    // The notifications are rebuilt from the log at start, and the marker with them.
    const list = await system.app.inject({
      method: 'GET',
      url: '/api/v1/notifications',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(list.json().items.map((n: { type: string; read: boolean }) => [n.type, n.read])).toEqual([
      ['follow', true],
    ]);
    expect((await unread()).json()).toEqual({ count: 0 });
    await system.close();
  });

  it('publishes one OpenAPI document with the routes of every mounted service', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gram-embedded-'));
    dirs.push(dataDir);
    const system = await start(dataDir);
    const res = await system.app.inject({ method: 'GET', url: '/openapi.json' });
    const paths = Object.keys(res.json().paths);
    for (const path of [
      '/api/v1/auth/signup',
      '/api/v1/posts/{postId}/like',
      '/api/v1/users/{userId}/follow',
    ]) {
      expect(paths).toContain(path);
    }
    await system.close();
  });
});
