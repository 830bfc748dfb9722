import { streamIds } from '@gram/events';
import { loadAggregate } from '@gram/service-kit';
import type { IdentityContext } from '../context.js';
import { loginCandidates } from '../reservations/reservation.js';
import { type PublicProfile, userDecider } from '../users/user.js';

/**
 * The account a login and password open, or undefined. A login is looked up through the same
 * reservation streams that keep values unique (the write side's truth). A string that could be
 * several kinds of value (`1234567`: a userName or a phoneNo) is tried as each, so nobody can
 * lock an account out of its phone login by taking its phone number as a userName.
 *
 * Unknown login, deleted account and wrong password end alike, after about the same work: when
 * no account's hash was checked, a dummy hash is, so the time taken does not tell either.
 */
export async function authenticate(
  context: IdentityContext,
  login: string,
  password: string,
): Promise<PublicProfile | undefined> {
  const holders = await Promise.all(loginCandidates(login).map((c) => context.uniqueValues.holderOf(c)));
  let checked = 0;
  for (const userId of new Set(holders)) {
    if (userId === undefined) continue;
    const { state } = await loadAggregate(context.store, streamIds.user(userId), userDecider);
    if (state.status !== 'active' || !state.credentials) continue;
    checked++;
    if (await context.passwords.verify(password, state.credentials.passwordHash)) return state.profile;
  }
  if (checked === 0) await context.passwords.verifyAgainstDummy(password);
  return undefined;
}
