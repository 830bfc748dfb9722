import type { AccountEraser } from '../context.js';

/**
 * The erasure could not be done: `statusCode` 503, so that the deletion answers 503 with Retry-After (service-kit's
 * error handler) and the client retries it while the account is still whole.
 */
class ErasureUnavailable extends Error {
  override readonly name = 'ErasureUnavailable';
  readonly statusCode = 503;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/**
 * An eraser in another process (the distributed mode): `DELETE` of the account's URL there, with the internal
 * credential; done when it answers 204. Anything else (no answer in `timeoutMs`, a refusal, a 5xx) is an outage
 * of what the deletion needs, never a success. The timeout stays under the gateway's 30 s to its services, so
 * the client gets this 503 rather than the gateway's 504; the other side may keep erasing after it, and the retry
 * finds that work done.
 */
export function httpAccountEraser(
  name: string,
  urlOf: (accountId: string) => URL,
  credentialHeaders: Readonly<Record<string, string>>,
  options: { timeoutMs?: number } = {},
): AccountEraser {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return {
    name,
    async erase(accountId) {
      const url = urlOf(accountId);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'DELETE',
          headers: credentialHeaders,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new ErasureUnavailable(`${name}: ${url.origin} cannot be reached`, error);
      }
      await res.body?.cancel();
      if (res.status !== 204) throw new ErasureUnavailable(`${name}: ${url.href} answered ${res.status}`);
    },
  };
}
