import type { DomainEvent } from '@gram/events';
import { describe, expect, it } from 'vitest';
import { userSummaryOf } from './user-summary.js';

const userId = '01900000-0000-7000-8000-0000000000a1';
const registered: DomainEvent = {
  type: 'UserRegistered',
  data: {
    userId,
    userName: 'ada',
    name: 'Ada',
    bio: '',
    profilePic: 'https://img.example/default.png',
    registeredAt: '2025-01-01T10:00:00.000Z',
  },
};

describe('userSummaryOf', () => {
  it('is undefined for an account that was never registered', () => {
    expect(userSummaryOf([])).toBeUndefined();
  });

  it('takes the public profile fields of the registration', () => {
    expect(userSummaryOf([registered])).toEqual({
      id: userId,
      userName: 'ada',
      name: 'Ada',
      profilePic: 'https://img.example/default.png',
    });
  });

  it('applies each profile update, keeping the fields it leaves out', () => {
    const summary = userSummaryOf([
      registered,
      { type: 'ProfileUpdated', data: { userId, name: 'Ada L.', updatedAt: '2025-01-02T10:00:00.000Z' } },
      {
        type: 'ProfileUpdated',
        data: {
          userId,
          profilePic: 'https://img.example/ada.png',
          bio: 'hi',
          updatedAt: '2025-01-03T10:00:00.000Z',
        },
      },
    ]);
    expect(summary).toEqual({
      id: userId,
      userName: 'ada',
      name: 'Ada L.',
      profilePic: 'https://img.example/ada.png',
    });
  });
});
