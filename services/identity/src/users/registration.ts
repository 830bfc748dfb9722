import { streamIds } from '@gram/events';
import { handleCommand, isDomainError, newId, type WriteResult } from '@gram/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import type { IdentityContext } from '../context.js';
import type { ReservationError } from '../reservations/reservation.js';
import type { UniqueValue } from '../reservations/unique-values.js';
import { type PublicProfile, type UserError, type UserEvent, userDecider } from './user.js';

export interface SignupInput {
  name: string;
  userName: string;
  email: string;
  phoneNo: string;
  password: string;
}

export type SignupOutcome =
  | { outcome: 'registered'; write: WriteResult<UserEvent>; profile: PublicProfile }
  /** in the order userName, email, phoneNo */
  | { outcome: 'taken'; errors: ReservationError[] }
  | { outcome: 'refused'; error: UserError };

/**
 * A signup claims the account's unique values, then registers the account. The claims come first
 * because they are what can be lost to a concurrent signup; the registration cannot conflict (the
 * account id is new). Whatever path fails after a claim succeeded gives that claim back, so a
 * failed signup never blocks a value. Were the process to die between the two steps, the claims
 * would point at an account that never got registered, which a later claimant takes over (see
 * `reservationDecider`).
 */
export async function signUp(
  context: IdentityContext,
  input: SignupInput,
  log: FastifyBaseLogger,
): Promise<SignupOutcome> {
  const userId = newId();
  const passwordHash = await context.passwords.hash(input.password);
  const at = context.clock().toISOString();
  const values: UniqueValue[] = [
    { kind: 'userName', value: input.userName },
    { kind: 'email', value: input.email },
    { kind: 'phoneNo', value: input.phoneNo },
  ];

  const claims = await Promise.allSettled(values.map((v) => context.uniqueValues.reserve(v, userId, at)));
  const held = values.filter((_, i) => {
    const claim = claims[i];
    return claim?.status === 'fulfilled' && !isDomainError(claim.value);
  });
  const taken = claims.flatMap((c) => (c.status === 'fulfilled' && isDomainError(c.value) ? [c.value] : []));
  const failed = claims.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  const giveBack = () => releaseQuietly(context, held, userId, log);

  if (failed || taken.length > 0) {
    await giveBack();
    if (failed) throw failed.reason;
    return { outcome: 'taken', errors: taken };
  }

  let write: Awaited<ReturnType<typeof register>>;
  try {
    write = await register(context, userId, input, passwordHash, at);
  } catch (error) {
    await giveBack();
    throw error;
  }
  if (isDomainError(write)) {
    await giveBack();
    return { outcome: 'refused', error: write };
  }
  if (write.state.status !== 'active') throw new Error(`registering ${userId} left no active account`);
  return { outcome: 'registered', write, profile: write.state.profile };
}

function register(
  context: IdentityContext,
  userId: string,
  input: SignupInput,
  passwordHash: string,
  at: string,
) {
  return handleCommand(
    context.store,
    streamIds.user(userId),
    userDecider,
    {
      type: 'RegisterUser',
      data: {
        userId,
        userName: input.userName,
        name: input.name,
        bio: '',
        profilePic: context.settings.defaultProfilePic,
        email: input.email,
        phoneNo: input.phoneNo,
        passwordHash,
        registeredAt: at,
      },
    },
    { actorId: userId },
  );
}

/** A release that fails here is logged, not thrown: the signup's own outcome is what the client must hear. */
async function releaseQuietly(
  context: IdentityContext,
  values: UniqueValue[],
  userId: string,
  log: FastifyBaseLogger,
) {
  if (values.length === 0) return;
  try {
    await context.uniqueValues.releaseAll(values, userId, context.clock().toISOString());
  } catch (error) {
    log.warn(
      { err: error, userId },
      'a failed signup could not release its claims; the next claimant takes them over',
    );
  }
}
