import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type {
  ApiClient,
  ApiResponse,
  Comment,
  Media,
  Page,
  Post,
  Problem,
  Tokens,
  UserSummary,
} from './client.js';
import { jpegWithLocation, uploadForm } from './images.js';

export const password = 'correct horse battery staple';

// Unique per test run, so runs against the same servers (or a restarted system) never collide.
const runTag = randomBytes(3).toString('hex');
const phoneBase = String(randomInt(10_000_000, 99_999_999));
let counter = 0;

export interface NewAccount {
  name: string;
  userName: string;
  email: string;
  phoneNo: string;
  password: string;
}

/** Signup fields of a fresh account: userName `u<run>_<n>`, email and phone number unique in the run too. */
export function newAccount(label = 'user'): NewAccount {
  counter += 1;
  const n = String(counter).padStart(4, '0');
  return {
    name: `${label} ${n}`,
    userName: `u${runTag}_${n}`,
    email: `u${runTag}.${n}@example.com`,
    phoneNo: `+49${phoneBase}${n}`,
    password,
  };
}

export interface User extends NewAccount, Tokens {
  id: string;
  summary: UserSummary;
}

/** Signs up and logs in a fresh account. */
export async function signUp(api: ApiClient, label?: string): Promise<User> {
  const account = newAccount(label);
  const created = await api.post<{ user: UserSummary }>('/api/v1/auth/signup', { json: account });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const tokens = await logIn(api, account.userName);
  return { ...account, ...tokens, id: created.body.user.id, summary: created.body.user };
}

export async function logIn(api: ApiClient, login: string, secret = password): Promise<Tokens> {
  const res = await api.post<Tokens & { user: UserSummary }>('/api/v1/auth/login', {
    json: { login, password: secret },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

let photoCounter = 0;
/** A valid `photo` URL (any http(s) URL is one; uploads are exercised by the media tests). */
export function photoUrl(): string {
  photoCounter += 1;
  return `https://img.example.com/${runTag}/${photoCounter}.jpg`;
}

export async function createPost(api: ApiClient, author: User, caption = 'a caption'): Promise<Post> {
  const res = await api.post<Post>('/api/v1/posts', {
    token: author.accessToken,
    json: { photo: photoUrl(), caption },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/**
 * An account with a unique sentinel in every personal field it can fill (its profile, contact data, a caption
 * and a comment): what the personal-data tests search every store for.
 */
export async function accountWithSentinels(api: ApiClient) {
  const user = await signUp(api, `Sentinel ${randomUUID().slice(0, 8)}`);
  const bio = `sentinel-bio-${randomUUID()}`;
  const patched = await api.patch('/api/v1/users/me', { token: user.accessToken, json: { bio } });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  const caption = `sentinel-caption-${randomUUID()}`;
  const text = `sentinel-comment-${randomUUID()}`;
  const post = await createPost(api, user, caption);
  const comment = await api.post<Comment>(`/api/v1/posts/${post.id}/comments`, {
    token: user.accessToken,
    json: { text },
  });
  expect(comment.status, JSON.stringify(comment.body)).toBe(201);
  const photo = await api.post<Media>('/api/v1/media', {
    token: user.accessToken,
    body: uploadForm(await jpegWithLocation(), 'sentinel.jpg', 'image/jpeg'),
  });
  expect(photo.status, JSON.stringify(photo.body)).toBe(201);
  const sentinels = [user.name, user.userName, user.email, user.phoneNo, bio, caption, text];
  return { user, bio, caption, text, post, comment: comment.body, photo: photo.body, sentinels };
}

/** The storage keys of an upload's three renditions, from their URLs (`.../api/v1/media/files/<key>`). */
export function mediaKeysOf(media: Media): string[] {
  return [media.url, media.variants.standard, media.variants.thumbnail].map((url) =>
    decodeURIComponent(new URL(url).pathname.split('/api/v1/media/files/')[1] as string),
  );
}

/** Requests an export of the account, waits until it is ready and downloads it without a token. */
export async function downloadedExport(api: ApiClient, user: User): Promise<{ url: string; zip: Buffer }> {
  const requested = await api.post<{ id: string }>('/api/v1/users/me/exports', { token: user.accessToken });
  expect(requested.status, JSON.stringify(requested.body)).toBe(202);
  const url = await eventually(async () => {
    const polled = await api.get<{ status: string; url?: string }>(
      `/api/v1/users/me/exports/${requested.body.id}`,
      { token: user.accessToken },
    );
    expect(polled.body.status).toBe('ready');
    return polled.body.url as string;
  }, 30_000);
  const downloaded = await fetch(url);
  expect(downloaded.status).toBe(200);
  return { url, zip: Buffer.from(await downloaded.arrayBuffer()) };
}

/** A well-formed UUIDv7 that names nothing: the 404 case, as opposed to the 400 of a malformed id. */
export function unknownId(): string {
  const hex = Date.now().toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const malformedId = 'not-a-uuid';

/** The status, plus the body when it is not the expected one (a failure then says why). */
export function expectStatus(res: ApiResponse<unknown>, status: number): void {
  expect(res.status, `${JSON.stringify(res.body)}`).toBe(status);
}

/**
 * An RFC 9457 problem with this status, as `application/problem+json`, with a kebab-case `code` (this one
 * when given), never a stack.
 */
export function expectProblem(
  res: ApiResponse<Problem>,
  status: number,
  field?: string,
  code: string | RegExp = /^[a-z0-9]+(-[a-z0-9]+)*$/,
): void {
  expectStatus(res, status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
  if (typeof code === 'string') expect(res.body.code).toBe(code);
  else expect(res.body.code).toMatch(code);
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  if (field !== undefined) {
    expect(res.body.errors?.map((error) => error.field)).toContain(field);
  }
}

/** Every page of a list, following `nextCursor` with `limit`. */
export async function allPages<T>(
  api: ApiClient,
  path: string,
  options: { limit: number; token?: string },
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const query = `limit=${options.limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res: ApiResponse<Page<T>> = await api.get<Page<T>>(`${path}${separator}${query}`, {
      ...(options.token ? { token: options.token } : {}),
    });
    expectStatus(res, 200);
    expect(res.body.items.length).toBeLessThanOrEqual(options.limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 1_000);
  return { items, pages };
}

export const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);

/**
 * Polls `check` until it passes, for at most `timeoutMs`: for what no consistency token covers (a restarted
 * worker catching up, a read model that must forget something). The last failure is the error.
 */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
