import type { Profile, UserSummary } from '@gram/service-kit';
import type { PublicProfile } from './user.js';

export function toUserSummary(profile: PublicProfile): UserSummary {
  return {
    id: profile.userId,
    userName: profile.userName,
    name: profile.name,
    profilePic: profile.profilePic,
  };
}

/**
 * The profile as the write side knows it. The counters belong to the read side (projections
 * count follows and posts), which identity cannot see: they are 0 here. The gateway (a later
 * issue) serves PATCH /users/me's answer from the read model once it has applied this write,
 * waiting on the response's consistency token, so clients get the real counts.
 */
export function toProfile(profile: PublicProfile): Profile {
  return {
    id: profile.userId,
    userName: profile.userName,
    name: profile.name,
    bio: profile.bio,
    profilePic: profile.profilePic,
    followersCount: 0,
    followingCount: 0,
    postCount: 0,
    createdAt: profile.registeredAt,
    isPrivate: profile.isPrivate,
  };
}
