import type { ApiClient, Comment, Media, Reply } from '../api/client.js';
import { createPost, expectStatus, signUp, type User } from '../api/fixtures.js';
import { smallPng } from '../api/images.js';

/**
 * What the fuzzer needs to get past the 404s: accounts with tokens and ids of things that exist. Reads and
 * edits get ids that stay (`kept`); each DELETE gets ids of its own (`doomed`), so a delete that succeeds
 * early in the run does not turn every later read into a 404. Ids of the other account's things make the
 * 403 answers reachable.
 */
export interface FuzzData {
  /** the account whose token every request carries */
  fuzzer: User;
  /** another account: followed by the fuzzer, author of things the fuzzer may not edit or delete */
  other: User;
  /** an account whose token only DELETE /users/me carries: the fuzzer's own must live through the run */
  leaver: User;
  kept: {
    userIds: string[];
    userNames: string[];
    postIds: string[];
    commentIds: string[];
    replyIds: string[];
    mediaIds: string[];
  };
  doomed: { postIds: string[]; commentIds: string[]; replyIds: string[] };
}

export async function seedFuzzData(api: ApiClient): Promise<FuzzData> {
  const fuzzer = await signUp(api, 'fuzzer');
  const other = await signUp(api, 'other');
  const leaver = await signUp(api, 'leaver');

  const post = await createPost(api, fuzzer, 'kept by the fuzz run');
  const othersPost = await createPost(api, other, 'not the fuzzer’s');
  const comment = await commentOn(api, fuzzer, post.id, 'a comment');
  const othersComment = await commentOn(api, other, othersPost.id, 'not the fuzzer’s either');
  const reply = await replyTo(api, other, comment.id, 'a reply');
  const othersReply = await replyTo(api, other, othersComment.id, 'another reply');
  expectStatus(await api.put(`/api/v1/posts/${post.id}/like`, { token: other.accessToken }), 204);
  expectStatus(await api.put(`/api/v1/users/${other.id}/follow`, { token: fuzzer.accessToken }), 204);
  expectStatus(await api.put(`/api/v1/users/${fuzzer.id}/follow`, { token: other.accessToken }), 204);
  const media = await upload(api, fuzzer);

  const doomedPost = await createPost(api, fuzzer, 'deleted by the fuzz run');
  const doomedComment = await commentOn(api, fuzzer, post.id, 'deleted by the fuzz run');
  const commentOnDoomedPost = await commentOn(api, other, doomedPost.id, 'goes with its post');
  const doomedReply = await replyTo(api, fuzzer, comment.id, 'deleted by the fuzz run');
  // Read-your-writes: the last read waits until every write above is in the read models.
  expectStatus(await api.get(`/api/v1/posts/${doomedPost.id}`, { token: fuzzer.accessToken }), 200);

  return {
    fuzzer,
    other,
    leaver,
    kept: {
      userIds: [fuzzer.id, other.id],
      userNames: [fuzzer.userName, other.userName],
      postIds: [post.id, othersPost.id],
      commentIds: [comment.id, othersComment.id],
      replyIds: [reply.id, othersReply.id],
      mediaIds: [media.id],
    },
    doomed: {
      postIds: [doomedPost.id, othersPost.id],
      commentIds: [doomedComment.id, commentOnDoomedPost.id, othersComment.id],
      replyIds: [doomedReply.id, othersReply.id],
    },
  };
}

async function commentOn(api: ApiClient, author: User, postId: string, text: string): Promise<Comment> {
  const res = await api.post<Comment>(`/api/v1/posts/${postId}/comments`, {
    token: author.accessToken,
    json: { text },
  });
  expectStatus(res, 201);
  return res.body;
}

async function replyTo(api: ApiClient, author: User, commentId: string, text: string): Promise<Reply> {
  const res = await api.post<Reply>(`/api/v1/comments/${commentId}/replies`, {
    token: author.accessToken,
    json: { text },
  });
  expectStatus(res, 201);
  return res.body;
}

async function upload(api: ApiClient, owner: User): Promise<Media> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await smallPng())], { type: 'image/png' }), 'fuzz.png');
  const res = await api.post<Media>('/api/v1/media', { token: owner.accessToken, body: form });
  expectStatus(res, 201);
  return res.body;
}
