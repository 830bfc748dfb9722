import type { EventMessage } from '@gram/messaging';
import { expect, it } from 'vitest';
import { notificationsConsumer } from '../src/consumer.js';
import { type NotificationEvent, NotificationProjector } from '../src/read-model/projector.js';
import { NotificationQueries, type NotificationView } from '../src/read-model/queries.js';
import type { NotificationStore } from '../src/store/port.js';
import { History, twiceShuffled } from './history.js';

/** Applies a history and answers what each account sees. */
export async function project(
  store: NotificationStore,
  events: History['events'],
  now = new Date('2026-01-01'),
) {
  const projector = new NotificationProjector(store);
  for (const event of events) await projector.apply(event);
  const queries = new NotificationQueries(store, undefined, () => now);
  return {
    queries,
    list: async (accountId: string) => (await queries.page(accountId, { limit: 100 })).items,
  };
}

/**
 * Applies a history as the Kafka consumer does with a batch handler: runs of `runSize` messages, each run's streams
 * side by side. Answers what each account sees.
 */
export async function projectInRuns(store: NotificationStore, events: History['events'], runSize: number) {
  const consumer = notificationsConsumer({
    projector: new NotificationProjector(store),
    concurrency: runSize,
  });
  const messages: EventMessage[] = events.map((event, i) => ({
    ...event,
    id: `${event.streamId}@${event.streamRevision}`,
    version: 1,
    position: i + 1,
    time: '2025-01-01T00:00:00.000Z',
  }));
  const applyRun = consumer.batchHandler as NonNullable<typeof consumer.batchHandler>;
  for (let start = 0; start < messages.length; start += runSize)
    await applyRun(messages.slice(start, start + runSize));
  const queries = new NotificationQueries(store, undefined, () => new Date('2026-01-01'));
  return {
    queries,
    list: async (accountId: string) => (await queries.page(accountId, { limit: 100 })).items,
  };
}

const actorNames = (n: NotificationView) => n.actors.map((actor) => actor.userName);

/**
 * The rules of API.md "Notifications" against one store: run on memory (unit) and on Redis with MongoDB (int).
 * `fresh` gives an empty store for each test.
 */
export function notificationRules(fresh: () => Promise<NotificationStore>): void {
  it('groups the likes of a post in one notification, its newest three actors first, counting all', async () => {
    const h = new History();
    const [a, b, c, d, e] = ['ann', 'bob', 'cat', 'dan', 'eve'].map((name) => h.register(name)) as string[];
    const post = h.post(a as string);
    for (const liker of [b, c, d, e]) h.like(post, a as string, liker as string);
    const { list } = await project(await fresh(), h.events);
    const [like, ...rest] = await list(a as string);
    expect(rest).toEqual([]);
    expect(like).toMatchObject({ type: 'like', actorCount: 4, read: false, post: { id: post } });
    expect(actorNames(like as NotificationView)).toEqual(['eve', 'dan', 'cat']);
  });

  it('moves a liked post to the top and makes it unread again', async () => {
    const h = new History();
    const [a, b, c, d] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    const first = h.post(a);
    const second = h.post(a);
    h.like(first, a, b);
    h.comment(second, a, c);
    const store = await fresh();
    const { queries } = await project(store, h.events);
    await queries.markRead(a, undefined);
    const laterFrom = h.events.length;
    h.advanceTo(Date.UTC(2026, 1, 1));
    h.like(first, a, d);
    const { list } = await project(store, h.events.slice(laterFrom));
    const items = await list(a);
    expect(items.map((n) => [n.type, n.read])).toEqual([
      ['like', false],
      ['comment', true],
    ]);
    expect(actorNames(items[0] as NotificationView)).toEqual(['dan', 'bob']);
  });

  it('takes an unliking actor back, and the notification with its last actor', async () => {
    const h = new History();
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
    const post = h.post(a);
    h.like(post, a, b);
    h.like(post, a, c);
    h.unlike(post, c);
    const store = await fresh();
    expect(
      (await (await project(store, h.events)).list(a)).map((n) => [n.actorCount, actorNames(n)]),
    ).toEqual([[1, ['bob']]]);
    const moreFrom = h.events.length;
    h.unlike(post, b);
    expect(await (await project(store, h.events.slice(moreFrom))).list(a)).toEqual([]);
  });

  it('changes nothing when an older event of a stream is delivered again after a newer one', async () => {
    const h = new History();
    const [a, b] = ['ann', 'bob'].map((name) => h.register(name)) as [string, string];
    const post = h.post(a);
    h.like(post, a, b);
    h.unlike(post, b);
    const liked = h.events.find((event) => event.type === 'PostLiked') as (typeof h.events)[number];
    expect(await (await project(await fresh(), [...h.events, liked])).list(a)).toEqual([]);
  });

  it('notifies nobody of their own acts', async () => {
    const h = new History();
    const a = h.register('ann');
    const post = h.post(a, [a]);
    h.like(post, a, a);
    const comment = h.comment(post, a, a, [a]);
    h.reply(comment, post, a, a, [a]);
    expect(await (await project(await fresh(), h.events)).list(a)).toEqual([]);
  });

  it('tells the post author of a comment with its text, and forgets it when the comment is deleted', async () => {
    const h = new History();
    const [a, b] = ['ann', 'bob'].map((name) => h.register(name)) as [string, string];
    const post = h.post(a);
    const comment = h.comment(post, a, b);
    const store = await fresh();
    const [n] = await (await project(store, h.events)).list(a);
    expect(n).toMatchObject({
      type: 'comment',
      comment: { id: comment, text: `comment ${comment.slice(-4)}` },
    });
    const laterFrom = h.events.length;
    h.deleteComment(comment, post, b);
    expect(await (await project(store, h.events.slice(laterFrom))).list(a)).toEqual([]);
  });

  it("tells a reply to the comment's author and the post's author, once when they are the same", async () => {
    const h = new History();
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
    const post = h.post(a);
    const byBob = h.comment(post, a, b);
    const byAnn = h.comment(post, a, a);
    const toBob = h.reply(byBob, post, a, c);
    h.reply(byAnn, post, a, c);
    // The reply arrives before its comment: the comment's author still hears of it.
    const replies = h.events.filter((event) => event.type === 'ReplyAdded');
    const others = h.events.filter((event) => event.type !== 'ReplyAdded');
    const { list } = await project(await fresh(), [...replies, ...others]);
    expect((await list(b)).map((n) => [n.type, n.comment?.id])).toEqual([['reply', toBob]]);
    expect((await list(a)).filter((n) => n.type === 'reply')).toHaveLength(2);
  });

  it('leaves no notification of a reply whose comment is deleted while the reply is applied (another partition)', async () => {
    const h = new History();
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
    const post = h.post(a);
    const comment = h.comment(post, a, b);
    h.reply(comment, post, a, c);
    h.deleteComment(comment, post, b);
    const [reply, deletion] = h.events.slice(-2) as [NotificationEvent, NotificationEvent];
    const store = await fresh();
    const projector = new NotificationProjector(store);
    // The reply reads its comment as live, then the deletion is applied in full before the reply writes.
    const comments = store.comments;
    store.comments = Object.assign(Object.create(comments), {
      get: async (id: string) => {
        const read = await comments.get(id);
        if (store.comments !== comments) {
          store.comments = comments;
          await projector.apply(deletion);
        }
        return read;
      },
    });
    const { list } = await project(store, h.events.slice(0, -2));
    await projector.apply(reply);
    expect(await list(a)).toEqual([]);
    expect(await list(b)).toEqual([]);
  });

  it('leaves no notification of a reply deleted while its comment reconciles it (another partition)', async () => {
    const h = new History();
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
    const post = h.post(a);
    const comment = h.comment(post, a, b);
    const reply = h.reply(comment, post, a, c);
    h.deleteReply(reply, comment, post, c);
    const [commentAdded, replyAdded, deletion] = h.events.slice(-3) as [
      NotificationEvent,
      NotificationEvent,
      NotificationEvent,
    ];
    const store = await fresh();
    const projector = new NotificationProjector(store);
    // The comment finds its reply as live, then the reply's deletion is applied in full before the comment writes.
    const replies = store.replies;
    store.replies = Object.assign(Object.create(replies), {
      find: async (field: string, value: string) => {
        const found = await replies.find(field, value);
        if (store.replies !== replies) {
          store.replies = replies;
          await projector.apply(deletion);
        }
        return found;
      },
    });
    const { list } = await project(store, [...h.events.slice(0, -3), replyAdded]);
    await projector.apply(commentAdded);
    expect((await list(a)).map((n) => n.type)).toEqual(['comment']);
    expect(await list(b)).toEqual([]);
  });

  it('tells a mentioned account, unless the post is one it may not read', async () => {
    const h = new History();
    const [a, b, c, d] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    h.goPrivate(a);
    h.follow(c, a);
    const post = h.post(a, [b, c]);
    const comment = h.comment(post, a, c, [d]);
    const open = h.post(d, [b]);
    const { list } = await project(await fresh(), h.events);
    expect((await list(b)).map((n) => [n.type, n.post?.id])).toEqual([['mention', open]]);
    expect((await list(c)).map((n) => [n.type, n.post?.id])).toEqual([['mention', post]]);
    expect(await list(d)).toEqual([]);
    h.goPrivate(a, false);
    const { list: after } = await project(await fresh(), h.events);
    expect((await after(d)).map((n) => [n.type, n.comment?.id])).toEqual([['mention', comment]]);
  });

  it('takes back the mentions an edited caption drops', async () => {
    const h = new History();
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
    const post = h.post(a, [b]);
    h.editCaption(post, a, [c]);
    const { list } = await project(await fresh(), h.events);
    expect(await list(b)).toEqual([]);
    expect(await list(c)).toHaveLength(1);
  });

  it('groups follows while the newest follow notification is unread, then starts a new one', async () => {
    const h = new History();
    const [a, b, c, d] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    h.follow(b, a);
    h.follow(c, a);
    const store = await fresh();
    const { queries, list } = await project(store, h.events);
    expect((await list(a)).map((n) => [n.type, n.actorCount])).toEqual([['follow', 2]]);
    await queries.markRead(a, undefined);
    const laterFrom = h.events.length;
    h.advanceTo(Date.UTC(2026, 1, 1));
    h.follow(d, a);
    h.unfollow(c, a);
    const items = await (await project(store, h.events.slice(laterFrom))).list(a);
    expect(items.map((n) => [n.type, actorNames(n), n.read])).toEqual([
      ['follow', ['dan'], false],
      ['follow', ['bob'], true],
    ]);
  });

  it('keeps a follow request until answered, then tells the requester of the acceptance', async () => {
    const h = new History();
    const [a, b, c, d] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    h.goPrivate(a);
    h.requestFollow(b, a);
    h.requestFollow(c, a);
    h.requestFollow(d, a);
    const store = await fresh();
    expect((await (await project(store, h.events)).list(a)).map((n) => n.type)).toEqual([
      'follow_request',
      'follow_request',
      'follow_request',
    ]);
    const answersFrom = h.events.length;
    h.acceptRequest(a, b);
    h.declineRequest(a, c);
    h.withdrawRequest(d, a);
    const { list } = await project(store, h.events.slice(answersFrom));
    expect((await list(a)).map((n) => [n.type, actorNames(n)])).toEqual([['follow', ['bob']]]);
    expect((await list(b)).map((n) => [n.type, actorNames(n)])).toEqual([['follow_accepted', ['ann']]]);
    expect(await list(c)).toEqual([]);
  });

  it('shows nothing of a muted account, nor of one in a block either way, until undone', async () => {
    const h = new History();
    const [a, b, c, d] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    const post = h.post(a);
    h.like(post, a, b);
    h.like(post, a, c);
    h.follow(d, a);
    h.mute(a, b);
    h.block(d, a);
    const store = await fresh();
    const { list, queries } = await project(store, h.events);
    expect((await list(a)).map((n) => [n.type, actorNames(n), n.actorCount])).toEqual([['like', ['cat'], 1]]);
    expect(await queries.unreadCount(a)).toBe(1);
    const undoFrom = h.events.length;
    h.mute(a, b, false);
    h.block(d, a, false);
    expect((await (await project(store, h.events.slice(undoFrom))).list(a)).map((n) => n.actorCount)).toEqual(
      [1, 2],
    );
  });

  it('removes what a deleted post or account caused, and a late act of a deleted account notifies nobody', async () => {
    const h = new History();
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.register(name)) as [string, string, string];
    const gone = h.post(a);
    const kept = h.post(a);
    h.like(gone, a, b);
    h.comment(gone, a, c);
    h.like(kept, a, b);
    h.like(kept, a, c);
    h.follow(c, a);
    h.deletePost(gone, a);
    h.deleteUser(c);
    // A like of the deleted account that arrives after its deletion (another stream, another partition).
    const late = h.events.findIndex(
      (e) => e.type === 'PostLiked' && (e.data as { userId: string }).userId === c,
    );
    const events = [
      ...h.events.slice(0, late),
      ...h.events.slice(late + 1),
      h.events[late] as (typeof h.events)[number],
    ];
    const { list } = await project(await fresh(), events);
    expect((await list(a)).map((n) => [n.type, actorNames(n)])).toEqual([['like', ['bob']]]);
  });

  it('counts the unread and marks read up to a notification, or all', async () => {
    const h = new History();
    const [a, b, c, d] = ['ann', 'bob', 'cat', 'dan'].map((name) => h.register(name)) as [
      string,
      string,
      string,
      string,
    ];
    h.follow(b, a);
    h.like(h.post(a), a, c);
    h.comment(h.post(a), a, d);
    const { queries, list } = await project(await fresh(), h.events);
    expect(await queries.unreadCount(a)).toBe(3);
    const [, middle] = await list(a);
    await queries.markRead(a, (middle as NotificationView).id);
    expect((await list(a)).map((n) => n.read)).toEqual([false, true, true]);
    expect(await queries.unreadCount(a)).toBe(1);
    await expect(queries.markRead(b, (middle as NotificationView).id)).rejects.toThrow('no notification');
    await queries.markRead(a, undefined);
    expect(await queries.unreadCount(a)).toBe(0);
  });

  it('pages newest first with a cursor', async () => {
    const h = new History();
    const a = h.register('ann');
    const followers = Array.from({ length: 5 }, (_, i) => h.register(`u${i}`));
    for (const f of followers) h.comment(h.post(a), a, f);
    const { queries } = await project(await fresh(), h.events);
    const first = await queries.page(a, { limit: 3 });
    const second = await queries.page(a, { limit: 3, cursor: first.nextCursor as string });
    expect([...first.items, ...second.items].map((n) => n.actors[0]?.userName)).toEqual([
      'u4',
      'u3',
      'u2',
      'u1',
      'u0',
    ]);
    expect(second.nextCursor).toBeNull();
  });

  it('converges to the same notifications and unread counts with every event twice, streams shuffled', async () => {
    const { h, users, projectMarked } = mixedHistory(fresh);
    const once = await projectMarked(h.events);
    const expected = await Promise.all(users.map((user) => once.list(user)));
    const unread = (items: NotificationView[]) => items.filter((n) => !n.read).length;
    for (const seed of [1, 2, 3]) {
      const shuffled = await projectMarked(twiceShuffled(h.events, seed));
      const seen = await Promise.all(users.map((user) => shuffled.list(user)));
      expect(withoutFollowIds(seen), `seed ${seed}`).toEqual(withoutFollowIds(expected));
      // No count is stored: the unread count is the unread notifications shown, counted when asked.
      const counts = await Promise.all(users.map((user) => shuffled.queries.unreadCount(user)));
      expect(counts, `seed ${seed}`).toEqual(seen.map(unread));
    }
    expect(expected.flat().length).toBeGreaterThan(5);
    expect(expected.map(unread)[0]).toBeGreaterThan(0);
    expect(expected[0]?.some((n) => n.read)).toBe(true);
  });

  it("gives the same notifications when a run's streams are applied side by side, every event twice, shuffled", async () => {
    const { h, users, projectMarked, prepare } = mixedHistory(fresh);
    const once = await projectMarked(h.events);
    const expected = await Promise.all(users.map((user) => once.list(user)));
    for (const [seed, runSize] of [
      [1, 7],
      [2, 1_000],
      [3, 1_000],
    ] as const) {
      const inRuns = await projectInRuns(await prepare(), twiceShuffled(h.events, seed), runSize);
      const seen = await Promise.all(users.map((user) => inRuns.list(user)));
      expect(withoutFollowIds(seen), `seed ${seed}, runs of ${runSize}`).toEqual(withoutFollowIds(expected));
      const counts = await Promise.all(users.map((user) => inRuns.queries.unreadCount(user)));
      expect(counts, `seed ${seed}, runs of ${runSize}`).toEqual(
        seen.map((items) => items.filter((n) => !n.read).length),
      );
    }
  });
}

/** Follow notifications are named after the follow that started them: compare them without their ids. */
const withoutFollowIds = (lists: NotificationView[][]) =>
  lists.map((items) => items.map((n) => (n.type === 'follow' ? { ...n, id: 'follow' } : n)));

/**
 * A history touching every rule (mentions, likes and unlikes, many likes of one post, comments, replies, follows
 * and requests, mutes, blocks, a deleted account), its accounts, and a fresh store where the first account read hers up to the first
 * like: her later notifications are unread, her earlier ones read.
 */
function mixedHistory(fresh: () => Promise<NotificationStore>) {
  const h = new History();
  const users = ['ann', 'bob', 'cat', 'dan', 'eve'].map((name) => h.register(name)) as string[];
  const [a, b, c, d, e] = users as [string, string, string, string, string];
  h.goPrivate(e);
  const p1 = h.post(a, [b, e]);
  const p2 = h.post(e, [a, c]);
  h.follow(c, a);
  h.follow(d, a);
  h.requestFollow(a, e);
  h.acceptRequest(e, a);
  h.requestFollow(b, e);
  h.like(p1, a, b);
  h.like(p1, a, c);
  h.unlike(p1, c);
  h.like(p1, a, d);
  h.like(p2, e, a);
  // Likes of one post by many: streams of their own writing one notification, side by side in a run.
  for (let i = 0; i < 8; i++) h.like(p1, a, h.register(`fan${i}`));
  const c1 = h.comment(p1, a, b, [c]);
  const r1 = h.reply(c1, p1, a, c, [d]);
  h.reply(c1, p1, a, d);
  h.deleteReply(r1, c1, p1, c);
  h.comment(p2, e, a, [b]);
  h.mute(a, d);
  h.block(b, c);
  h.unfollow(d, a);
  h.deleteUser(c);
  const firstLike = h.events.find((event) => event.type === 'PostLiked') as History['events'][number];
  const readUpTo = (firstLike.data as { likedAt: string }).likedAt;
  const prepare = async () => {
    const store = await fresh();
    await store.marks.update(a, () => ({ _id: a, readUpTo }));
    return store;
  };
  const projectMarked = async (events: History['events']) => project(await prepare(), events);
  return { h, users, projectMarked, prepare };
}
