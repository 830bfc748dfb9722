import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../testing/decider-spec.js';
import { type UserCommand, type UserEvent, userDecider } from './user.js';

const spec = deciderSpec(userDecider);
const userId = '01990000-0000-7000-8000-00000000000a';
const t0 = '2025-01-01T00:00:00.000Z';
const t1 = '2025-01-02T00:00:00.000Z';

const register: Extract<UserCommand, { type: 'RegisterUser' }> = {
  type: 'RegisterUser',
  userId,
  userName: 'Alice',
  name: 'Alice Liddell',
  bio: '',
  profilePic: 'https://static.gram.example/default-profile.png',
  email: 'Alice@example.com',
  phoneNo: '+4915112345678',
  passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
  at: t0,
};

const registered: UserEvent[] = [
  {
    type: 'UserRegistered',
    data: {
      userId,
      userName: 'Alice',
      name: 'Alice Liddell',
      bio: '',
      profilePic: 'https://static.gram.example/default-profile.png',
      registeredAt: t0,
    },
  },
  {
    type: 'AccountCredentialsSet',
    data: {
      userId,
      email: 'Alice@example.com',
      phoneNo: '+4915112345678',
      passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
      setAt: t0,
    },
  },
];
const deleted: UserEvent = { type: 'UserDeleted', data: { userId, deletedAt: t1 } };

describe('registering an account', () => {
  it('records the public profile and, apart, the private credentials, in one decision', () => {
    spec.given().when(register).thenEvents(registered);
  });

  it('keeps contact data and the password hash out of the public event', () => {
    const [publicEvent] = userDecider.decide(register, userDecider.initialState()) as UserEvent[];
    expect(JSON.stringify(publicEvent)).not.toMatch(/example\.com|\+49|scrypt/);
  });

  it('refuses to register an account id twice', () => {
    spec
      .given(...registered)
      .when(register)
      .thenError('already-registered');
  });
});

describe('text limits', () => {
  it('refuses a name or a bio longer than its limit in UTF-16 code units, naming the field', () => {
    spec
      .given()
      .when({ ...register, name: '🌸'.repeat(26) })
      .thenError('text-too-long', 'name');
    spec
      .given(...registered)
      .when({ type: 'UpdateProfile', userId, changes: { bio: '🌸'.repeat(76) }, at: t1 })
      .thenError('text-too-long', 'bio');
  });

  it('accepts a name and a bio at their limits', () => {
    spec
      .given(...registered)
      .when({
        type: 'UpdateProfile',
        userId,
        changes: { name: '🌸'.repeat(25), bio: 'b'.repeat(150) },
        at: t1,
      })
      .thenEvents([
        {
          type: 'ProfileUpdated',
          data: { userId, name: '🌸'.repeat(25), bio: 'b'.repeat(150), updatedAt: t1 },
        },
      ]);
  });
});

describe('updating the profile', () => {
  it('records only the fields whose value changed', () => {
    spec
      .given(...registered)
      .when({ type: 'UpdateProfile', userId, changes: { name: 'Alice Liddell', bio: 'Curious' }, at: t1 })
      .thenEvents([{ type: 'ProfileUpdated', data: { userId, bio: 'Curious', updatedAt: t1 } }]);
  });

  it('records every changed field', () => {
    spec
      .given(...registered)
      .when({
        type: 'UpdateProfile',
        userId,
        changes: { name: 'Alice', bio: 'Curious', profilePic: 'https://img.example/a.png' },
        at: t1,
      })
      .thenEvents([
        {
          type: 'ProfileUpdated',
          data: {
            userId,
            name: 'Alice',
            bio: 'Curious',
            profilePic: 'https://img.example/a.png',
            updatedAt: t1,
          },
        },
      ]);
  });

  it('appends nothing when nothing changes, given the profile as edited before', () => {
    spec
      .given(...registered, { type: 'ProfileUpdated', data: { userId, bio: 'Curious', updatedAt: t0 } })
      .when({ type: 'UpdateProfile', userId, changes: { bio: 'Curious' }, at: t1 })
      .thenEvents([]);
    spec
      .given(...registered)
      .when({ type: 'UpdateProfile', userId, changes: {}, at: t1 })
      .thenEvents([]);
  });

  it('refuses to edit an account that does not exist or was deleted', () => {
    spec
      .given()
      .when({ type: 'UpdateProfile', userId, changes: { bio: 'x' }, at: t1 })
      .thenError('user-not-found');
    spec
      .given(...registered, deleted)
      .when({ type: 'UpdateProfile', userId, changes: { bio: 'x' }, at: t1 })
      .thenError('user-deleted');
  });

  it('folds every edit into the profile', () => {
    const state = spec.stateAfter(...registered, {
      type: 'ProfileUpdated',
      data: { userId, name: 'A.', profilePic: 'https://img.example/a.png', updatedAt: t1 },
    });
    expect(state).toMatchObject({
      status: 'active',
      profile: { name: 'A.', bio: '', profilePic: 'https://img.example/a.png', userName: 'Alice' },
    });
  });
});

describe('deleting an account', () => {
  it('records the deletion', () => {
    spec
      .given(...registered)
      .when({ type: 'DeleteUser', userId, at: t1 })
      .thenEvents([deleted]);
  });

  it('changes nothing when deleting again, so a retried deletion is safe', () => {
    spec
      .given(...registered, deleted)
      .when({ type: 'DeleteUser', userId, at: t1 })
      .thenEvents([]);
  });

  it('refuses to delete an account that never existed', () => {
    spec.given().when({ type: 'DeleteUser', userId, at: t1 }).thenError('user-not-found');
  });

  it('remembers the values whose reservations the deletion gives up', () => {
    expect(spec.stateAfter(...registered, deleted)).toEqual({
      status: 'deleted',
      userId,
      userName: 'Alice',
      credentials: {
        email: 'Alice@example.com',
        phoneNo: '+4915112345678',
        passwordHash: 'scrypt$32768$8$1$c2FsdA$aGFzaA',
      },
    });
  });
});
