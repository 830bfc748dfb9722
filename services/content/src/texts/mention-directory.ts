import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A userName as it was asked for, and the live account it names. */
export interface NamedAccount {
  userName: string;
  userId: string;
}

/**
 * Which userNames name live accounts: identity knows (its userName reservations are kept under ids keyed by its
 * own secret, which content cannot compute). In-process in the embedded mode (identity's `liveAccountsNamed`),
 * over HTTP in the distributed mode (`httpMentionDirectory`). Asked once per text written, with every name its
 * possible mentions offer.
 */
export interface MentionDirectory {
  /** The live accounts among `userNames`, compared case-insensitively; names of no live account are left out. */
  accountsNamed(userNames: readonly string[]): Promise<readonly NamedAccount[]>;
}

/**
 * Identity could not say which names are accounts: `statusCode` 503, so the write answers 503 with Retry-After
 * (service-kit's error handler) and is retried, rather than recording a text's mentions as plain text for good.
 */
class MentionDirectoryUnavailable extends Error {
  override readonly name = 'MentionDirectoryUnavailable';
  readonly statusCode = 503;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

const Answer = Type.Object({
  accounts: Type.Array(Type.Object({ userName: Type.String(), userId: Type.String() })),
});

/**
 * Identity's `POST /internal/v1/users/resolve`, with the internal credential. Anything but a 200 of the expected
 * shape within `timeoutMs` is an outage. The timeout leaves the write room under the gateway's 30 s to its
 * services.
 */
export function httpMentionDirectory(
  identityUrl: string,
  credentialHeaders: Readonly<Record<string, string>>,
  options: { timeoutMs?: number } = {},
): MentionDirectory {
  const url = new URL('/internal/v1/users/resolve', identityUrl);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async accountsNamed(userNames) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { ...credentialHeaders, 'content-type': 'application/json' },
          body: JSON.stringify({ userNames }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new MentionDirectoryUnavailable(`identity cannot be reached at ${url.origin}`, error);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new MentionDirectoryUnavailable(`identity answered ${res.status} to ${url.pathname}`);
      }
      const answer: unknown = await res.json();
      if (!Value.Check(Answer, answer)) {
        throw new MentionDirectoryUnavailable(`identity answered ${url.pathname} in an unknown shape`);
      }
      return answer.accounts;
    },
  };
}
