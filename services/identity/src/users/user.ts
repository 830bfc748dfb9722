import type { EventOfType } from '@gram/events';
import { assertNever, type Decider, DomainError } from '@gram/service-kit';

/**
 * An account: its public profile (UserRegistered, ProfileUpdated), its private credentials and
 * contact data (AccountCredentialsSet, never leaving identity) and its end (UserDeleted).
 */
export type UserEvent =
  | EventOfType<'UserRegistered'>
  | EventOfType<'AccountCredentialsSet'>
  | EventOfType<'ProfileUpdated'>
  | EventOfType<'UserDeleted'>;

export interface PublicProfile {
  userId: string;
  userName: string;
  name: string;
  bio: string;
  profilePic: string;
  registeredAt: string;
  /** only the account and its approved followers see its posts and lists; public until a ProfileUpdated says so */
  isPrivate: boolean;
}

export interface Credentials {
  email: string;
  phoneNo: string;
  /** a self-describing KDF string (see passwords/password-hasher.ts), never the password */
  passwordHash: string;
}

export type UserState =
  | { status: 'none' }
  /** `credentials` is null only between UserRegistered and the AccountCredentialsSet appended with it */
  | { status: 'active'; profile: PublicProfile; credentials: Credentials | null }
  /** what a deleted account still needs: the values whose reservations its deletion gives up */
  | { status: 'deleted'; userId: string; userName: string; credentials: Credentials | null };

export type ProfileChanges = { name?: string; bio?: string; profilePic?: string; isPrivate?: boolean };

export type UserCommand =
  | {
      type: 'RegisterUser';
      data: {
        userId: string;
        userName: string;
        name: string;
        bio: string;
        profilePic: string;
        email: string;
        phoneNo: string;
        passwordHash: string;
        registeredAt: string;
      };
    }
  | { type: 'UpdateProfile'; data: { userId: string; changes: ProfileChanges; updatedAt: string } }
  | { type: 'DeleteUser'; data: { userId: string; deletedAt: string } };

export type UserErrorCode = 'UserAlreadyExists' | 'UserNotFound' | 'UserWasDeleted' | 'TextTooLong';
export type UserError = DomainError<UserErrorCode>;

/**
 * Longest name and bio, in UTF-16 code units: the measure the event catalogue checks payloads
 * with (TypeBox counts `string.length`). The HTTP schema counts code points (JSON Schema's
 * measure), so a name of 26 emoji passes the edge yet would break the UserRegistered schema:
 * the decider refuses it as a rule of the account instead of failing the append.
 */
const textLimits = { name: 50, bio: 150 } as const;

function textTooLong(fields: { name?: string; bio?: string }): UserError | undefined {
  for (const field of ['name', 'bio'] as const) {
    const value = fields[field];
    if (value !== undefined && value.length > textLimits[field]) {
      return new DomainError(
        'TextTooLong',
        `${field} is longer than ${textLimits[field]} characters (one emoji may count as two)`,
        field,
      );
    }
  }
  return undefined;
}

export const userDecider: Decider<UserCommand, UserState, UserEvent, UserError> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered': {
        const { userId, userName, name, bio, profilePic, registeredAt } = event.data;
        return {
          status: 'active',
          profile: { userId, userName, name, bio, profilePic, registeredAt, isPrivate: false },
          credentials: null,
        };
      }
      case 'AccountCredentialsSet': {
        if (state.status !== 'active') return state;
        const { email, phoneNo, passwordHash } = event.data;
        return { ...state, credentials: { email, phoneNo, passwordHash } };
      }
      case 'ProfileUpdated': {
        if (state.status !== 'active') return state;
        const { name, bio, profilePic, isPrivate } = event.data;
        return {
          ...state,
          profile: {
            ...state.profile,
            ...(name !== undefined ? { name } : {}),
            ...(bio !== undefined ? { bio } : {}),
            ...(profilePic !== undefined ? { profilePic } : {}),
            ...(isPrivate !== undefined ? { isPrivate } : {}),
          },
        };
      }
      case 'UserDeleted':
        if (state.status !== 'active') return state;
        return {
          status: 'deleted',
          userId: state.profile.userId,
          userName: state.profile.userName,
          credentials: state.credentials,
        };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterUser': {
        const { userId, userName, name, bio, profilePic, email, phoneNo, passwordHash, registeredAt } =
          command.data;
        if (state.status !== 'none') {
          return new DomainError('UserAlreadyExists', `account ${userId} already exists`);
        }
        const tooLong = textTooLong({ name, bio });
        if (tooLong) return tooLong;
        return [
          { type: 'UserRegistered', data: { userId, userName, name, bio, profilePic, registeredAt } },
          {
            type: 'AccountCredentialsSet',
            data: { userId, email, phoneNo, passwordHash, setAt: registeredAt },
          },
        ];
      }
      case 'UpdateProfile': {
        const { userId, changes, updatedAt } = command.data;
        if (state.status !== 'active') return notActive(state, userId);
        const tooLong = textTooLong(changes);
        if (tooLong) return tooLong;
        const changed = changedFields(state.profile, changes);
        if (Object.keys(changed).length === 0) return [];
        return [{ type: 'ProfileUpdated', data: { userId, ...changed, updatedAt } }];
      }
      case 'DeleteUser': {
        const { userId, deletedAt } = command.data;
        // Deleting again changes nothing, so a retried deletion (e.g. to finish its releases) is safe.
        if (state.status === 'deleted') return [];
        if (state.status === 'none') return notActive(state, userId);
        return [{ type: 'UserDeleted', data: { userId, deletedAt } }];
      }
      default:
        return assertNever(command);
    }
  },
};

function notActive(state: Exclude<UserState, { status: 'active' }>, userId: string): UserError {
  return state.status === 'deleted'
    ? new DomainError('UserWasDeleted', `account ${userId} was deleted`)
    : new DomainError('UserNotFound', `account ${userId} does not exist`);
}

/** Only the fields whose value differs from the profile's: an edit that changes nothing appends nothing. */
function changedFields(profile: PublicProfile, changes: ProfileChanges): ProfileChanges {
  const changed: ProfileChanges = {};
  if (changes.name !== undefined && changes.name !== profile.name) changed.name = changes.name;
  if (changes.bio !== undefined && changes.bio !== profile.bio) changed.bio = changes.bio;
  if (changes.profilePic !== undefined && changes.profilePic !== profile.profilePic) {
    changed.profilePic = changes.profilePic;
  }
  if (changes.isPrivate !== undefined && changes.isPrivate !== profile.isPrivate) {
    changed.isPrivate = changes.isPrivate;
  }
  return changed;
}
