import { Type } from '@sinclair/typebox';
import { aggregates } from './aggregates.js';
import { HttpUrl, Id, Timestamp } from './common.js';
import { defineEvent } from './define.js';

const UserName = Type.String({ minLength: 3, maxLength: 30, pattern: '^[A-Za-z0-9._]+$' });
const Name = Type.String({ minLength: 1, maxLength: 50 });
const Bio = Type.String({ maxLength: 150 });

export const UserRegistered = defineEvent({
  type: 'UserRegistered',
  version: 1,
  aggregate: aggregates.user,
  visibility: 'public',
  description:
    "An account was created. Public profile fields only: contact data and credentials are in AccountCredentialsSet. The profile fields are personal: stored and published encrypted under the account's data key, unreadable once the account is deleted.",
  personal: { owner: 'userId', fields: ['userName', 'name', 'bio', 'profilePic'] },
  schema: Type.Object(
    {
      userId: Id(),
      userName: UserName,
      name: Name,
      bio: Bio,
      profilePic: HttpUrl(),
      registeredAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const AccountCredentialsSet = defineEvent({
  type: 'AccountCredentialsSet',
  version: 1,
  aggregate: aggregates.user,
  visibility: 'private',
  description:
    "The account's contact data and password hash, appended with UserRegistered in the same write. Never leaves identity. Stored encrypted under the account's data key.",
  personal: { owner: 'userId', fields: ['email', 'phoneNo', 'passwordHash'] },
  secret: ['passwordHash'],
  schema: Type.Object(
    {
      userId: Id(),
      email: Type.String({ maxLength: 254 }),
      phoneNo: Type.String({ maxLength: 16 }),
      /** a self-describing KDF string, e.g. `scrypt$N=...$salt$hash`; never the password */
      passwordHash: Type.String(),
      setAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const ProfileUpdated = defineEvent({
  type: 'ProfileUpdated',
  version: 1,
  aggregate: aggregates.user,
  visibility: 'public',
  description:
    "Profile fields changed; only the fields that changed are present, with their new values, encrypted under the account's data key. `isPrivate` (not personal: stored in clear, the write side's privacy checks read it) is present when the account turned private (true) or public (false); an account no event made private is public.",
  personal: { owner: 'userId', fields: ['name', 'bio', 'profilePic'] },
  // `isPrivate` came after v1 as an optional field: a v1 payload without it still reads as v1, so no new version.
  schema: Type.Object(
    {
      userId: Id(),
      name: Type.Optional(Name),
      bio: Type.Optional(Bio),
      profilePic: Type.Optional(HttpUrl()),
      isPrivate: Type.Optional(Type.Boolean()),
      updatedAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const UserDeleted = defineEvent({
  type: 'UserDeleted',
  version: 1,
  aggregate: aggregates.user,
  visibility: 'public',
  description:
    "The account was deleted: its profile and posts disappear, and it stops counting in others' follower, following, like and comment counts.",
  schema: Type.Object({ userId: Id(), deletedAt: Timestamp() }, { additionalProperties: false }),
});

export const SessionStarted = defineEvent({
  type: 'SessionStarted',
  version: 1,
  aggregate: aggregates.session,
  visibility: 'private',
  description:
    'A login opened a session (a refresh-token family). Only a hash of the refresh token is stored.',
  secret: ['refreshTokenHash'],
  schema: Type.Object(
    {
      sessionId: Id(),
      userId: Id(),
      refreshTokenHash: Type.String(),
      startedAt: Timestamp(),
      expiresAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const SessionRefreshed = defineEvent({
  type: 'SessionRefreshed',
  version: 1,
  aggregate: aggregates.session,
  visibility: 'private',
  description: 'The refresh token was rotated: the previous one is spent, reusing it revokes the session.',
  secret: ['refreshTokenHash'],
  schema: Type.Object(
    {
      sessionId: Id(),
      refreshTokenHash: Type.String(),
      refreshedAt: Timestamp(),
      expiresAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

export const SessionRevoked = defineEvent({
  type: 'SessionRevoked',
  version: 1,
  aggregate: aggregates.session,
  visibility: 'private',
  description: 'The session ended: logout, reuse of a spent refresh token, or account deletion.',
  schema: Type.Object(
    {
      sessionId: Id(),
      userId: Id(),
      reason: Type.Union([
        Type.Literal('logout'),
        Type.Literal('refresh-token-reuse'),
        Type.Literal('account-deleted'),
      ]),
      revokedAt: Timestamp(),
    },
    { additionalProperties: false },
  ),
});

const UniqueKind = Type.Union([Type.Literal('userName'), Type.Literal('email'), Type.Literal('phoneNo')]);

export const UniqueValueReserved = defineEvent({
  type: 'UniqueValueReserved',
  version: 1,
  aggregate: aggregates.reservation,
  visibility: 'private',
  description:
    'A userName, email or phoneNo was claimed for an account (appended with expected revision "no stream").',
  schema: Type.Object(
    { kind: UniqueKind, userId: Id(), reservedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const UniqueValueReleased = defineEvent({
  type: 'UniqueValueReleased',
  version: 1,
  aggregate: aggregates.reservation,
  visibility: 'private',
  description: 'A claim was given up: a signup failed midway, a value changed, or the account was deleted.',
  schema: Type.Object(
    { kind: UniqueKind, userId: Id(), releasedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const ExportRequested = defineEvent({
  type: 'ExportRequested',
  version: 1,
  aggregate: aggregates.export,
  visibility: 'private',
  description: 'An account asked for an archive of its data (POST /users/me/exports). Never leaves identity.',
  schema: Type.Object(
    { accountId: Id(), exportId: Id(), requestedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const ExportStarted = defineEvent({
  type: 'ExportStarted',
  version: 1,
  aggregate: aggregates.export,
  visibility: 'private',
  description:
    "A process claimed the export's build (appended with the stream's expected revision, so of two claimants one wins). A claim older than the build lease may be taken over: its process is presumed dead.",
  schema: Type.Object(
    { accountId: Id(), exportId: Id(), startedAt: Timestamp() },
    { additionalProperties: false },
  ),
});

export const ExportReady = defineEvent({
  type: 'ExportReady',
  version: 1,
  aggregate: aggregates.export,
  visibility: 'private',
  description:
    "The export's archive is stored and downloadable until expiresAt by whoever presents downloadKey. The key is personal: stored encrypted under the account's data key, so the account's deletion makes every download link unusable.",
  personal: { owner: 'accountId', fields: ['downloadKey'] },
  // A credential: whoever holds it downloads the archive, so no export (not even the account's next) shows it.
  secret: ['downloadKey'],
  schema: Type.Object(
    {
      accountId: Id(),
      exportId: Id(),
      readyAt: Timestamp(),
      expiresAt: Timestamp(),
      bytes: Type.Integer({ minimum: 0 }),
      /** 32 random bytes, base64url: the secret of the download link */
      downloadKey: Type.String({ maxLength: 512 }),
    },
    { additionalProperties: false },
  ),
});

export const ExportFailed = defineEvent({
  type: 'ExportFailed',
  version: 1,
  aggregate: aggregates.export,
  visibility: 'private',
  description:
    "The export's build failed; its partial archive was removed. The account may ask again after 24 hours.",
  schema: Type.Object(
    { accountId: Id(), exportId: Id(), failedAt: Timestamp(), reason: Type.String({ maxLength: 500 }) },
    { additionalProperties: false },
  ),
});

export const identityEvents = [
  UserRegistered,
  AccountCredentialsSet,
  ProfileUpdated,
  UserDeleted,
  SessionStarted,
  SessionRefreshed,
  SessionRevoked,
  UniqueValueReserved,
  UniqueValueReleased,
  ExportRequested,
  ExportStarted,
  ExportReady,
  ExportFailed,
] as const;
