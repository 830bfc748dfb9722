import { fromStoredEvent, streamIds } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentHarness, startContent, type TestUser } from '../test/content-harness.js';

let h: ContentHarness;
let author: TestUser;
let ada: TestUser;
let grace: TestUser;
let gone: TestUser;
beforeAll(async () => {
  h = await startContent();
  [author, ada, grace, gone] = await Promise.all([
    h.registerUser('author'),
    h.registerUser('ada'),
    h.registerUser('Grace_H'),
    h.registerUser('gone'),
  ]);
  await h.deleteUser(gone);
});
afterAll(() => h.close());

const hashtags = (n: number) => Array.from({ length: n }, (_, i) => `#tag${i}`).join(' ');
const mentions = (n: number) => Array.from({ length: n }, (_, i) => `@name${i}`).join(' ');

/** The first event of a stream, as content reads it (decrypted). */
async function firstEvent(streamId: string) {
  const [recorded] = await h.log.readStream(streamId);
  return recorded && fromStoredEvent(recorded);
}

/** Runs `write` and expects it refused with `code` naming `field`, the log untouched and identity not asked. */
async function expectRefused(
  write: () => ReturnType<ContentHarness['call']>,
  code: string,
  field: string,
): Promise<void> {
  const head = await h.store.headPosition();
  const lookups = h.mentionLookups.length;
  const res = await write();
  expect(res.statusCode).toBe(400);
  expect(res.json()).toMatchObject({ status: 400, code, errors: [{ field }] });
  expect(await h.store.headPosition()).toEqual(head);
  expect(h.mentionLookups.length).toBe(lookups);
}

describe('the limits of a text (400, the field named, nothing written)', () => {
  it('accepts a caption with 30 distinct hashtags and refuses 31, on publishing and on editing', async () => {
    const post = await h.createPost(author, { caption: `${hashtags(30)} #TAG0 #Tag1` });
    await expectRefused(
      () =>
        h.call('POST', '/api/v1/posts', {
          as: author,
          body: { photo: 'https://img.example/p.jpg', caption: hashtags(31) },
        }),
      'too-many-hashtags',
      'caption',
    );
    await expectRefused(
      () => h.call('PATCH', `/api/v1/posts/${post.id}`, { as: author, body: { caption: hashtags(31) } }),
      'too-many-hashtags',
      'caption',
    );
  });

  it('refuses a caption, a comment or a reply with more than 20 distinct mentions, whether or not they name accounts', async () => {
    const post = await h.createPost(author, { caption: `${mentions(20)} @NAME0` });
    const comment = await h.addComment(author, post.id, mentions(20));
    await expectRefused(
      () =>
        h.call('POST', '/api/v1/posts', {
          as: author,
          body: { photo: 'https://img.example/p.jpg', caption: mentions(21) },
        }),
      'too-many-mentions',
      'caption',
    );
    await expectRefused(
      () => h.call('PATCH', `/api/v1/posts/${post.id}`, { as: author, body: { caption: mentions(21) } }),
      'too-many-mentions',
      'caption',
    );
    await expectRefused(
      () => h.call('POST', `/api/v1/posts/${post.id}/comments`, { as: author, body: { text: mentions(21) } }),
      'too-many-mentions',
      'text',
    );
    await expectRefused(
      () =>
        h.call('POST', `/api/v1/comments/${comment.id}/replies`, {
          as: author,
          body: { text: mentions(21) },
        }),
      'too-many-mentions',
      'text',
    );
  });
});

describe('the accounts a text mentions, recorded in its event', () => {
  it("records a caption's live accounts once each, in order, by id: not a deleted one, not an unknown name", async () => {
    const lookups = h.mentionLookups.length;
    const post = await h.createPost(author, {
      caption: 'with @grace_h, @gone, @nobody_here and @ada. Thanks @ADA!',
    });
    expect(await firstEvent(streamIds.post(post.id))).toMatchObject({
      type: 'PostCreated',
      data: { mentions: [grace.id, ada.id] },
    });
    // One question to identity for the whole text.
    expect(h.mentionLookups.slice(lookups)).toHaveLength(1);
    // The answer shows them as the read side will.
    expect(post.mentions.map((m) => m.id)).toEqual([grace.id, ada.id]);
  });

  it('records no mentions, and asks nobody, for a text that mentions nobody', async () => {
    const lookups = h.mentionLookups.length;
    const post = await h.createPost(author, { caption: 'mail me at author@example.com' });
    const event = await firstEvent(streamIds.post(post.id));
    expect(event?.type).toBe('PostCreated');
    expect(event?.data).not.toHaveProperty('mentions');
    expect(h.mentionLookups.length).toBe(lookups);
  });

  it("records an edited caption's mentions with it", async () => {
    const post = await h.createPost(author, { caption: 'alone' });
    const res = await h.call('PATCH', `/api/v1/posts/${post.id}`, {
      as: author,
      body: { caption: 'with @ada' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ hashtags: [], mentions: [{ id: ada.id, userName: 'ada' }] });
    const [, edited] = await h.log.readStream(streamIds.post(post.id));
    expect(edited && fromStoredEvent(edited)).toMatchObject({
      type: 'PostEdited',
      data: { caption: 'with @ada', mentions: [ada.id] },
    });
  });

  it("records a comment's and a reply's mentions", async () => {
    const post = await h.createPost(author);
    const comment = await h.addComment(author, post.id, 'look @Grace_H');
    const reply = await h.addReply(author, comment.id, '@ada. and @gone');
    expect(comment.mentions.map((m) => m.id)).toEqual([grace.id]);
    expect(reply.mentions.map((m) => m.id)).toEqual([ada.id]);
    expect(await firstEvent(streamIds.comment(comment.id))).toMatchObject({
      type: 'CommentAdded',
      data: { mentions: [grace.id] },
    });
    expect(await firstEvent(streamIds.reply(reply.id))).toMatchObject({
      type: 'ReplyAdded',
      data: { mentions: [ada.id] },
    });
  });
});
