import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ArchiveSources, Follower } from './archive.js';

/** How long a service may take to start answering one request: a hung service fails the export, to be retried. */
const answerTimeoutMs = 10_000;

/** A read model's list page (API.md, "Lists"). */
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * followersOf over the query API (`GET /api/v1/users/:userId/followers` of the projections service), page after
 * page of 100, with the internal credential `headers`: the distributed mode's source of followers.json.
 */
export function httpFollowersOf(
  queryBaseUrl: URL,
  headers: Record<string, string>,
): ArchiveSources['followersOf'] {
  return async function* followersOf(accountId) {
    let cursor: string | null = null;
    do {
      const url = new URL(`/api/v1/users/${encodeURIComponent(accountId)}/followers`, queryBaseUrl);
      url.searchParams.set('limit', '100');
      if (cursor) url.searchParams.set('cursor', cursor);
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(answerTimeoutMs) });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Error(`the query API answered ${res.status} for the followers of ${accountId}`);
      }
      const page = (await res.json()) as Page<Follower>;
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  };
}

/**
 * mediaFile over the media service (`GET /api/v1/media/files/<key>`), with the internal credential `headers`:
 * the bytes as they arrive, never buffered whole; a 404 is a file that is gone (undefined).
 */
export function httpMediaFile(
  mediaBaseUrl: URL,
  headers: Record<string, string>,
): ArchiveSources['mediaFile'] {
  return async (key) => {
    // A key is a path of segments (`<mediaId>/original-<hash>.jpg`): each is encoded, the slashes kept.
    const path = key.split('/').map(encodeURIComponent).join('/');
    // The timeout covers the answer's start only: the bytes of a large photo may take longer to arrive.
    const started = new AbortController();
    const timer = setTimeout(() => started.abort(), answerTimeoutMs);
    let res: Response;
    try {
      res = await fetch(new URL(`/api/v1/media/files/${path}`, mediaBaseUrl), {
        headers,
        signal: started.signal,
      });
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new Error(`the media service answered ${res.status} for the file ${key}`);
    }
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  };
}
