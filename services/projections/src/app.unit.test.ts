import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { messagesOf } from '../test/deliveries.js';
import { HistoryBuilder } from '../test/history.js';
import { buildProjectionsApp, fixedReadModels } from './app.js';
import { Projector } from './projection/projector.js';
import { counters } from './read-models/registry.js';
import { createMemoryReadModelStore } from './store/memory.js';

const tokens = await createTestTokenIssuer();

/** A history, projected into memory, behind the query API; `more` appends and projects further events. */
function scenario(options: { hotAuthorThreshold?: number; start?: number } = {}) {
  const h = new HistoryBuilder(options.start);
  const store = createMemoryReadModelStore({ counters });
  const projector = new Projector(store, options);
  const app = buildProjectionsApp({ readModels: fixedReadModels(store), verifier: tokens.verifier });
  let projected = 0;
  const sync = async () => {
    for (const message of messagesOf(h.events.slice(projected))) await projector.handle(message);
    projected = h.events.length;
  };
  const get = async (url: string, as?: string) => {
    await sync();
    const headers = as ? { authorization: `Bearer ${await tokens.mint(as)}` } : {};
    return app.inject({ method: 'GET', url, headers });
  };
  return { h, get, app };
}

describe('query API', () => {
  let s: ReturnType<typeof scenario>;
  let ann: string;
  let bob: string;
  let cat: string;
  beforeEach(() => {
    s = scenario();
    ann = s.h.register('Ann');
    bob = s.h.register('bob');
    cat = s.h.register('cat');
  });

  it('answers /health', async () => {
    const res = await s.get('/health');
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves a profile with its counts, by id and by userName case-insensitively, followedByMe when authenticated', async () => {
    s.h.follow(bob, ann);
    s.h.follow(cat, ann);
    s.h.follow(ann, bob);
    s.h.post(ann);
    s.h.updateProfile(ann, { name: 'Ann A.', bio: 'hi' });
    const anonymous = await s.get(`/api/v1/users/${ann}`);
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toMatchObject({
      id: ann,
      userName: 'Ann',
      name: 'Ann A.',
      bio: 'hi',
      followersCount: 2,
      followingCount: 1,
      postCount: 1,
    });
    expect(anonymous.json()).not.toHaveProperty('followedByMe');
    expect((await s.get('/api/v1/users/by-username/ann', bob)).json()).toMatchObject({
      id: ann,
      followedByMe: true,
    });
    expect((await s.get(`/api/v1/users/${ann}`, ann)).json()).toMatchObject({ followedByMe: false });
    expect((await s.get('/api/v1/users/me', bob)).json()).toMatchObject({ id: bob, followingCount: 1 });
  });

  it('shows isPrivate on every profile: false until the account turns private', async () => {
    expect((await s.get(`/api/v1/users/${ann}`)).json()).toMatchObject({ isPrivate: false });
    s.h.updateProfile(ann, { isPrivate: true });
    expect((await s.get(`/api/v1/users/${ann}`)).json()).toMatchObject({ isPrivate: true });
    expect((await s.get('/api/v1/users/me', ann)).json()).toMatchObject({ isPrivate: true });
  });

  it('lists pending follow requests newest first, with requestedByMe and followsMe on profiles', async () => {
    s.h.updateProfile(ann, { isPrivate: true });
    s.h.requestFollow(bob, ann);
    s.h.requestFollow(cat, ann);
    s.h.follow(ann, bob);
    const page = (await s.get('/api/v1/users/me/follow-requests', ann)).json();
    expect(page).toEqual({
      items: [
        { user: expect.objectContaining({ id: cat }), requestedAt: expect.any(String) },
        { user: expect.objectContaining({ id: bob }), requestedAt: expect.any(String) },
      ],
      nextCursor: null,
    });
    expect((await s.get(`/api/v1/users/${ann}`, bob)).json()).toMatchObject({
      followedByMe: false,
      requestedByMe: true,
      followsMe: true,
      followersCount: 0,
    });
    s.h.acceptRequest(ann, bob);
    s.h.declineRequest(ann, cat);
    expect((await s.get('/api/v1/users/me/follow-requests', ann)).json().items).toEqual([]);
    expect((await s.get(`/api/v1/users/${ann}`, bob)).json()).toMatchObject({
      followedByMe: true,
      requestedByMe: false,
      followersCount: 1,
    });
    expect((await s.get('/api/v1/users/me/follow-requests')).statusCode).toBe(401);
  });

  it("answers 403 private-account for a private account's posts, lists, a post and what is under it, to anyone but itself and its approved followers", async () => {
    const post = s.h.post(ann, 'private sunset');
    const comment = s.h.comment(post, ann, ann, 'mine');
    s.h.follow(bob, ann);
    s.h.updateProfile(ann, { isPrivate: true });
    s.h.requestFollow(cat, ann);
    const reads = [
      `/api/v1/users/${ann}/posts`,
      `/api/v1/users/${ann}/followers`,
      `/api/v1/users/${ann}/following`,
      `/api/v1/posts/${post}`,
      `/api/v1/posts/${post}/likes`,
      `/api/v1/posts/${post}/comments`,
      `/api/v1/comments/${comment}/replies`,
    ];
    for (const url of reads) {
      for (const viewer of [undefined, cat]) {
        const refused = await s.get(url, viewer);
        expect(refused.statusCode, `${url} as ${viewer}`).toBe(403);
        expect(refused.json()).toMatchObject({ status: 403, code: 'private-account' });
      }
      expect((await s.get(url, bob)).statusCode, `${url} as a follower`).toBe(200);
      expect((await s.get(url, ann)).statusCode, `${url} as the account`).toBe(200);
    }
    expect((await s.get(`/api/v1/users/${ann}`, cat)).json()).toMatchObject({
      isPrivate: true,
      followersCount: 1,
      postCount: 1,
    });
    // Removing a follower ends its access and takes the account's posts out of its feed.
    expect((await s.get('/api/v1/feed', bob)).json().items.map((p: { id: string }) => p.id)).toEqual([post]);
    s.h.removeFollower(ann, bob);
    expect((await s.get(`/api/v1/users/${ann}/posts`, bob)).statusCode).toBe(403);
    expect((await s.get('/api/v1/feed', bob)).json().items).toEqual([]);
    // Accepting brings the account's recent posts into the requester's feed.
    s.h.acceptRequest(ann, cat);
    expect((await s.get('/api/v1/feed', cat)).json().items.map((p: { id: string }) => p.id)).toEqual([post]);
  });

  it('answers a blocked account 404 for everything of the blocker, the blocker 200 blockedByMe on the profile and 403 blocked for the rest, and lists the blocks to the blocker alone, newest first', async () => {
    const annPost = s.h.post(ann);
    const bobPost = s.h.post(bob);
    const annComment = s.h.comment(annPost, ann, cat);
    const bobComment = s.h.comment(bobPost, bob, cat);
    s.h.block(ann, cat);
    s.h.block(ann, bob);
    const contentOf = (userId: string, post: string, comment: string) => [
      `/api/v1/users/${userId}/posts`,
      `/api/v1/users/${userId}/followers`,
      `/api/v1/users/${userId}/following`,
      `/api/v1/posts/${post}`,
      `/api/v1/posts/${post}/likes`,
      `/api/v1/posts/${post}/comments`,
      `/api/v1/comments/${comment}/replies`,
    ];
    for (const url of [
      `/api/v1/users/${ann}`,
      '/api/v1/users/by-username/ann',
      ...contentOf(ann, annPost, annComment),
    ]) {
      const hidden = await s.get(url, bob);
      expect(hidden.statusCode, `${url} as the blocked account`).toBe(404);
      expect((await s.get(url)).statusCode, `${url} anonymously`).toBe(200);
    }
    for (const url of contentOf(bob, bobPost, bobComment)) {
      const refused = await s.get(url, ann);
      expect(refused.statusCode, `${url} as the blocker`).toBe(403);
      expect(refused.json()).toMatchObject({ status: 403, code: 'blocked' });
    }
    // Under a third account's post, a comment of either is the other's no more than its post would be.
    const dan = s.h.register('dan');
    const danPost = s.h.post(dan);
    const annOnDan = s.h.comment(danPost, dan, ann);
    const bobOnDan = s.h.comment(danPost, dan, bob);
    expect((await s.get(`/api/v1/comments/${annOnDan}/replies`, bob)).statusCode).toBe(404);
    const refused = await s.get(`/api/v1/comments/${bobOnDan}/replies`, ann);
    expect(refused.json()).toMatchObject({ status: 403, code: 'blocked' });
    expect((await s.get(`/api/v1/comments/${bobOnDan}/replies`, dan)).statusCode).toBe(200);
    expect((await s.get(`/api/v1/posts/${danPost}/comments`, bob)).json().items).toEqual([
      expect.objectContaining({ id: bobOnDan }),
    ]);
    const blocked = await s.get(`/api/v1/users/${bob}`, ann);
    expect(blocked.statusCode).toBe(200);
    expect(blocked.json()).toMatchObject({ id: bob, blockedByMe: true });
    expect((await s.get(`/api/v1/users/${bob}`, cat)).json()).toMatchObject({ blockedByMe: false });
    expect((await s.get(`/api/v1/users/${bob}`)).json()).not.toHaveProperty('blockedByMe');
    const blocks = await s.get('/api/v1/users/me/blocks', ann);
    expect(blocks.statusCode).toBe(200);
    expect(blocks.json().items.map((u: { id: string }) => u.id)).toEqual([bob, cat]);
    expect(blocks.json().items[0]).toEqual({
      id: bob,
      userName: 'bob',
      name: 'bob',
      profilePic: expect.any(String),
    });
    expect((await s.get('/api/v1/users/me/blocks', bob)).json()).toEqual({ items: [], nextCursor: null });
    expect((await s.get('/api/v1/users/me/blocks')).statusCode).toBe(401);
    s.h.unblock(ann, bob);
    expect((await s.get(`/api/v1/users/${ann}`, bob)).statusCode).toBe(200);
    expect(
      (await s.get('/api/v1/users/me/blocks', ann)).json().items.map((u: { id: string }) => u.id),
    ).toEqual([cat]);
  });

  it('leaves out of my follow requests an account I block, before the decline of its request arrives', async () => {
    s.h.updateProfile(ann, { isPrivate: true });
    s.h.requestFollow(bob, ann);
    s.h.requestFollow(cat, ann);
    s.h.block(ann, bob);
    const requests = (await s.get('/api/v1/users/me/follow-requests', ann)).json();
    expect(requests.items.map((r: { user: { id: string } }) => r.user.id)).toEqual([cat]);
  });

  it('answers a tag in any case and Unicode form with its postCount, 400 for what is not a hashtag and 404 for a tag no shown post carries', async () => {
    s.h.post(ann, 'morning #Café');
    s.h.post(bob, 'evening #CAFE\u0301');
    const found = await s.get(`/api/v1/tags/${encodeURIComponent('CAFÉ')}`);
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ name: 'café', postCount: 2 });
    for (const tag of ['%23cafe', 'two%20words', 'x'.repeat(101), 'caf%C3%A9-au-lait']) {
      const refused = await s.get(`/api/v1/tags/${tag}`);
      expect(refused.statusCode, tag).toBe(400);
      expect(refused.json().errors?.[0]?.field ?? refused.json().code, tag).toBeDefined();
    }
    expect((await s.get('/api/v1/tags/nothing')).statusCode).toBe(404);
    expect((await s.get('/api/v1/tags/nothing/posts')).statusCode).toBe(404);
  });

  it('lists a tag page recent by default and top on request, with hashtags and mentions, and 400 for an unknown order', async () => {
    const older = s.h.post(ann, 'old #sun @bob', [bob]);
    const newer = s.h.post(bob, 'new #sun');
    s.h.like(older, ann, cat);
    const recent = await s.get('/api/v1/tags/sun/posts');
    expect(recent.statusCode).toBe(200);
    expect(recent.json().items.map((post: { id: string }) => post.id)).toEqual([newer, older]);
    const top = (await s.get('/api/v1/tags/SUN/posts?order=top', cat)).json();
    expect(top.items.map((post: { id: string }) => post.id)).toEqual([older, newer]);
    expect(top.items[0]).toMatchObject({
      hashtags: ['sun'],
      mentions: [{ id: bob, userName: 'bob' }],
      likedByMe: true,
    });
    const refused = await s.get('/api/v1/tags/sun/posts?order=best');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('validation');
  });

  it('answers explore to anyone, 400 for a cursor it did not issue, and 400 cursor-expired for a frozen ranking it no longer keeps', async () => {
    // Explore counts its 30 days back from the wall clock: a history of today.
    s = scenario({ start: Date.now() });
    ann = s.h.register('ann');
    bob = s.h.register('bob');
    cat = s.h.register('cat');
    s.h.post(ann);
    s.h.post(bob);
    s.h.post(cat);
    const anonymous = await s.get('/api/v1/explore?limit=1');
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json().items).toHaveLength(1);
    expect((await s.get('/api/v1/explore', ann)).json().items).toHaveLength(2);
    expect((await s.get('/api/v1/explore?cursor=nonsense')).statusCode).toBe(400);
    const forgotten = Buffer.from(JSON.stringify([1, 'no-such-snapshot'])).toString('base64url');
    const expired = await s.get(`/api/v1/explore?cursor=${forgotten}`);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().code).toBe('cursor-expired');
  });

  it('answers 400 for a malformed id, limit or cursor, 404 for an unknown user, 401 for /users/me and /feed without a token', async () => {
    expect((await s.get('/api/v1/users/not-a-uuid')).statusCode).toBe(400);
    expect((await s.get(`/api/v1/users/${ann}/followers?limit=101`)).statusCode).toBe(400);
    expect((await s.get(`/api/v1/users/${ann}/followers?cursor=xyz`)).statusCode).toBe(400);
    const unknown = await s.get('/api/v1/users/0190a000-0000-7000-8000-000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await s.get('/api/v1/users/by-username/nobody')).statusCode).toBe(404);
    expect((await s.get('/api/v1/users/me')).statusCode).toBe(401);
    expect((await s.get('/api/v1/feed')).statusCode).toBe(401);
  });

  it('lists followers and following newest follow first, paging by cursor', async () => {
    s.h.follow(bob, ann);
    s.h.follow(cat, ann);
    const first = (await s.get(`/api/v1/users/${ann}/followers?limit=1`)).json();
    expect(first.items.map((u: { id: string }) => u.id)).toEqual([cat]);
    const second = (await s.get(`/api/v1/users/${ann}/followers?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second).toEqual({
      items: [{ id: bob, userName: 'bob', name: 'bob', profilePic: expect.any(String) }],
      nextCursor: null,
    });
    expect(
      (await s.get(`/api/v1/users/${bob}/following`)).json().items.map((u: { id: string }) => u.id),
    ).toEqual([ann]);
  });

  it('serves posts with like and comment counts and likedByMe, likers newest first, comments and replies oldest first', async () => {
    const post = s.h.post(ann, 'sunset');
    s.h.like(post, ann, bob);
    s.h.like(post, ann, cat);
    s.h.unlike(post, cat);
    s.h.like(post, ann, cat);
    const c1 = s.h.comment(post, ann, bob, 'first');
    const c2 = s.h.comment(post, ann, cat, 'second');
    s.h.reply(c1, post, ann, ann, 'thanks');
    s.h.reply(c1, post, ann, cat, 'me too');
    s.h.deleteComment(c2, post, ann);
    expect((await s.get(`/api/v1/posts/${post}`, bob)).json()).toMatchObject({
      id: post,
      caption: 'sunset',
      author: { id: ann, userName: 'Ann' },
      likesCount: 2,
      commentsCount: 1,
      likedByMe: true,
    });
    expect((await s.get(`/api/v1/posts/${post}`, ann)).json().likedByMe).toBe(false);
    expect(
      (await s.get(`/api/v1/posts/${post}/likes`)).json().items.map((u: { id: string }) => u.id),
    ).toEqual([cat, bob]);
    const comments = (await s.get(`/api/v1/posts/${post}/comments`)).json();
    expect(comments.items).toEqual([
      expect.objectContaining({
        id: c1,
        postId: post,
        text: 'first',
        replyCount: 2,
        author: expect.objectContaining({ id: bob }),
      }),
    ]);
    const replies = (await s.get(`/api/v1/comments/${c1}/replies`)).json();
    expect(replies.items.map((r: { text: string }) => r.text)).toEqual(['thanks', 'me too']);
    expect((await s.get(`/api/v1/comments/${c2}/replies`)).statusCode).toBe(404);
    expect((await s.get(`/api/v1/users/${ann}/posts`)).json().items.map((p: { id: string }) => p.id)).toEqual(
      [post],
    );
  });

  it('a deleted post answers 404 and hides its comments and replies', async () => {
    const post = s.h.post(ann);
    const comment = s.h.comment(post, ann, bob);
    s.h.deletePost(post, ann);
    expect((await s.get(`/api/v1/posts/${post}`)).statusCode).toBe(404);
    expect((await s.get(`/api/v1/posts/${post}/comments`)).statusCode).toBe(404);
    expect((await s.get(`/api/v1/comments/${comment}/replies`)).statusCode).toBe(404);
    expect((await s.get(`/api/v1/users/${ann}`)).json().postCount).toBe(0);
  });

  it("a deleted account's profile and posts answer 404, its token 401, and others' counts no longer count it", async () => {
    s.h.follow(bob, ann);
    s.h.follow(ann, cat);
    const annPost = s.h.post(ann);
    const catPost = s.h.post(cat);
    s.h.like(catPost, cat, ann);
    s.h.like(catPost, cat, bob);
    const comment = s.h.comment(catPost, cat, ann);
    s.h.comment(catPost, cat, bob);
    s.h.reply(comment, catPost, cat, bob);
    s.h.deleteUser(ann);
    expect((await s.get(`/api/v1/users/${ann}`)).statusCode).toBe(404);
    expect((await s.get(`/api/v1/posts/${annPost}`)).statusCode).toBe(404);
    expect((await s.get(`/api/v1/users/${bob}`, ann)).statusCode).toBe(401);
    expect((await s.get(`/api/v1/users/${bob}`)).json().followingCount).toBe(0);
    expect((await s.get(`/api/v1/users/${cat}`)).json().followersCount).toBe(0);
    expect((await s.get(`/api/v1/posts/${catPost}`)).json()).toMatchObject({
      likesCount: 1,
      commentsCount: 1,
    });
    expect(
      (await s.get(`/api/v1/posts/${catPost}/likes`)).json().items.map((u: { id: string }) => u.id),
    ).toEqual([bob]);
    expect((await s.get(`/api/v1/comments/${comment}/replies`)).statusCode).toBe(404);
    expect((await s.get('/api/v1/feed', bob)).json().items).toEqual([]);
  });
});

describe('home feed', () => {
  const ids = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((p) => p.id);

  it('holds my own posts and those of the accounts I follow, newest first; following brings recent posts in, unfollowing takes them out', async () => {
    const s = scenario();
    const me = s.h.register('myself');
    const ann = s.h.register('ann');
    const bob = s.h.register('bob');
    const annOld = s.h.post(ann);
    const mine = s.h.post(me);
    s.h.follow(me, ann);
    s.h.follow(me, bob);
    const bobPost = s.h.post(bob);
    expect(ids(await s.get('/api/v1/feed', me))).toEqual([bobPost, mine, annOld]);
    s.h.unfollow(me, ann);
    expect(ids(await s.get('/api/v1/feed', me))).toEqual([bobPost, mine]);
    s.h.deletePost(bobPost, bob);
    expect(ids(await s.get('/api/v1/feed', me))).toEqual([mine]);
  });

  it('pages by cursor without repeating or skipping while new posts arrive', async () => {
    const s = scenario();
    const me = s.h.register('myself');
    const ann = s.h.register('ann');
    s.h.follow(me, ann);
    const posts = Array.from({ length: 5 }, () => s.h.post(ann)).reverse();
    const first = await s.get('/api/v1/feed?limit=2', me);
    expect(ids(first)).toEqual(posts.slice(0, 2));
    s.h.post(ann);
    s.h.post(me);
    const second = await s.get(`/api/v1/feed?limit=2&cursor=${first.json().nextCursor}`, me);
    expect(ids(second)).toEqual(posts.slice(2, 4));
    const third = await s.get(`/api/v1/feed?limit=2&cursor=${second.json().nextCursor}`, me);
    expect(third.json()).toEqual({ items: [expect.objectContaining({ id: posts[4] })], nextCursor: null });
  });

  it("merges a hot author's posts at read time instead of fanning them out", async () => {
    const s = scenario({ hotAuthorThreshold: 2 });
    const star = s.h.register('star');
    const fans = ['fan1', 'fan2', 'fan3'].map((name) => s.h.register(name));
    for (const fan of fans) s.h.follow(fan, star);
    const mine = s.h.post(fans[0] as string);
    const hot = s.h.post(star);
    expect(ids(await s.get('/api/v1/feed', fans[0]))).toEqual([hot, mine]);
    expect(ids(await s.get('/api/v1/feed', fans[1]))).toEqual([hot]);
    expect(ids(await s.get('/api/v1/feed', star))).toEqual([hot]);
    s.h.unfollow(fans[1] as string, star);
    expect(ids(await s.get('/api/v1/feed', fans[1]))).toEqual([]);
  });

  it('serves its OpenAPI document', async () => {
    const s = scenario();
    const doc = (await s.get('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/feed', '/api/v1/users/{userId}/followers']),
    );
  });
});
