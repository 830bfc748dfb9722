/**
 * A client of the public API over real HTTP (Node's fetch), as an app would call it.
 *
 * Read-your-writes: a write answers `x-consistency-token`; a read that sends it back waits (bounded, 2 s) until
 * the read model has applied that write. A token vouches for its own write only: in the distributed mode the
 * events of different streams travel on different Kafka partitions, so a later write being applied says nothing
 * of an earlier one. A client here plays every user of a test and reads what all of them wrote, so it keeps the
 * token of every write since its last read and sends it with the next read; after several writes, the same GET
 * goes out once with each token, side by side, their answers dropped, before the read itself. Reads then see
 * every write this client made. `consistency: false` reads without waiting (for what no token covers, with
 * `eventually`).
 */
export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  /** parsed JSON when the response is JSON, otherwise the text */
  body: T;
}

export interface RequestOptions {
  /** `Authorization: Bearer <token>` */
  token?: string;
  /** sent as JSON */
  json?: unknown;
  /** sent as it is (multipart bodies) */
  body?: FormData | string | Uint8Array;
  headers?: Record<string, string>;
  /** send the newest write's consistency token on a GET (default true) */
  consistency?: boolean;
}

export class ApiClient {
  /** the consistency tokens of the writes since the last read, oldest first */
  private pendingTokens: string[] = [];

  constructor(readonly baseUrl: string) {}

  /** the token of the newest write this client made since its last read */
  get lastConsistencyToken(): string | undefined {
    return this.pendingTokens.at(-1);
  }

  async request<T = Problem>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: FormData | string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const waits =
      method === 'GET' &&
      isProjectedRead(path) &&
      options.consistency !== false &&
      !('x-consistency-token' in headers);
    if (waits && this.pendingTokens.length === 1) {
      headers['x-consistency-token'] = this.pendingTokens[0] as string;
      this.pendingTokens = [];
    } else if (waits && this.pendingTokens.length > 1) {
      // Side by side, each answered once its own write is applied: together they take the longest wait,
      // and the read after them sees every write.
      const tokens = [...new Set(this.pendingTokens)];
      this.pendingTokens = [];
      await Promise.all(
        tokens.map((token) => this.send(method, path, { ...headers, 'x-consistency-token': token }, body)),
      );
    }
    const response = await this.send(method, path, headers, body);
    const token = response.headers.get('x-consistency-token');
    if (method !== 'GET' && token !== null) this.pendingTokens.push(token);
    return response as ApiResponse<T>;
  }

  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: FormData | string | Uint8Array | undefined,
  ): Promise<ApiResponse<unknown>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && text !== '' ? (JSON.parse(text) as unknown) : text;
    return { status: response.status, headers: response.headers, body: parsed };
  }

  get<T = Problem>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = Problem>(path: string, options?: RequestOptions) {
    return this.request<T>('POST', path, options);
  }
  put<T = Problem>(path: string, options?: RequestOptions) {
    return this.request<T>('PUT', path, options);
  }
  patch<T = Problem>(path: string, options?: RequestOptions) {
    return this.request<T>('PATCH', path, options);
  }
  delete<T = Problem>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

/** The reads served by the read models: every GET of API.md but media's, which media answers itself. */
function isProjectedRead(path: string): boolean {
  return path.startsWith('/api/v1/') && !path.startsWith('/api/v1/media/');
}

// The shapes of API.md.
export interface UserSummary {
  id: string;
  userName: string;
  name: string;
  profilePic: string;
}
export interface Profile extends UserSummary {
  bio: string;
  followersCount: number;
  followingCount: number;
  postCount: number;
  createdAt: string;
  followedByMe?: boolean;
  mutedByMe?: boolean;
  blockedByMe?: boolean;
  isPrivate?: boolean;
  requestedByMe?: boolean;
  followsMe?: boolean;
}
export interface Post {
  id: string;
  author: UserSummary;
  photo: string;
  caption: string;
  hashtags: string[];
  mentions: UserSummary[];
  likesCount: number;
  commentsCount: number;
  createdAt: string;
  updatedAt: string;
  likedByMe?: boolean;
}
export interface Comment {
  id: string;
  postId: string;
  author: UserSummary;
  text: string;
  mentions: UserSummary[];
  replyCount: number;
  createdAt: string;
}
export interface Reply {
  id: string;
  commentId: string;
  postId: string;
  author: UserSummary;
  text: string;
  mentions: UserSummary[];
  createdAt: string;
}
export interface Tag {
  name: string;
  postCount: number;
}
export interface Media {
  id: string;
  url: string;
  width: number;
  height: number;
  variants: { thumbnail: string; standard: string };
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Tokens {
  accessToken: string;
  refreshToken: string;
}
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** the stable kebab-case name of the rule that refused the request */
  code: string;
  errors?: { field: string; message: string }[];
}
