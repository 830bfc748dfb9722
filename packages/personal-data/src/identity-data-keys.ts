import type { DataKeyState } from './data-key-store.js';
import { KeyStoreUnavailable, KeyUnknown } from './data-key-store.js';
import type { DataKeyLookup } from './data-keys.js';

/**
 * Data keys asked of identity, which owns them (`GET /internal/v1/data-keys/:accountId`, answered only to a call
 * carrying the internal credential): how a process that is not identity reads encrypted personal fields, e.g.
 * a read models' worker of the distributed mode. Put a `DataKeys` cache in front of it.
 * 404 is KeyUnknown and anything else that is not an answer (a timeout, a 5xx) is KeyStoreUnavailable: both
 * mean "wait and retry", never "destroyed".
 */
export function identityDataKeys(
  identityUrl: string,
  credentialHeaders: Readonly<Record<string, string>>,
  options: { timeoutMs?: number } = {},
): DataKeyLookup {
  const timeoutMs = options.timeoutMs ?? 3_000;
  return async (accountId) => {
    const url = new URL(`/internal/v1/data-keys/${encodeURIComponent(accountId)}`, identityUrl);
    let res: Response;
    try {
      res = await fetch(url, { headers: credentialHeaders, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new KeyStoreUnavailable(`identity cannot be reached for the data key of ${accountId}`, error);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new KeyUnknown(accountId);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new KeyStoreUnavailable(`identity answered ${res.status} for the data key of ${accountId}`);
    }
    const answer = (await res.json()) as { state?: unknown; key?: unknown };
    if (answer.state === 'destroyed') return { state: 'destroyed' } satisfies DataKeyState;
    if (answer.state === 'live' && typeof answer.key === 'string') {
      return { state: 'live', key: Buffer.from(answer.key, 'base64url') };
    }
    throw new KeyStoreUnavailable(`identity gave no data key for ${accountId}`);
  };
}
