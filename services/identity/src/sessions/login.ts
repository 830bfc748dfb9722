import { createHash } from 'node:crypto';
import { streamIds } from '@gram/events';
import { loadAggregate } from '@gram/service-kit';
import type { IdentityContext } from '../context.js';
import type { RetryAfterSeconds } from '../limits/access-limits.js';
import { loginCandidates } from '../reservations/reservation.js';
import { type PublicProfile, userDecider } from '../users/user.js';

export type LoginOutcome =
  | { outcome: 'authenticated'; profile: PublicProfile }
  /** unknown login, deleted account or wrong password: one answer for all */
  | { outcome: 'refused' }
  /** too many failures: refused before the password was checked */
  | { outcome: 'limited'; retryAfter: RetryAfterSeconds };

/**
 * The account a login and password open. A login is looked up through the same reservation streams
 * that keep values unique (the write side's truth). A string that could be several kinds of value
 * (`1234567`: a userName or a phoneNo) is tried as each, so nobody can lock an account out of its
 * phone login by taking its phone number as a userName.
 *
 * The attempt is counted against the account and the client's address before any password is
 * checked (see AccessLimits): the lookup is cheap, the check is the scrypt that guessing needs.
 *
 * Unknown login, deleted account and wrong password end alike, after about the same work: when
 * no account's hash was checked, a dummy hash is, so the time taken does not tell either. They are
 * limited alike too: an unknown login has counters of its own, so 429s do not tell either.
 */
export async function logIn(
  context: IdentityContext,
  login: string,
  password: string,
  address: string,
): Promise<LoginOutcome> {
  const holders = await Promise.all(loginCandidates(login).map((c) => context.uniqueValues.holderOf(c)));
  const accounts = [...new Set(holders)].filter((userId): userId is string => userId !== undefined);
  const limited = limitKeyOf(accounts, login);
  const retryAfter = await context.limits.admitLogin(limited, address);
  if (retryAfter !== undefined) return { outcome: 'limited', retryAfter };

  let checked = 0;
  for (const userId of accounts) {
    const { state } = await loadAggregate(context.store, streamIds.user(userId), userDecider);
    if (state.status !== 'active' || !state.credentials) continue;
    checked++;
    if (await context.passwords.verify(password, state.credentials.passwordHash)) {
      await context.limits.loginSucceeded(limited, address);
      return { outcome: 'authenticated', profile: state.profile };
    }
  }
  if (checked === 0) await context.passwords.verifyAgainstDummy(password);
  return { outcome: 'refused' };
}

/**
 * What a login's attempts are counted under: the account it names, whichever of its values was typed,
 * or, for a login that names none, the login itself (hashed: the counters need no email addresses).
 */
function limitKeyOf(accounts: string[], login: string): string {
  if (accounts.length > 0) return `account:${accounts.sort().join('+')}`;
  return `login:${createHash('sha256').update(login.trim().toLowerCase()).digest('base64url')}`;
}
