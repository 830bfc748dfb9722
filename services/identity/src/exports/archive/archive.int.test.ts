import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventStore, RecordedEvent } from '@gram/event-store';
import { type DomainEvent, personalFields, streamIds, toStoredEvent } from '@gram/events';
import { personalDataEventStore, personalDataKeysFromEnv } from '@gram/personal-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { IdentityHarness } from '../../testing/identity-harness.js';
import { AccountNotFound, type ArchiveSources, type Follower, writeExportArchive } from './index.js';

let identity: IdentityHarness;
/** identity's store: personal fields decrypted, as writeExportArchive is given it */
let store: EventStore;

beforeAll(async () => {
  identity = await IdentityHarness.start();
  store = personalDataEventStore(
    identity.store,
    personalDataKeysFromEnv({}, identity.dataDir),
    personalFields,
  );
});
afterAll(() => identity.stop());

let tick = 0;
/** a time after the previous one, as the events of a life follow each other */
function at(): string {
  tick += 1;
  return new Date(Date.UTC(2026, 10, 1) + tick * 1_000).toISOString();
}

/** Appends an event as the service owning its stream does: through the catalogue, caused by `actorId`. */
async function append(streamId: string, event: DomainEvent, actorId?: string): Promise<void> {
  await store.appendToStream(streamId, [toStoredEvent(event, actorId ? { actorId } : {})], {
    expectedRevision: 'any',
  });
}

const photo = (name: string) => `https://media.gram.example/${name}.jpg`;

function upload(mediaId: string, uploaderId: string) {
  const image = (rendition: string) => ({
    key: `${mediaId}/${rendition}-${'a'.repeat(32)}.jpg`,
    width: 10,
    height: 10,
    bytes: 3,
  });
  return {
    type: 'MediaUploaded' as const,
    data: {
      mediaId,
      uploaderId,
      format: 'jpeg' as const,
      original: image('original'),
      standard: image('standard'),
      thumbnail: image('thumbnail'),
      uploadedAt: at(),
    },
  };
}

/** Sources over the test's store, with followers and files given in memory. */
function sources(followers: Follower[], files: ReadonlyMap<string, Buffer>): ArchiveSources {
  return {
    store,
    async *followersOf() {
      yield* followers;
    },
    mediaFile: async (key) => {
      const bytes = files.get(key);
      return bytes ? Readable.from([bytes]) : undefined;
    },
  };
}

let archives = 0;
/** Builds the archive to a file, as the export job stores it, and checks the size it answers. */
async function buildArchive(accountId: string, from: ArchiveSources): Promise<string> {
  archives += 1;
  const path = join(identity.dataDir, `export-${archives}.zip`);
  const { bytes } = await writeExportArchive(accountId, from, createWriteStream(path));
  expect(bytes).toBe((await stat(path)).size);
  return path;
}

/** Every entry of a ZIP file, by name, inflated. */
async function unzip(path: string): Promise<Map<string, Buffer>> {
  // autoClose: closed once every entry has been read (yauzl closes it as the iteration ends)
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  const entries = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks));
  }
  return entries;
}

function json(entries: Map<string, Buffer>, name: string): unknown {
  const bytes = entries.get(name);
  if (!bytes) throw new Error(`${name} is not in the archive`);
  return JSON.parse(bytes.toString('utf8'));
}

function lines(entries: Map<string, Buffer>, name: string): Record<string, unknown>[] {
  const text = entries.get(name)?.toString('utf8') ?? '';
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

function dataOf(events: RecordedEvent[], type: string): Record<string, string> {
  const event = events.find((e) => e.type === type);
  if (!event) throw new Error(`no ${type}`);
  return event.data as Record<string, string>;
}

describe("an account's export archive", () => {
  it('holds the account, its standing posts, comments, replies, likes and follows, its followers, its photos and every event it caused, secrets left out', async () => {
    const me = await identity.account({ name: 'Export Me' });
    const other = await identity.account({ name: 'Someone Else' });
    const refreshed = await identity.refresh(me.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    expect((await identity.patchMe({ name: 'Exported' }, me.accessToken)).statusCode).toBe(200);
    // A profile change written before identity recorded the actor on user-stream events: it has none.
    await append(streamIds.user(me.userId), {
      type: 'ProfileUpdated',
      data: { userId: me.userId, bio: 'written before actors were recorded', updatedAt: at() },
    });

    const [kept, edited, deleted, theirs] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const post = (postId: string, authorId: string, caption: string) =>
      append(
        streamIds.post(postId),
        {
          type: 'PostCreated',
          data: { postId, authorId, photo: photo(postId), caption, createdAt: at() },
        },
        authorId,
      );
    await post(kept, me.userId, 'kept caption');
    await post(theirs, other.userId, 'their caption');
    await post(edited, me.userId, 'caption before the edit');
    await post(deleted, me.userId, 'deleted caption');
    const editedAt = at();
    await append(
      streamIds.post(edited),
      {
        type: 'PostEdited',
        data: { postId: edited, authorId: me.userId, caption: 'edited caption', editedAt },
      },
      me.userId,
    );
    await append(
      streamIds.post(deleted),
      { type: 'PostDeleted', data: { postId: deleted, authorId: me.userId, deletedAt: at() } },
      me.userId,
    );

    const [standingComment, removedComment] = [randomUUID(), randomUUID()];
    const comment = (commentId: string, text: string) => ({
      type: 'CommentAdded' as const,
      data: {
        commentId,
        postId: theirs,
        postAuthorId: other.userId,
        authorId: me.userId,
        text,
        createdAt: at(),
      },
    });
    const standing = comment(standingComment, 'a standing comment');
    await append(streamIds.comment(standingComment), standing, me.userId);
    await append(
      streamIds.comment(removedComment),
      comment(removedComment, 'removed by the post author'),
      me.userId,
    );
    await append(
      streamIds.comment(removedComment),
      {
        type: 'CommentDeleted',
        data: { commentId: removedComment, postId: theirs, deletedBy: other.userId, deletedAt: at() },
      },
      other.userId,
    );
    const [standingReply, removedReply] = [randomUUID(), randomUUID()];
    const reply = (replyId: string, text: string) => ({
      type: 'ReplyAdded' as const,
      data: {
        replyId,
        commentId: standingComment,
        postId: theirs,
        postAuthorId: other.userId,
        authorId: me.userId,
        text,
        createdAt: at(),
      },
    });
    const replyAdded = reply(standingReply, 'a standing reply');
    await append(streamIds.reply(standingReply), replyAdded, me.userId);
    await append(streamIds.reply(removedReply), reply(removedReply, 'removed by the post author'), me.userId);
    await append(
      streamIds.reply(removedReply),
      {
        type: 'ReplyDeleted',
        data: {
          replyId: removedReply,
          commentId: standingComment,
          postId: theirs,
          deletedBy: other.userId,
          deletedAt: at(),
        },
      },
      other.userId,
    );

    const likedAt = at();
    await append(
      streamIds.like(theirs, me.userId),
      { type: 'PostLiked', data: { postId: theirs, userId: me.userId, postAuthorId: other.userId, likedAt } },
      me.userId,
    );
    await append(
      streamIds.like(kept, me.userId),
      {
        type: 'PostLiked',
        data: { postId: kept, userId: me.userId, postAuthorId: me.userId, likedAt: at() },
      },
      me.userId,
    );
    await append(
      streamIds.like(kept, me.userId),
      { type: 'PostUnliked', data: { postId: kept, userId: me.userId, unlikedAt: at() } },
      me.userId,
    );
    await append(
      streamIds.like(kept, other.userId),
      {
        type: 'PostLiked',
        data: { postId: kept, userId: other.userId, postAuthorId: me.userId, likedAt: at() },
      },
      other.userId,
    );

    const unfollowed = randomUUID();
    const followedAt = at();
    await append(
      streamIds.follow(me.userId, other.userId),
      { type: 'UserFollowed', data: { followerId: me.userId, followeeId: other.userId, followedAt } },
      me.userId,
    );
    await append(
      streamIds.follow(me.userId, unfollowed),
      { type: 'UserFollowed', data: { followerId: me.userId, followeeId: unfollowed, followedAt: at() } },
      me.userId,
    );
    await append(
      streamIds.follow(me.userId, unfollowed),
      { type: 'UserUnfollowed', data: { followerId: me.userId, followeeId: unfollowed, unfollowedAt: at() } },
      me.userId,
    );
    await append(
      streamIds.follow(other.userId, me.userId),
      { type: 'UserFollowed', data: { followerId: other.userId, followeeId: me.userId, followedAt: at() } },
      other.userId,
    );

    const [photoKept, photoGone, photoErased] = [randomUUID(), randomUUID(), randomUUID()];
    for (const mediaId of [photoKept, photoGone, photoErased]) {
      await append(streamIds.media(mediaId), upload(mediaId, me.userId), me.userId);
    }
    await append(streamIds.media(randomUUID()), upload(randomUUID(), other.userId), other.userId);
    // An upload the media service erased: its photo is not in the archive, its erasure is in events.jsonl.
    await store.appendToStream(
      streamIds.media(photoErased),
      [
        {
          type: 'MediaErased',
          data: { mediaId: photoErased, uploaderId: me.userId, erasedAt: at() },
          metadata: { actorId: me.userId, schemaVersion: 1 },
        },
      ],
      { expectedRevision: 'any' },
    );
    const photoBytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const files = new Map([
      [`${photoKept}/original-${'a'.repeat(32)}.jpg`, photoBytes],
      [`${photoErased}/original-${'a'.repeat(32)}.jpg`, Buffer.from('erased bytes')],
    ]);
    const follower: Follower = {
      id: other.userId,
      userName: other.body.userName,
      name: 'Someone Else',
      profilePic: 'https://static.gram.example/default-profile.png',
    };

    // As a read model may list it: with more than the summary, which the archive leaves out.
    const listed = { ...follower, followedByMe: true };
    const path = await buildArchive(me.userId, sources([listed], files));
    const entries = await unzip(path);

    expect([...entries.keys()].sort()).toEqual(
      [
        'account.json',
        'blocks.json',
        'comments.json',
        'events.jsonl',
        'followers.json',
        'following.json',
        'likes.json',
        `media/${photoKept}-original.jpg`,
        'mutes.json',
        'posts.json',
        'replies.json',
      ].sort(),
    );
    const userEvents = await store.readStream(streamIds.user(me.userId));
    const registered = dataOf(userEvents, 'UserRegistered');
    expect(json(entries, 'account.json')).toEqual({
      id: me.userId,
      userName: me.body.userName,
      name: 'Exported',
      bio: 'written before actors were recorded',
      profilePic: registered.profilePic,
      email: me.body.email,
      phoneNo: me.body.phoneNo,
      createdAt: registered.registeredAt,
    });
    expect(json(entries, 'posts.json')).toEqual([
      { id: kept, photo: photo(kept), caption: 'kept caption', createdAt: expect.any(String) },
      {
        id: edited,
        photo: photo(edited),
        caption: 'edited caption',
        createdAt: expect.any(String),
        editedAt,
      },
    ]);
    expect(json(entries, 'comments.json')).toEqual([
      { id: standingComment, postId: theirs, text: 'a standing comment', createdAt: standing.data.createdAt },
    ]);
    expect(json(entries, 'replies.json')).toEqual([
      {
        id: standingReply,
        postId: theirs,
        commentId: standingComment,
        text: 'a standing reply',
        createdAt: replyAdded.data.createdAt,
      },
    ]);
    expect(json(entries, 'likes.json')).toEqual([{ postId: theirs, likedAt }]);
    expect(json(entries, 'following.json')).toEqual([{ userId: other.userId, since: followedAt }]);
    expect(json(entries, 'followers.json')).toEqual([follower]);
    expect(json(entries, 'blocks.json')).toEqual([]);
    expect(json(entries, 'mutes.json')).toEqual([]);
    expect(entries.get(`media/${photoKept}-original.jpg`)).toEqual(photoBytes);

    // events.jsonl: read independently of the archive (the whole log), every event of the catalogue that the
    // account caused or that its user stream holds, in global order, secrets dropped by name.
    const expected = (await store.readAll())
      .filter((e) => e.metadata.actorId === me.userId || e.streamId === streamIds.user(me.userId))
      .map((e) => {
        const { passwordHash: _p, refreshTokenHash: _r, ...data } = e.data as Record<string, unknown>;
        return {
          position: e.position,
          streamId: e.streamId,
          revision: e.revision,
          type: e.type,
          data,
          recordedAt: e.createdAt.toISOString(),
        };
      });
    const events = lines(entries, 'events.jsonl');
    expect(events).toEqual(expected);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'UserRegistered',
        'AccountCredentialsSet',
        'SessionStarted',
        'SessionRefreshed',
      ]),
    );
    expect(
      events.find((e) => (e.data as { bio?: string }).bio === 'written before actors were recorded'),
    ).toBeDefined();
    const captions = events.flatMap((e) =>
      e.type === 'PostCreated' ? [(e.data as { caption: string }).caption] : [],
    );
    expect(captions).toEqual(['kept caption', 'caption before the edit', 'deleted caption']);
    expect(events.some((e) => e.streamId === streamIds.post(theirs))).toBe(false);
    expect(events.some((e) => e.type === 'CommentDeleted' || e.type === 'ReplyDeleted')).toBe(false);
    expect(events.some((e) => e.streamId === streamIds.follow(other.userId, me.userId))).toBe(false);

    // No credential anywhere: neither in the archive's bytes nor in any of its files once inflated.
    const secrets = (await store.readAll()).flatMap((e) => {
      const data = e.data as { passwordHash?: string; refreshTokenHash?: string };
      return [data.passwordHash, data.refreshTokenHash].filter((value) => value !== undefined);
    });
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const bytes of [await readFile(path), ...entries.values()]) {
      for (const secret of secrets) expect(bytes.includes(secret)).toBe(false);
    }
  });

  it('is complete for an account of 5,000 posts, read a page at a time', async () => {
    const me = await identity.account();
    const posts = 5_000;
    for (let i = 0; i < posts; i++) {
      const postId = randomUUID();
      await append(
        streamIds.post(postId),
        {
          type: 'PostCreated',
          data: {
            postId,
            authorId: me.userId,
            photo: photo(postId),
            caption: `caption ${i}`,
            createdAt: at(),
          },
        },
        me.userId,
      );
    }

    const entries = await unzip(await buildArchive(me.userId, sources([], new Map())));

    const listed = json(entries, 'posts.json') as { caption: string }[];
    expect(listed).toHaveLength(posts);
    expect(listed.map((p) => p.caption)).toEqual(Array.from({ length: posts }, (_, i) => `caption ${i}`));
    const events = lines(entries, 'events.jsonl');
    expect(events.filter((e) => e.type === 'PostCreated')).toHaveLength(posts);
    const positions = events.map((e) => e.position as number);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
  });

  it("lets go of each photo's stream once its bytes are in the archive, not only when the archive ends", async () => {
    // The ZIP keeps a record of every entry until its end (its central directory): that record must not keep the
    // photo's stream, or an account of 10,000 photos holds 10,000 spent streams (some KB each) until the end.
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const me = await identity.account();
    for (let i = 0; i < 3; i++) {
      const mediaId = randomUUID();
      await append(streamIds.media(mediaId), upload(mediaId, me.userId), me.userId);
    }
    const handedOut: WeakRef<Readable>[] = [];
    let spentStillHeld: number | undefined;
    const from: ArchiveSources = {
      ...sources([], new Map()),
      mediaFile: async () => {
        if (handedOut.length === 2) {
          // The first photo is in the archive by now (entries are written one after the other).
          await new Promise((resolve) => setImmediate(resolve));
          collectGarbage();
          spentStillHeld = handedOut[0]?.deref() === undefined ? 0 : 1;
        }
        const file = Readable.from([Buffer.from(`photo ${handedOut.length}`)]);
        handedOut.push(new WeakRef(file));
        return file;
      },
    };

    await writeExportArchive(me.userId, from, new Writable({ write: (_chunk, _encoding, done) => done() }));

    expect(spentStillHeld).toBe(0);
  });

  it('rejects with AccountNotFound for an account that does not exist, and destroys the output', async () => {
    const output = new Writable({ write: (_chunk, _encoding, done) => done() });
    await expect(writeExportArchive(randomUUID(), sources([], new Map()), output)).rejects.toBeInstanceOf(
      AccountNotFound,
    );
    expect(output.destroyed).toBe(true);
  });

  it('rejects, and destroys the output, when a photo fails midway instead of waiting for its end forever', async () => {
    const me = await identity.account();
    const mediaId = randomUUID();
    await append(streamIds.media(mediaId), upload(mediaId, me.userId), me.userId);
    const failing: ArchiveSources = {
      ...sources([], new Map()),
      mediaFile: async () =>
        Readable.from(
          (async function* () {
            yield Buffer.from('the first bytes');
            throw new Error('the storage went away');
          })(),
        ),
    };
    const output = new Writable({ write: (_chunk, _encoding, done) => done() });
    await expect(writeExportArchive(me.userId, failing, output)).rejects.toThrow('the storage went away');
    expect(output.destroyed).toBe(true);
  });

  it('stops when its signal is aborted', async () => {
    const me = await identity.account();
    const output = new Writable({ write: (_chunk, _encoding, done) => done() });
    const export_ = writeExportArchive(me.userId, sources([], new Map()), output, {
      signal: AbortSignal.abort(),
    });
    await expect(export_).rejects.toMatchObject({ name: 'AbortError' });
    expect(output.destroyed).toBe(true);
  });
});
