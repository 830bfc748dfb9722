import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  type Comment,
  type Page,
  type Post,
  type Profile,
  type Reply,
  type UserSummary,
} from '../api/client.js';
import {
  allPages,
  createPost,
  expectProblem,
  expectStatus,
  ids,
  malformedId,
  photoUrl,
  signUp,
  type User,
  unknownId,
} from '../api/fixtures.js';
import type { SystemRef } from './system.js';

async function comment(client: ApiClient, user: User, postId: string, text: string): Promise<Comment> {
  const res = await client.post<Comment>(`/api/v1/posts/${postId}/comments`, {
    token: user.accessToken,
    json: { text },
  });
  expectStatus(res, 201);
  return res.body;
}

async function reply(client: ApiClient, user: User, commentId: string, text: string): Promise<Reply> {
  const res = await client.post<Reply>(`/api/v1/comments/${commentId}/replies`, {
    token: user.accessToken,
    json: { text },
  });
  expectStatus(res, 201);
  return res.body;
}

export function contentSuite(system: SystemRef): void {
  describe('posts, likes, comments, replies', () => {
    const api = () => new ApiClient(system().url);

    it('creates a post: 201 with a trimmed caption and zero counts; 400 on bad fields; 401 anonymous', async () => {
      const client = api();
      const author = await signUp(client);
      const photo = photoUrl();
      const res = await client.post<Post>('/api/v1/posts', {
        token: author.accessToken,
        json: { photo, caption: '  golden hour  ' },
      });
      expectStatus(res, 201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        author: author.summary,
        photo,
        caption: 'golden hour',
        likesCount: 0,
        commentsCount: 0,
      });
      expect(res.headers.get('x-consistency-token')).toBeTruthy();
      const noCaption = await client.post<Post>('/api/v1/posts', {
        token: author.accessToken,
        json: { photo },
      });
      expectStatus(noCaption, 201);
      expect(noCaption.body.caption).toBe('');

      const invalid: [string, Record<string, unknown>][] = [
        ['photo', {}],
        ['photo', { photo: 'not a url' }],
        ['photo', { photo: 'ftp://img.example.com/a.jpg' }],
        ['photo', { photo: `https://img.example.com/${'a'.repeat(2048)}` }],
        ['caption', { photo, caption: 'c'.repeat(2201) }],
      ];
      for (const [field, json] of invalid) {
        expectProblem(await client.post('/api/v1/posts', { token: author.accessToken, json }), 400, field);
      }
      expectProblem(await client.post('/api/v1/posts', { json: { photo } }), 401);
    });

    it('refuses NUL and other control characters in captions, comments and replies with 400; keeps line breaks', async () => {
      const client = api();
      const author = await signUp(client);
      const post = await createPost(client, author, 'line one\nline two');
      expect(post.caption).toBe('line one\nline two');
      const token = author.accessToken;
      for (const text of ['nul\u0000byte', '\u001b[31mred', '\u200b\u200b']) {
        expectProblem(
          await client.post('/api/v1/posts', { token, json: { photo: photoUrl(), caption: text } }),
          400,
          'caption',
          'validation',
        );
        expectProblem(
          await client.patch(`/api/v1/posts/${post.id}`, { token, json: { caption: text } }),
          400,
          'caption',
          'validation',
        );
        expectProblem(
          await client.post(`/api/v1/posts/${post.id}/comments`, { token, json: { text } }),
          400,
          'text',
          'validation',
        );
      }
      const said = await comment(client, author, post.id, 'first\r\nsecond');
      expect(said.text).toBe('first\r\nsecond');
      expectProblem(
        await client.post(`/api/v1/comments/${said.id}/replies`, { token, json: { text: 'a\u0000' } }),
        400,
        'text',
        'validation',
      );
    });

    it('takes hashtags and mentions of live accounts (resolved through identity); 400 over 30 hashtags in a caption or 20 mentions in any text', async () => {
      const client = api();
      const [author, friend] = await Promise.all([signUp(client), signUp(client)]);
      const token = author.accessToken;
      const post = await createPost(
        client,
        author,
        `#Sunset with @${friend.userName.toUpperCase()}. and @nobody_here`,
      );
      const said = await comment(client, author, post.id, `@${friend.userName} look`);
      await reply(client, friend, said.id, `thanks @${author.userName}`);

      const hashtags = Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ');
      const mentions = Array.from({ length: 21 }, (_, i) => `@name${i}`).join(' ');
      expectProblem(
        await client.post('/api/v1/posts', { token, json: { photo: photoUrl(), caption: hashtags } }),
        400,
        'caption',
        'too-many-hashtags',
      );
      expectProblem(
        await client.patch(`/api/v1/posts/${post.id}`, { token, json: { caption: mentions } }),
        400,
        'caption',
        'too-many-mentions',
      );
      expectProblem(
        await client.post(`/api/v1/posts/${post.id}/comments`, { token, json: { text: mentions } }),
        400,
        'text',
        'too-many-mentions',
      );
      expectProblem(
        await client.post(`/api/v1/comments/${said.id}/replies`, { token, json: { text: mentions } }),
        400,
        'text',
        'too-many-mentions',
      );
    });

    it('reads a post: likedByMe only when authenticated; 404 unknown; 400 malformed', async () => {
      const client = api();
      const [author, reader] = [await signUp(client), await signUp(client)];
      const post = await createPost(client, author, 'hello');
      const anonymous = await client.get<Post>(`/api/v1/posts/${post.id}`);
      expectStatus(anonymous, 200);
      expect(anonymous.body).toEqual({ ...post, likedByMe: undefined });
      expect(anonymous.body).not.toHaveProperty('likedByMe');
      const authenticated = await client.get<Post>(`/api/v1/posts/${post.id}`, { token: reader.accessToken });
      expect(authenticated.body).toEqual({ ...post, likedByMe: false });
      expectProblem(await client.get(`/api/v1/posts/${unknownId()}`), 404);
      expectProblem(await client.get(`/api/v1/posts/${malformedId}`), 400);
    });

    it('edits a post: 200 for the author; 400 invalid; 403 for anyone else; 404 unknown', async () => {
      const client = api();
      const [author, other] = [await signUp(client), await signUp(client)];
      const post = await createPost(client, author, 'before');
      const photo = photoUrl();
      const edited = await client.patch<Post>(`/api/v1/posts/${post.id}`, {
        token: author.accessToken,
        json: { caption: '  after  ', photo },
      });
      expectStatus(edited, 200);
      expect(edited.body).toMatchObject({ id: post.id, caption: 'after', photo, createdAt: post.createdAt });
      expect(Date.parse(edited.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(post.updatedAt));
      const read = await client.get<Post>(`/api/v1/posts/${post.id}`);
      expect(read.body).toMatchObject({ caption: 'after', photo });

      expectProblem(
        await client.patch(`/api/v1/posts/${post.id}`, {
          token: author.accessToken,
          json: { caption: 'c'.repeat(2201) },
        }),
        400,
        'caption',
      );
      expectProblem(
        await client.patch(`/api/v1/posts/${post.id}`, {
          token: author.accessToken,
          json: { photo: 'nope' },
        }),
        400,
        'photo',
      );
      expectProblem(
        await client.patch(`/api/v1/posts/${post.id}`, {
          token: other.accessToken,
          json: { caption: 'mine now' },
        }),
        403,
      );
      expectProblem(
        await client.patch(`/api/v1/posts/${unknownId()}`, {
          token: author.accessToken,
          json: { caption: 'x' },
        }),
        404,
      );
      expectProblem(
        await client.patch(`/api/v1/posts/${malformedId}`, {
          token: author.accessToken,
          json: { caption: 'x' },
        }),
        400,
      );
      expectProblem(await client.patch(`/api/v1/posts/${post.id}`, { json: { caption: 'x' } }), 401);
      expect((await client.get<Post>(`/api/v1/posts/${post.id}`)).body.caption).toBe('after');
    });

    it('deletes a post: 403 for anyone else; 204 for the author; then 404 and gone from lists and counts', async () => {
      const client = api();
      const [author, other] = [await signUp(client), await signUp(client)];
      const kept = await createPost(client, author, 'kept');
      const post = await createPost(client, author, 'doomed');
      await comment(client, other, post.id, 'nice');
      expectProblem(await client.delete(`/api/v1/posts/${post.id}`, { token: other.accessToken }), 403);
      expectStatus(await client.delete(`/api/v1/posts/${post.id}`, { token: author.accessToken }), 204);

      expectProblem(await client.get(`/api/v1/posts/${post.id}`), 404);
      expectProblem(await client.delete(`/api/v1/posts/${post.id}`, { token: author.accessToken }), 404);
      expectProblem(
        await client.patch(`/api/v1/posts/${post.id}`, { token: author.accessToken, json: { caption: 'x' } }),
        404,
      );
      expectProblem(await client.put(`/api/v1/posts/${post.id}/like`, { token: other.accessToken }), 404);
      expectProblem(
        await client.post(`/api/v1/posts/${post.id}/comments`, {
          token: other.accessToken,
          json: { text: 'x' },
        }),
        404,
      );
      expectProblem(await client.get(`/api/v1/posts/${post.id}/comments`), 404);
      expectProblem(await client.get(`/api/v1/posts/${post.id}/likes`), 404);
      const list = await client.get<Page<Post>>(`/api/v1/users/${author.id}/posts`);
      expect(ids(list.body.items)).toEqual([kept.id]);
      expect((await client.get<Profile>(`/api/v1/users/${author.id}`)).body.postCount).toBe(1);
      expectProblem(await client.delete(`/api/v1/posts/${unknownId()}`, { token: author.accessToken }), 404);
      expectProblem(await client.delete(`/api/v1/posts/${malformedId}`, { token: author.accessToken }), 400);
      expectProblem(await client.delete(`/api/v1/posts/${kept.id}`), 401);
    });

    it('likes: PUT twice counts once, DELETE twice is 204, likers newest first, likedByMe; 404 unknown post', async () => {
      const client = api();
      const author = await signUp(client);
      const fans = [await signUp(client), await signUp(client), await signUp(client)];
      const post = await createPost(client, author);
      for (const fan of fans) {
        expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: fan.accessToken }), 204);
      }
      expectStatus(await client.put(`/api/v1/posts/${post.id}/like`, { token: fans[0]?.accessToken }), 204);
      const liked = await client.get<Post>(`/api/v1/posts/${post.id}`, { token: fans[0]?.accessToken });
      expect(liked.body).toMatchObject({ likesCount: 3, likedByMe: true });
      const byAuthor = await client.get<Post>(`/api/v1/posts/${post.id}`, { token: author.accessToken });
      expect(byAuthor.body.likedByMe).toBe(false);
      const likers = await client.get<Page<UserSummary>>(`/api/v1/posts/${post.id}/likes`);
      expect(likers.body).toEqual({ items: fans.map((fan) => fan.summary).reverse(), nextCursor: null });
      const paged = await allPages<UserSummary>(client, `/api/v1/posts/${post.id}/likes`, { limit: 1 });
      expect(ids(paged.items)).toEqual(ids(fans).reverse());

      expectStatus(
        await client.delete(`/api/v1/posts/${post.id}/like`, { token: fans[1]?.accessToken }),
        204,
      );
      expectStatus(
        await client.delete(`/api/v1/posts/${post.id}/like`, { token: fans[1]?.accessToken }),
        204,
      );
      expectStatus(await client.delete(`/api/v1/posts/${post.id}/like`, { token: author.accessToken }), 204);
      const after = await client.get<Post>(`/api/v1/posts/${post.id}`, { token: fans[1]?.accessToken });
      expect(after.body).toMatchObject({ likesCount: 2, likedByMe: false });
      const likersAfter = await client.get<Page<UserSummary>>(`/api/v1/posts/${post.id}/likes`);
      expect(ids(likersAfter.body.items)).toEqual([fans[2]?.id, fans[0]?.id]);

      for (const method of ['PUT', 'DELETE']) {
        expectProblem(
          await client.request(method, `/api/v1/posts/${unknownId()}/like`, { token: author.accessToken }),
          404,
        );
        expectProblem(
          await client.request(method, `/api/v1/posts/${malformedId}/like`, { token: author.accessToken }),
          400,
        );
        expectProblem(await client.request(method, `/api/v1/posts/${post.id}/like`), 401);
      }
      expectProblem(await client.get(`/api/v1/posts/${unknownId()}/likes`), 404);
    });

    it('comments: 201 trimmed, listed oldest first, counted; 400 empty; 404 unknown post; deletable by its author or the post author only', async () => {
      const client = api();
      const [author, alice, bob] = [await signUp(client), await signUp(client), await signUp(client)];
      const post = await createPost(client, author);
      const first = await comment(client, alice, post.id, '  first!  ');
      expect(first).toMatchObject({ postId: post.id, author: alice.summary, text: 'first!', replyCount: 0 });
      const second = await comment(client, bob, post.id, 'second');
      const third = await comment(client, alice, post.id, 'third');

      const list = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`);
      expectStatus(list, 200);
      expect(ids(list.body.items)).toEqual([first.id, second.id, third.id]);
      expect(list.body.items[0]).toEqual(first);
      const paged = await allPages<Comment>(client, `/api/v1/posts/${post.id}/comments`, { limit: 2 });
      expect(ids(paged.items)).toEqual([first.id, second.id, third.id]);
      expect((await client.get<Post>(`/api/v1/posts/${post.id}`)).body.commentsCount).toBe(3);

      for (const text of ['', '   ', 't'.repeat(2201)]) {
        expectProblem(
          await client.post(`/api/v1/posts/${post.id}/comments`, {
            token: alice.accessToken,
            json: { text },
          }),
          400,
          'text',
        );
      }
      expectProblem(
        await client.post(`/api/v1/posts/${unknownId()}/comments`, {
          token: alice.accessToken,
          json: { text: 'x' },
        }),
        404,
      );
      expectProblem(await client.post(`/api/v1/posts/${post.id}/comments`, { json: { text: 'x' } }), 401);
      expectProblem(await client.get(`/api/v1/posts/${unknownId()}/comments`), 404);

      // Bob may delete neither Alice's comment nor anything on a post that is not his.
      expectProblem(await client.delete(`/api/v1/comments/${first.id}`, { token: bob.accessToken }), 403);
      expectStatus(await client.delete(`/api/v1/comments/${first.id}`, { token: alice.accessToken }), 204);
      // The post's author may delete anyone's comment on it.
      expectStatus(await client.delete(`/api/v1/comments/${second.id}`, { token: author.accessToken }), 204);
      expectProblem(await client.delete(`/api/v1/comments/${first.id}`, { token: alice.accessToken }), 404);
      expectProblem(
        await client.delete(`/api/v1/comments/${unknownId()}`, { token: alice.accessToken }),
        404,
      );
      expectProblem(
        await client.delete(`/api/v1/comments/${malformedId}`, { token: alice.accessToken }),
        400,
      );
      expectProblem(await client.delete(`/api/v1/comments/${third.id}`), 401);

      const remaining = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`);
      expect(ids(remaining.body.items)).toEqual([third.id]);
      expect((await client.get<Post>(`/api/v1/posts/${post.id}`)).body.commentsCount).toBe(1);
    });

    it('replies: 201, oldest first, counted on the comment and not in commentsCount; deletable by its author or the post author; hidden with their comment or post', async () => {
      const client = api();
      const [author, alice, bob] = [await signUp(client), await signUp(client), await signUp(client)];
      const post = await createPost(client, author);
      const thread = await comment(client, alice, post.id, 'thread');
      const r1 = await reply(client, bob, thread.id, '  r1  ');
      expect(r1).toMatchObject({ commentId: thread.id, postId: post.id, author: bob.summary, text: 'r1' });
      const r2 = await reply(client, alice, thread.id, 'r2');
      const r3 = await reply(client, bob, thread.id, 'r3');

      const replies = await client.get<Page<Reply>>(`/api/v1/comments/${thread.id}/replies`);
      expectStatus(replies, 200);
      expect(ids(replies.body.items)).toEqual([r1.id, r2.id, r3.id]);
      expect(replies.body.items[0]).toEqual(r1);
      const paged = await allPages<Reply>(client, `/api/v1/comments/${thread.id}/replies`, { limit: 2 });
      expect(ids(paged.items)).toEqual([r1.id, r2.id, r3.id]);
      const comments = await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`);
      expect(comments.body.items[0]?.replyCount).toBe(3);
      expect((await client.get<Post>(`/api/v1/posts/${post.id}`)).body.commentsCount).toBe(1);

      expectProblem(
        await client.post(`/api/v1/comments/${thread.id}/replies`, {
          token: bob.accessToken,
          json: { text: ' ' },
        }),
        400,
        'text',
      );
      expectProblem(
        await client.post(`/api/v1/comments/${unknownId()}/replies`, {
          token: bob.accessToken,
          json: { text: 'x' },
        }),
        404,
      );
      expectProblem(
        await client.post(`/api/v1/comments/${malformedId}/replies`, {
          token: bob.accessToken,
          json: { text: 'x' },
        }),
        400,
      );
      expectProblem(await client.post(`/api/v1/comments/${thread.id}/replies`, { json: { text: 'x' } }), 401);
      expectProblem(await client.get(`/api/v1/comments/${unknownId()}/replies`), 404);

      // The comment's author is not the reply's author nor the post's: 403.
      expectProblem(await client.delete(`/api/v1/replies/${r1.id}`, { token: alice.accessToken }), 403);
      expectStatus(await client.delete(`/api/v1/replies/${r1.id}`, { token: bob.accessToken }), 204);
      expectStatus(await client.delete(`/api/v1/replies/${r2.id}`, { token: author.accessToken }), 204);
      expectProblem(await client.delete(`/api/v1/replies/${r1.id}`, { token: bob.accessToken }), 404);
      expectProblem(await client.delete(`/api/v1/replies/${unknownId()}`, { token: bob.accessToken }), 404);
      expectProblem(await client.delete(`/api/v1/replies/${malformedId}`, { token: bob.accessToken }), 400);
      expectProblem(await client.delete(`/api/v1/replies/${r3.id}`), 401);
      const left = await client.get<Page<Reply>>(`/api/v1/comments/${thread.id}/replies`);
      expect(ids(left.body.items)).toEqual([r3.id]);
      expect(
        (await client.get<Page<Comment>>(`/api/v1/posts/${post.id}/comments`)).body.items[0]?.replyCount,
      ).toBe(1);

      // Deleting a comment hides its replies; deleting a post hides its comments and their replies.
      const other = await comment(client, bob, post.id, 'other');
      const otherReply = await reply(client, alice, other.id, 'under other');
      expectStatus(await client.delete(`/api/v1/comments/${thread.id}`, { token: alice.accessToken }), 204);
      expectProblem(await client.get(`/api/v1/comments/${thread.id}/replies`), 404);
      expectProblem(await client.delete(`/api/v1/replies/${r3.id}`, { token: bob.accessToken }), 404);
      expectStatus(await client.delete(`/api/v1/posts/${post.id}`, { token: author.accessToken }), 204);
      expectProblem(await client.get(`/api/v1/comments/${other.id}/replies`), 404);
      expectProblem(
        await client.post(`/api/v1/comments/${other.id}/replies`, {
          token: bob.accessToken,
          json: { text: 'late' },
        }),
        404,
      );
      expectProblem(
        await client.delete(`/api/v1/replies/${otherReply.id}`, { token: alice.accessToken }),
        404,
      );
      expectProblem(await client.delete(`/api/v1/comments/${other.id}`, { token: bob.accessToken }), 404);
    });
  });
}
