import { createHash, randomUUID } from 'node:crypto';
import type { EventStore, NewEvent } from '@gram/event-store';
import { type DomainEvent, streamIds, toStoredEvent } from '@gram/events';

/** A realistic slice of the domain's history, with every private event a signup and a login write. */
export interface Account {
  userId: string;
  userName: string;
  email: string;
  phoneNo: string;
  passwordHash: string;
  refreshTokenHash: string;
}

const at = () => new Date().toISOString();
const stored = (event: DomainEvent): NewEvent => toStoredEvent(event);

export function newAccount(i: number): Account {
  const secret = randomUUID().replace(/-/g, '');
  return {
    userId: randomUUID(),
    userName: `user_${i}_${secret.slice(0, 6)}`,
    email: `mail.${secret.slice(0, 12)}@example-${secret.slice(12, 18)}.org`,
    phoneNo: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
    passwordHash: `scrypt$N=16384,r=8,p=1$${secret.slice(0, 16)}salt$${secret.slice(16)}hashvalue${i}`,
    refreshTokenHash: `sha256$${randomUUID().replace(/-/g, '')}`,
  };
}

/** Signup as identity writes it: reservations, then the user stream with its public and private events. */
export async function signUp(store: EventStore, account: Account): Promise<void> {
  const { userId } = account;
  for (const [kind, value] of [
    ['userName', account.userName],
    ['email', account.email],
    ['phoneNo', account.phoneNo],
  ] as const) {
    // Identity hashes the normalized value into the stream id, so the value itself never appears in it.
    const key = createHash('sha256').update(`${kind}:${value.toLowerCase()}`).digest('hex');
    await store.appendToStream(
      streamIds.reservation(kind, key),
      [stored({ type: 'UniqueValueReserved', data: { kind, userId, reservedAt: at() } })],
      { expectedRevision: 'no_stream' },
    );
  }
  await store.appendToStream(
    streamIds.user(userId),
    [
      stored({
        type: 'UserRegistered',
        data: {
          userId,
          userName: account.userName,
          name: `Name ${account.userName}`,
          bio: 'hello',
          profilePic: 'https://cdn.example.com/p.png',
          registeredAt: at(),
        },
      }),
      stored({
        type: 'AccountCredentialsSet',
        data: {
          userId,
          email: account.email,
          phoneNo: account.phoneNo,
          passwordHash: account.passwordHash,
          setAt: at(),
        },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  const sessionId = randomUUID();
  await store.appendToStream(
    streamIds.session(sessionId),
    [
      stored({
        type: 'SessionStarted',
        data: {
          sessionId,
          userId,
          refreshTokenHash: account.refreshTokenHash,
          startedAt: at(),
          expiresAt: at(),
        },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
}

export async function createPost(store: EventStore, authorId: string): Promise<string> {
  const postId = randomUUID();
  await store.appendToStream(
    streamIds.post(postId),
    [
      stored({
        type: 'PostCreated',
        data: {
          postId,
          authorId,
          photo: 'https://cdn.example.com/x.jpg',
          caption: 'sunset',
          createdAt: at(),
        },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  return postId;
}

export async function like(store: EventStore, postId: string, postAuthorId: string, userId: string) {
  return store.appendToStream(
    streamIds.like(postId, userId),
    [stored({ type: 'PostLiked', data: { postId, userId, postAuthorId, likedAt: at() } })],
    { expectedRevision: 'any' },
  );
}

export async function follow(store: EventStore, followerId: string, followeeId: string) {
  return store.appendToStream(
    streamIds.follow(followerId, followeeId),
    [stored({ type: 'UserFollowed', data: { followerId, followeeId, followedAt: at() } })],
    { expectedRevision: 'any' },
  );
}

/**
 * `total` public events over many streams, several per stream, so that order per key means something: likes
 * and unlikes alternating in like streams, follows and unfollows in follow streams; with a private session event
 * beside every tenth, which the relay must skip. Appended in rounds of concurrent appends (one per stream, so
 * the store groups them), `pauseMs` apart, calling `progress` with the public events appended so far.
 */
export async function appendWorkload(
  store: EventStore,
  options: { total: number; streams: number; pauseMs: number; progress?: (appended: number) => void },
): Promise<{ ids: Set<string>; streams: Map<string, number> }> {
  const postId = randomUUID();
  const authorId = randomUUID();
  const users = Array.from({ length: options.streams }, () => randomUUID());
  const ids = new Set<string>();
  const revisions = new Map<string, number>();
  let appended = 0;
  while (appended < options.total) {
    const round = users.slice(0, Math.min(users.length, options.total - appended));
    await Promise.all(
      round.map(async (userId, i) => {
        const isLike = i % 2 === 0;
        const streamId = isLike ? streamIds.like(postId, userId) : streamIds.follow(userId, authorId);
        const revision = revisions.get(streamId) ?? 0;
        const at = new Date().toISOString();
        const on = revision % 2 === 0;
        const event: DomainEvent = isLike
          ? on
            ? { type: 'PostLiked', data: { postId, userId, postAuthorId: authorId, likedAt: at } }
            : { type: 'PostUnliked', data: { postId, userId, unlikedAt: at } }
          : on
            ? { type: 'UserFollowed', data: { followerId: userId, followeeId: authorId, followedAt: at } }
            : {
                type: 'UserUnfollowed',
                data: { followerId: userId, followeeId: authorId, unfollowedAt: at },
              };
        const id = randomUUID();
        await store.appendToStream(streamId, [{ ...stored(event), id }], {
          expectedRevision: revision === 0 ? 'no_stream' : revision - 1,
        });
        ids.add(id);
        revisions.set(streamId, revision + 1);
        if (i % 10 === 0) {
          const sessionId = randomUUID();
          await store.appendToStream(
            streamIds.session(sessionId),
            [
              stored({
                type: 'SessionStarted',
                data: { sessionId, userId, refreshTokenHash: `h${sessionId}`, startedAt: at, expiresAt: at },
              }),
            ],
            { expectedRevision: 'no_stream' },
          );
        }
      }),
    );
    appended += round.length;
    options.progress?.(appended);
    if (options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  return { ids, streams: revisions };
}
