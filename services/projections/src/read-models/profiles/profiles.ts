import { forgotten } from '@gram/personal-data';
import { forgottenFieldsOf } from '../authored.js';
import { defineReadModel } from '../read-model.js';
import { isLiveUser, type UserDocument } from './documents.js';

/** Profiles: one document per account, its counts written by the read models that keep them. */
export const profiles = defineReadModel({
  name: 'profiles',
  documents: ['users'],
  canHandle: ['UserRegistered', 'ProfileUpdated', 'UserDeleted'],
  handlers: {
    async UserRegistered(e, { documents }, rev) {
      await documents.applyRevision('users', e.userId, rev, {
        status: 'live',
        userName: e.userName,
        userNameKey: e.userName.toLowerCase(),
        name: e.name,
        bio: e.bio,
        profilePic: e.profilePic,
        createdAt: e.registeredAt,
      } satisfies Partial<UserDocument>);
    },
    async ProfileUpdated({ userId, updatedAt: _updatedAt, ...changed }, { documents }, rev) {
      await documents.applyRevision('users', userId, rev, changed satisfies Partial<UserDocument>);
    },
    /** The account stops showing, and its document keeps none of its personal fields (see authored.ts Forgotten). */
    async UserDeleted({ userId }, { documents }, rev) {
      await documents.applyRevision('users', userId, rev, {
        status: 'deleted',
        ...forgottenFieldsOf('UserRegistered'),
        // the userName's lookup key, derived from it
        userNameKey: forgotten,
      } satisfies Partial<UserDocument>);
    },
  },
  counters: [],
  log: {
    fold(event, _streamId, log) {
      if (event.type !== 'UserRegistered' && event.type !== 'UserDeleted') return;
      const { userId } = event.data;
      const status: UserDocument['status'] = event.type === 'UserRegistered' ? 'live' : 'deleted';
      log.users.set(userId, { id: userId, rev: 0, status });
    },
    visible: {
      users: (log) => [...log.users.values()].filter(isLiveUser).map((user) => user.id),
    },
  },
});
