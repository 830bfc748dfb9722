import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { type DomainEvent, personalFields, streamIds, toStoredEvent } from '@gram/events';
import { DataKeys, inMemoryDataKeys, personalDataEventStore } from '@gram/personal-data';
import { newId, type ServiceApp } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import type { InjectOptions } from 'fastify';
import { buildContentApp } from '../src/app.js';
import type { MentionDirectory } from '../src/texts/mention-directory.js';

export interface TestUser {
  id: string;
  userName: string;
  token: string;
}

/**
 * The content app over a real SQLite event store in a temp file, with a stand-in for identity:
 * accounts are registered by appending identity's public events to their user streams, and
 * tokens are real EdDSA JWTs verified through the JWKS verifier production uses. The mentions' directory
 * names the accounts registered here and not deleted (identity's own is tested in services/identity and in
 * texts/http-mention-directory.int.test.ts), and remembers what it was asked.
 */
export async function startContent() {
  const dir = mkdtempSync(join(tmpdir(), 'gram-content-'));
  const store: EventStore = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
  const issuer = await createTestTokenIssuer();
  // Identity's keys, kept here: each account registered below gets one, as identity's signup makes it.
  const keys = inMemoryDataKeys();
  const liveUserNames = new Map<string, string>();
  /** every call to the mentions' directory, with the names it asked about */
  const mentionLookups: string[][] = [];
  const mentions: MentionDirectory = {
    async accountsNamed(userNames) {
      mentionLookups.push([...userNames]);
      return userNames.flatMap((userName) => {
        const userId = liveUserNames.get(userName.toLowerCase());
        return userId ? [{ userName, userId }] : [];
      });
    },
  };
  const app: ServiceApp = buildContentApp({
    store,
    verifier: issuer.verifier,
    dataKeys: new DataKeys((accountId) => keys.get(accountId)),
    mentions,
  });
  await app.ready();

  let users = 0;
  async function registerUser(name = `user${++users}`): Promise<TestUser> {
    const id = newId();
    const event: DomainEvent = {
      type: 'UserRegistered',
      data: {
        userId: id,
        userName: name,
        name: `Name of ${name}`,
        bio: '',
        profilePic: `https://img.example/${name}.png`,
        registeredAt: new Date().toISOString(),
      },
    };
    await keys.create(id);
    await store.appendToStream(streamIds.user(id), [toStoredEvent(event)], { expectedRevision: 'no_stream' });
    liveUserNames.set(name.toLowerCase(), id);
    return { id, userName: name, token: await issuer.mint(id) };
  }

  async function appendToUser(userId: string, event: DomainEvent): Promise<void> {
    await store.appendToStream(streamIds.user(userId), [toStoredEvent(event)], { expectedRevision: 'any' });
  }

  async function deleteUser(user: TestUser): Promise<void> {
    liveUserNames.delete(user.userName.toLowerCase());
    await appendToUser(user.id, {
      type: 'UserDeleted',
      data: { userId: user.id, deletedAt: new Date().toISOString() },
    });
  }

  /** One request through the app's whole HTTP pipeline (routing, auth, validation, serialization). */
  function call(
    method: InjectOptions['method'],
    url: string,
    options: { as?: TestUser; body?: object | string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.as) headers.authorization = `Bearer ${options.as.token}`;
    return app.inject({
      method,
      url,
      headers,
      ...(options.body !== undefined ? { payload: options.body } : {}),
    });
  }

  async function createPost(author: TestUser, body: { photo?: string; caption?: string } = {}) {
    const res = await call('POST', '/api/v1/posts', {
      as: author,
      body: { photo: 'https://img.example/p.jpg', ...body },
    });
    if (res.statusCode !== 201) throw new Error(`createPost answered ${res.statusCode}: ${res.body}`);
    return res.json<{ id: string; mentions: { id: string }[] }>();
  }

  async function addComment(author: TestUser, postId: string, text = 'nice') {
    const res = await call('POST', `/api/v1/posts/${postId}/comments`, { as: author, body: { text } });
    if (res.statusCode !== 201) throw new Error(`addComment answered ${res.statusCode}: ${res.body}`);
    return res.json<{ id: string; mentions: { id: string }[] }>();
  }

  async function addReply(author: TestUser, commentId: string, text = 'thanks') {
    const res = await call('POST', `/api/v1/comments/${commentId}/replies`, { as: author, body: { text } });
    if (res.statusCode !== 201) throw new Error(`addReply answered ${res.statusCode}: ${res.body}`);
    return res.json<{ id: string; mentions: { id: string }[] }>();
  }

  /** The types of the events in one stream, in order. */
  async function eventTypes(streamId: string): Promise<string[]> {
    return (await store.readStream(streamId)).map((e) => e.type);
  }

  async function close() {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    app,
    /** the log as stored: captions and texts encrypted */
    store,
    /** the log as content reads it: decrypted with the accounts' keys */
    log: personalDataEventStore(store, keys, personalFields),
    keys,
    issuer,
    registerUser,
    appendToUser,
    deleteUser,
    call,
    createPost,
    addComment,
    addReply,
    eventTypes,
    mentionLookups,
    close,
  };
}

export type ContentHarness = Awaited<ReturnType<typeof startContent>>;

/** A well-formed id that names nothing. */
export const unknownId = () => newId();
