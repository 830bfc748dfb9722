import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { type ProfileChanges, type UserCommand, type UserEvent, userDecider } from './user.js';

const spec = deciderSpec(userDecider);
const userId = '01990000-0000-7000-8000-00000000000a';
const t0 = '2025-01-01T00:00:00.000Z';
const t1 = '2025-01-02T00:00:00.000Z';

// What the account says of itself in public, and what it keeps to itself.
const profile = {
  userId,
  userName: 'Alice',
  name: 'Alice Liddell',
  bio: '',
  profilePic: 'https://static.gram.example/default-profile.png',
};
const credentials = {
  email: 'Alice@example.com',
  phoneNo: '+4915112345678',
  passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
};

const register = (changes: { name?: string } = {}): UserCommand => ({
  type: 'RegisterUser',
  data: { ...profile, ...credentials, registeredAt: t0, ...changes },
});
const update = (changes: ProfileChanges): UserCommand => ({
  type: 'UpdateProfile',
  data: { userId, changes, updatedAt: t1 },
});
const deleteUser: UserCommand = { type: 'DeleteUser', data: { userId, deletedAt: t1 } };

const registered: UserEvent[] = [
  { type: 'UserRegistered', data: { ...profile, registeredAt: t0 } },
  { type: 'AccountCredentialsSet', data: { userId, ...credentials, setAt: t0 } },
];
const deleted: UserEvent = { type: 'UserDeleted', data: { userId, deletedAt: t1 } };

describe('registering an account', () => {
  it('records the public profile and, apart, the private credentials, in one decision', () => {
    spec()
      .when(register())
      .thenRecords(...registered);
  });

  it('keeps contact data and the password hash out of the public event', () => {
    const [publicEvent] = userDecider.decide(register(), userDecider.initialState()) as UserEvent[];
    expect(JSON.stringify(publicEvent)).not.toMatch(/example\.com|\+49|scrypt/);
  });

  it('refuses to register an account id twice', () => {
    spec(...registered)
      .when(register())
      .thenFailsWith('UserAlreadyExists');
  });
});

describe('text limits', () => {
  it('refuses a name or a bio longer than its limit in UTF-16 code units, naming the field', () => {
    spec()
      .when(register({ name: '🌸'.repeat(26) }))
      .thenFailsWith('TextTooLong', 'name');
    spec(...registered)
      .when(update({ bio: '🌸'.repeat(76) }))
      .thenFailsWith('TextTooLong', 'bio');
  });

  it('accepts a name and a bio at their limits', () => {
    spec(...registered)
      .when(update({ name: '🌸'.repeat(25), bio: 'b'.repeat(150) }))
      .thenRecords({
        type: 'ProfileUpdated',
        data: { userId, name: '🌸'.repeat(25), bio: 'b'.repeat(150), updatedAt: t1 },
      });
  });
});

describe('updating the profile', () => {
  it('records only the fields whose value changed', () => {
    spec(...registered)
      .when(update({ name: 'Alice Liddell', bio: 'Curious' }))
      .thenRecords({ type: 'ProfileUpdated', data: { userId, bio: 'Curious', updatedAt: t1 } });
  });

  it('records every changed field', () => {
    spec(...registered)
      .when(update({ name: 'Alice', bio: 'Curious', profilePic: 'https://img.example/a.png' }))
      .thenRecords({
        type: 'ProfileUpdated',
        data: {
          userId,
          name: 'Alice',
          bio: 'Curious',
          profilePic: 'https://img.example/a.png',
          updatedAt: t1,
        },
      });
  });

  it('records turning private and back to public, and nothing when the account already is so', () => {
    spec(...registered)
      .when(update({ isPrivate: true }))
      .thenRecords({ type: 'ProfileUpdated', data: { userId, isPrivate: true, updatedAt: t1 } });
    spec(...registered)
      .when(update({ isPrivate: false }))
      .thenNothingHappens();
    const turnedPrivate: UserEvent = {
      type: 'ProfileUpdated',
      data: { userId, isPrivate: true, updatedAt: t0 },
    };
    spec(...registered, turnedPrivate)
      .when(update({ isPrivate: true }))
      .thenNothingHappens();
    spec(...registered, turnedPrivate)
      .when(update({ isPrivate: false }))
      .thenRecords({ type: 'ProfileUpdated', data: { userId, isPrivate: false, updatedAt: t1 } });
  });

  it('appends nothing when nothing changes, given the profile as edited before', () => {
    spec(...registered, { type: 'ProfileUpdated', data: { userId, bio: 'Curious', updatedAt: t0 } })
      .when(update({ bio: 'Curious' }))
      .thenNothingHappens();
    spec(...registered)
      .when(update({}))
      .thenNothingHappens();
  });

  it('refuses to edit an account that does not exist or was deleted', () => {
    spec()
      .when(update({ bio: 'x' }))
      .thenFailsWith('UserNotFound');
    spec(...registered, deleted)
      .when(update({ bio: 'x' }))
      .thenFailsWith('UserWasDeleted');
  });

  it('folds every edit into the profile', () => {
    spec(...registered)
      .when(update({ name: 'A.', profilePic: 'https://img.example/a.png' }))
      .thenStateIs({
        status: 'active',
        profile: {
          ...profile,
          name: 'A.',
          profilePic: 'https://img.example/a.png',
          registeredAt: t0,
          isPrivate: false,
        },
        credentials,
      });
  });
});

describe('deleting an account', () => {
  it('records the deletion', () => {
    spec(...registered)
      .when(deleteUser)
      .thenRecords(deleted);
  });

  it('changes nothing when deleting again, so a retried deletion is safe', () => {
    spec(...registered, deleted)
      .when(deleteUser)
      .thenNothingHappens();
  });

  it('refuses to delete an account that never existed', () => {
    spec().when(deleteUser).thenFailsWith('UserNotFound');
  });

  it('remembers the values whose reservations the deletion gives up', () => {
    spec(...registered)
      .when(deleteUser)
      .thenStateIs({
        status: 'deleted',
        userId,
        userName: 'Alice',
        credentials,
      });
  });
});
