import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  type ApiResponse,
  type Comment,
  type Media,
  type Page,
  type Post,
  type Problem,
  type Profile,
  type Reply,
} from '../api/client.js';
import {
  createPost,
  expectProblem,
  expectStatus,
  ids,
  newAccount,
  photoUrl,
  signUp,
} from '../api/fixtures.js';
import { smallPng, uploadForm } from '../api/images.js';
import type { SystemRef } from './system.js';

/** A response read as the problem it should be. */
const asProblem = (response: ApiResponse<unknown>) => response as ApiResponse<Problem>;

/** API.md, Conventions: Retries (Idempotency-Key) and Conditional writes (ETag, If-Match). */
export function retriesSuite(system: SystemRef): void {
  describe('retries and conflicts', () => {
    const api = () => new ApiClient(system().url);

    it('creates one post from concurrent repeats of one Idempotency-Key, each answered with its id', async () => {
      const client = api();
      const author = await signUp(client);
      const key = randomUUID();
      const json = { photo: photoUrl(), caption: 'sent eight times' };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          client.post<Post>('/api/v1/posts', {
            token: author.accessToken,
            json,
            headers: { 'idempotency-key': key },
          }),
        ),
      );
      // A repeat that arrives while the first runs is told so; any later one gets the first answer.
      for (const answer of answers) expect([201, 409], JSON.stringify(answer.body)).toContain(answer.status);
      const created = answers.filter((answer) => answer.status === 201);
      expect(created.length).toBeGreaterThan(0);
      expect(new Set(created.map((answer) => answer.body.id)).size).toBe(1);
      for (const answer of answers.filter((a) => a.status === 409)) {
        expectProblem(asProblem(answer), 409, undefined, 'idempotency-key-in-progress');
      }
      const again = await client.post<Post>('/api/v1/posts', {
        token: author.accessToken,
        json,
        headers: { 'idempotency-key': key },
      });
      expectStatus(again, 201);
      expect(again.body).toEqual(created[0]?.body);
      expect(again.headers.get('x-consistency-token')).toBe(created[0]?.headers.get('x-consistency-token'));
      const posts = await client.get<Page<Post>>(`/api/v1/users/${author.id}/posts`);
      expect(ids(posts.body.items)).toEqual([created[0]?.body.id]);
    });

    it('answers 422 idempotency-key-reused to the same key with another body, and creates nothing', async () => {
      const client = api();
      const author = await signUp(client);
      const headers = { 'idempotency-key': randomUUID() };
      const first = await client.post<Post>('/api/v1/posts', {
        token: author.accessToken,
        json: { photo: photoUrl(), caption: 'first' },
        headers,
      });
      expectStatus(first, 201);
      const other = await client.post('/api/v1/posts', {
        token: author.accessToken,
        json: { photo: photoUrl(), caption: 'another' },
        headers,
      });
      expectProblem(other, 422, 'idempotency-key', 'idempotency-key-reused');
      const posts = await client.get<Page<Post>>(`/api/v1/users/${author.id}/posts`);
      expect(ids(posts.body.items)).toEqual([first.body.id]);
      // Keys are each account's own: another account's same key creates its own post.
      const someoneElse = await signUp(client);
      const theirs = await client.post<Post>('/api/v1/posts', {
        token: someoneElse.accessToken,
        json: { photo: photoUrl(), caption: 'first' },
        headers,
      });
      expectStatus(theirs, 201);
      expect(theirs.body.id).not.toBe(first.body.id);
    });

    it('answers a repeated signup, comment, reply and upload with the first answer and its ids', async () => {
      const client = api();
      const account = newAccount();
      const signup = () =>
        client.post<{ user: { id: string } }>('/api/v1/auth/signup', {
          json: account,
          headers: { 'idempotency-key': `signup-${account.userName}` },
        });
      const [firstSignup, repeatedSignup] = [await signup(), await signup()];
      expectStatus(firstSignup, 201);
      expect(repeatedSignup.status).toBe(201);
      expect(repeatedSignup.body).toEqual(firstSignup.body);

      const user = await signUp(client);
      const post = await createPost(client, user);
      const twice = async <T>(path: string, options: Parameters<ApiClient['post']>[1]) => {
        const headers = { 'idempotency-key': randomUUID() };
        const first = await client.post<T>(path, { ...options, headers });
        const repeat = await client.post<T>(path, { ...options, headers });
        expectStatus(first, 201);
        expectStatus(repeat, 201);
        expect(repeat.body).toEqual(first.body);
        return first.body;
      };
      const comment = await twice<Comment>(`/api/v1/posts/${post.id}/comments`, {
        token: user.accessToken,
        json: { text: 'once' },
      });
      await twice<Reply>(`/api/v1/comments/${comment.id}/replies`, {
        token: user.accessToken,
        json: { text: 'once' },
      });
      const png = await smallPng();
      const upload = async (key: string, bytes: Uint8Array) =>
        client.post<Media>('/api/v1/media', {
          token: user.accessToken,
          // A new multipart body each time, as a retrying client frames it: the file is what counts.
          body: uploadForm(bytes, 'picture.png', 'image/png'),
          headers: { 'idempotency-key': key },
        });
      const mediaKey = randomUUID();
      const [firstUpload, repeatedUpload] = [await upload(mediaKey, png), await upload(mediaKey, png)];
      expectStatus(firstUpload, 201);
      expect(repeatedUpload.body).toEqual(firstUpload.body);
      expectProblem(
        asProblem(await upload(mediaKey, Buffer.concat([png, Buffer.from([0])]))),
        422,
        undefined,
        'idempotency-key-reused',
      );

      const comments = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`);
      expect(ids(comments.body.items)).toEqual([comment.id]);
      const replies = await client.get<Page<Reply>>(`/api/v1/comments/${comment.id}/replies`);
      expect(replies.body.items).toHaveLength(1);
    });

    it('answers 400 to an Idempotency-Key that is not 1-255 printable ASCII characters', async () => {
      const client = api();
      const author = await signUp(client);
      for (const key of ['k'.repeat(256), 'caf\u00e9']) {
        const res = await client.post('/api/v1/posts', {
          token: author.accessToken,
          json: { photo: photoUrl() },
          headers: { 'idempotency-key': key },
        });
        expectProblem(res, 400, 'idempotency-key', 'validation');
      }
    });

    it('edits a post only while If-Match names its ETag: a stale one is 412 and writes nothing', async () => {
      const client = api();
      const author = await signUp(client);
      const post = await createPost(client, author, 'first');
      const read = await client.get<Post>(`/api/v1/posts/${post.id}`);
      const etag = read.headers.get('etag');
      expect(etag).toMatch(/^"\d+"$/);

      const edit = (caption: string, ifMatch: string) =>
        client.patch<Post>(`/api/v1/posts/${post.id}`, {
          token: author.accessToken,
          json: { caption },
          headers: { 'if-match': ifMatch },
        });
      const edited = await edit('second', etag as string);
      expectStatus(edited, 200);
      const newEtag = edited.headers.get('etag');
      expect(newEtag).not.toBe(etag);
      const reread = await client.get<Post>(`/api/v1/posts/${post.id}`);
      expect(reread.headers.get('etag')).toBe(newEtag);

      expectProblem(asProblem(await edit('third', etag as string)), 412, undefined, 'precondition-failed');
      expectProblem(asProblem(await edit('third', 'not an etag')), 400, 'if-match', 'validation');
      const after = await client.get<Post>(`/api/v1/posts/${post.id}`);
      expect(after.body.caption).toBe('second');
      expect(after.headers.get('etag')).toBe(newEtag);
    });

    it('edits the profile only while If-Match names the ETag of GET /users/me', async () => {
      const client = api();
      const user = await signUp(client);
      const me = await client.get<Profile>('/api/v1/users/me', { token: user.accessToken });
      const etag = me.headers.get('etag') as string;
      expect(etag).toMatch(/^"\d+"$/);
      const edit = (bio: string, ifMatch: string) =>
        client.patch<Profile>('/api/v1/users/me', {
          token: user.accessToken,
          json: { bio },
          headers: { 'if-match': ifMatch },
        });
      const edited = await edit('first bio', etag);
      expectStatus(edited, 200);
      expect(edited.headers.get('etag')).not.toBe(etag);
      expectProblem(asProblem(await edit('second bio', etag)), 412, undefined, 'precondition-failed');
      const after = await client.get<Profile>('/api/v1/users/me', { token: user.accessToken });
      expect(after.body.bio).toBe('first bio');
      expect(after.headers.get('etag')).toBe(edited.headers.get('etag'));
    });
  });
}
