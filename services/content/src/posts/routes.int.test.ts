import { streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser, unknownId } from '../../test/content-harness.js';

let h: ContentHarness;
let ada: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await startContent();
  ada = await h.registerUser('ada');
  bob = await h.registerUser('bob');
});
afterAll(() => h.close());

const photo = 'https://img.example/sunset.jpg';

describe('POST /api/v1/posts', () => {
  it('answers 201 with the new post, its author summary, zero counts and the write headers, and stores the caption encrypted under the author key', async () => {
    const res = await h.call('POST', '/api/v1/posts', {
      as: ada,
      body: { photo, caption: '  golden hour \n' },
    });
    expect(res.statusCode).toBe(201);
    const post = res.json();
    expect(post).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      author: { id: ada.id, userName: 'ada', name: 'Name of ada', profilePic: 'https://img.example/ada.png' },
      photo,
      caption: 'golden hour',
      hashtags: [],
      mentions: [],
      likesCount: 0,
      commentsCount: 0,
      likedByMe: false,
      createdAt: expect.any(String),
      updatedAt: post.createdAt,
    });
    expect(res.headers['x-stream-revision']).toBe('0');
    expect(Number(res.headers['x-global-position'])).toBeGreaterThan(0);
    expect(res.headers['x-consistency-token']).toMatch(/^p[0-9a-z]+$/);

    // Stored with the caption encrypted under the author's key; read back decrypted.
    const [stored] = await h.store.readStream(streamIds.post(post.id));
    expect(stored?.data).toMatchObject({ caption: expect.stringMatching(/^pd1\./) });
    expect(JSON.stringify(stored)).not.toContain('golden hour');
    const [created] = await h.log.readStream(streamIds.post(post.id));
    expect(created).toMatchObject({
      type: 'PostCreated',
      data: { postId: post.id, authorId: ada.id, photo, caption: 'golden hour', createdAt: post.createdAt },
      metadata: { actorId: ada.id, schemaVersion: 2 },
    });
  });

  it('defaults the caption to an empty string', async () => {
    const res = await h.call('POST', '/api/v1/posts', { as: ada, body: { photo } });
    expect(res.statusCode).toBe(201);
    expect(res.json().caption).toBe('');
  });

  it("shows the author's current name and picture (profile updates applied)", async () => {
    const cleo = await h.registerUser('cleo');
    await h.appendToUser(cleo.id, {
      type: 'ProfileUpdated',
      data: {
        userId: cleo.id,
        name: 'Cleo P.',
        profilePic: 'https://img.example/cleo-2.png',
        updatedAt: new Date().toISOString(),
      },
    });
    const res = await h.call('POST', '/api/v1/posts', { as: cleo, body: { photo } });
    expect(res.json().author).toEqual({
      id: cleo.id,
      userName: 'cleo',
      name: 'Cleo P.',
      profilePic: 'https://img.example/cleo-2.png',
    });
  });

  it('accepts a caption of 2200 characters once trimmed', async () => {
    const res = await h.call('POST', '/api/v1/posts', {
      as: ada,
      body: { photo, caption: ` ${'x'.repeat(2200)}  ` },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().caption).toHaveLength(2200);
  });

  it.each([
    ['a missing photo', { caption: 'hi' }, 'photo'],
    ['a photo that is not an http(s) URL', { photo: 'ftp://img.example/a.jpg' }, 'photo'],
    ['a photo that is not a URL at all', { photo: 'sunset.jpg' }, 'photo'],
    ['a photo over 2048 characters', { photo: `https://img.example/${'a'.repeat(2040)}.jpg` }, 'photo'],
    ['a caption over 2200 characters', { photo, caption: 'x'.repeat(2201) }, 'caption'],
    ['a caption with a NUL byte', { photo, caption: 'sunset\u0000' }, 'caption'],
    ['a caption with an escape sequence', { photo, caption: '\u001b[2Jsunset' }, 'caption'],
    ['a caption of invisible characters only', { photo, caption: '\u200b\u202e' }, 'caption'],
    ['an unknown field', { photo, location: 'Paris' }, 'location'],
  ])('answers 400 naming the field for %s', async (_what, body, field) => {
    const res = await h.call('POST', '/api/v1/posts', { as: ada, body });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await h.call('POST', '/api/v1/posts', {
      as: ada,
      body: '{"photo":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('answers 401 without a token, with a tampered token, and for an account that never registered', async () => {
    expect((await h.call('POST', '/api/v1/posts', { body: { photo } })).statusCode).toBe(401);
    const tampered = { ...ada, token: `${ada.token.slice(0, -4)}AAAA` };
    expect((await h.call('POST', '/api/v1/posts', { as: tampered, body: { photo } })).statusCode).toBe(401);
    const ghostId = unknownId();
    const ghost = { id: ghostId, userName: 'ghost', token: await h.issuer.mint(ghostId) };
    expect((await h.call('POST', '/api/v1/posts', { as: ghost, body: { photo } })).statusCode).toBe(401);
  });

  it('answers 401 for the token of an account deleted after it was issued', async () => {
    const dora = await h.registerUser('dora');
    expect((await h.call('POST', '/api/v1/posts', { as: dora, body: { photo } })).statusCode).toBe(201);
    await h.deleteUser(dora);
    const res = await h.call('POST', '/api/v1/posts', { as: dora, body: { photo } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });
});

describe('PATCH /api/v1/posts/:postId', () => {
  it('answers 200 with the edited post and records only the fields that changed', async () => {
    const { id } = await h.createPost(ada, { photo, caption: 'before' });
    const res = await h.call('PATCH', `/api/v1/posts/${id}`, {
      as: ada,
      body: { caption: '  after ', photo },
    });
    expect(res.statusCode).toBe(200);
    const post = res.json();
    expect(post).toMatchObject({
      id,
      author: { id: ada.id, userName: 'ada' },
      photo,
      caption: 'after',
      likesCount: 0,
      commentsCount: 0,
      likedByMe: false,
    });
    expect(Date.parse(post.updatedAt)).toBeGreaterThanOrEqual(Date.parse(post.createdAt));
    expect(res.headers['x-stream-revision']).toBe('1');
    const edited = (await h.log.readStream(streamIds.post(id)))[1];
    // The photo given is the one the post already had: only the caption changed.
    expect(edited?.type).toBe('PostEdited');
    expect(edited?.data).toEqual({
      postId: id,
      authorId: ada.id,
      caption: 'after',
      editedAt: post.updatedAt,
    });
  });

  it("says whether the author likes their own post, from the author's like stream", async () => {
    const { id } = await h.createPost(ada);
    await h.call('PUT', `/api/v1/posts/${id}/like`, { as: ada });
    const res = await h.call('PATCH', `/api/v1/posts/${id}`, {
      as: ada,
      body: { caption: 'liked it myself' },
    });
    expect(res.json().likedByMe).toBe(true);
  });

  it('answers 200 and records nothing when nothing changes, still sending the write headers', async () => {
    const { id } = await h.createPost(ada, { caption: 'same' });
    const res = await h.call('PATCH', `/api/v1/posts/${id}`, { as: ada, body: { caption: 'same ' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().caption).toBe('same');
    expect(res.headers['x-stream-revision']).toBe('0');
    expect(await h.eventTypes(streamIds.post(id))).toEqual(['PostCreated']);
    expect((await h.call('PATCH', `/api/v1/posts/${id}`, { as: ada, body: {} })).statusCode).toBe(200);
  });

  it('answers 400 naming the caption for a caption with a NUL byte', async () => {
    const { id } = await h.createPost(ada);
    const res = await h.call('PATCH', `/api/v1/posts/${id}`, { as: ada, body: { caption: 'a\u0000b' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation', errors: [{ field: 'caption' }] });
    expect(await h.eventTypes(streamIds.post(id))).toEqual(['PostCreated']);
  });

  it('keeps the line breaks and tabs of a caption', async () => {
    const res = await h.call('POST', '/api/v1/posts', {
      as: ada,
      body: { photo, caption: 'one\r\ntwo\tthree' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().caption).toBe('one\r\ntwo\tthree');
  });

  it('answers 400 for a malformed id and for an invalid field', async () => {
    const { id } = await h.createPost(ada);
    expect(
      (await h.call('PATCH', '/api/v1/posts/not-a-uuid', { as: ada, body: { caption: 'x' } })).statusCode,
    ).toBe(400);
    const res = await h.call('PATCH', `/api/v1/posts/${id}`, {
      as: ada,
      body: { photo: 'javascript:alert(1)' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('photo');
  });

  it('answers 401 without a token', async () => {
    const { id } = await h.createPost(ada);
    expect((await h.call('PATCH', `/api/v1/posts/${id}`, { body: { caption: 'x' } })).statusCode).toBe(401);
  });

  it('answers 403 to anybody but the author', async () => {
    const { id } = await h.createPost(ada);
    const res = await h.call('PATCH', `/api/v1/posts/${id}`, { as: bob, body: { caption: 'mine now' } });
    expect(res.statusCode).toBe(403);
    expect(await h.eventTypes(streamIds.post(id))).toEqual(['PostCreated']);
  });

  it('answers 404 for a post that does not exist or was deleted', async () => {
    expect(
      (await h.call('PATCH', `/api/v1/posts/${unknownId()}`, { as: ada, body: { caption: 'x' } })).statusCode,
    ).toBe(404);
    const { id } = await h.createPost(ada);
    await h.call('DELETE', `/api/v1/posts/${id}`, { as: ada });
    expect(
      (await h.call('PATCH', `/api/v1/posts/${id}`, { as: ada, body: { caption: 'x' } })).statusCode,
    ).toBe(404);
  });
});

describe('DELETE /api/v1/posts/:postId', () => {
  it('answers 204 and records PostDeleted when the author deletes', async () => {
    const { id } = await h.createPost(ada);
    const res = await h.call('DELETE', `/api/v1/posts/${id}`, { as: ada });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['x-stream-revision']).toBe('1');
    expect(await h.eventTypes(streamIds.post(id))).toEqual(['PostCreated', 'PostDeleted']);
  });

  it('answers 403 to anybody but the author', async () => {
    const { id } = await h.createPost(ada);
    expect((await h.call('DELETE', `/api/v1/posts/${id}`, { as: bob })).statusCode).toBe(403);
    expect(await h.eventTypes(streamIds.post(id))).toEqual(['PostCreated']);
  });

  it('answers 404 for a post that does not exist or is already deleted', async () => {
    expect((await h.call('DELETE', `/api/v1/posts/${unknownId()}`, { as: ada })).statusCode).toBe(404);
    const { id } = await h.createPost(ada);
    expect((await h.call('DELETE', `/api/v1/posts/${id}`, { as: ada })).statusCode).toBe(204);
    expect((await h.call('DELETE', `/api/v1/posts/${id}`, { as: ada })).statusCode).toBe(404);
  });

  it('answers 400 for a malformed id and 401 without a token', async () => {
    expect((await h.call('DELETE', '/api/v1/posts/123', { as: ada })).statusCode).toBe(400);
    const { id } = await h.createPost(ada);
    expect((await h.call('DELETE', `/api/v1/posts/${id}`)).statusCode).toBe(401);
  });
});
