import { type Dispatcher, request as httpRequest } from 'undici';
import type { ReadSide } from '../edge/read-after-write.js';
import type { DependencyChecks } from '../edge/readiness.js';
import type { ServiceName } from '../routing/service-routes.js';

/** The base URL of each service, e.g. `{ identity: 'http://127.0.0.1:4001', ... }`. */
export type Upstreams = Record<ServiceName, string>;

/** The internal credential's header, sent on every call to a service (service-kit's internal-credential.ts). */
export type InternalCredential = Record<string, string>;

async function get(
  url: URL,
  dispatcher: Dispatcher,
  credential: InternalCredential,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ statusCode: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const res = await httpRequest(url, {
    dispatcher,
    method: 'GET',
    headers: { ...headers, ...credential },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return { statusCode: res.statusCode, body: await res.body.text(), headers: res.headers };
}

/**
 * `/ready`'s checks of the services: each answers 200 to `GET /health`. That route needs no credential (a
 * container's health check has none), but it goes with every call all the same: one rule, no exception to keep.
 */
export function healthChecks(
  services: Record<string, string>,
  dispatcher: Dispatcher,
  credential: InternalCredential,
  timeoutMs = 2_000,
): DependencyChecks {
  return Object.fromEntries(
    Object.entries(services).map(([name, base]) => [
      name,
      async () => {
        const { statusCode } = await get(new URL('/health', base), dispatcher, credential, timeoutMs);
        if (statusCode !== 200) throw new Error(`GET /health answered ${statusCode}`);
      },
    ]),
  );
}

/** The read side over HTTP: the projections service's query API. */
export function httpReadSide(
  projectionsUrl: string,
  dispatcher: Dispatcher,
  credential: InternalCredential,
  timeoutMs: number,
): ReadSide {
  return (path, headers) => get(new URL(path, projectionsUrl), dispatcher, credential, timeoutMs, headers);
}

/**
 * The Prometheus text of other processes (the read side's projection lag, the relay's lag), one after
 * the other. A source that cannot be scraped leaves a comment saying so instead of failing `/metrics`:
 * the gateway's own figures matter most when something else is down.
 */
export function scrapeMetrics(
  sources: Record<string, string>,
  dispatcher: Dispatcher,
  credential: InternalCredential,
  timeoutMs = 1_500,
): () => Promise<string> {
  return async () => {
    const texts = await Promise.all(
      Object.entries(sources).map(async ([name, url]) => {
        try {
          const { statusCode, body } = await get(new URL(url), dispatcher, credential, timeoutMs);
          if (statusCode !== 200) throw new Error(`answered ${statusCode}`);
          return body.endsWith('\n') ? body : `${body}\n`;
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          return `# ${name} metrics (${url}) unavailable: ${reason.replaceAll('\n', ' ')}\n`;
        }
      }),
    );
    return texts.join('');
  };
}
