import { HttpProblem } from '@gram/service-kit';
import type { BlockErrorCode } from './blocks/block.js';
import type { FollowErrorCode } from './follows/follow.js';
import type { MuteErrorCode } from './mutes/mute.js';

type ErrorCode = FollowErrorCode | MuteErrorCode | BlockErrorCode;

/** Every domain error code of the service, its HTTP status and, where it is not the status's own, its `code`. */
const answers: Record<ErrorCode, { status: number; code?: string }> = {
  CannotFollowSelf: { status: 400 },
  CannotMuteSelf: { status: 400, code: 'cannot-mute-yourself' },
  CannotBlockSelf: { status: 400, code: 'cannot-block-yourself' },
  // The caller blocks the account it writes about (follows/follow.ts, blockRefusal). The blocked side is never
  // told: it gets UserNotFound, the answer an unknown account gets.
  Blocked: { status: 403, code: 'blocked' },
  UserNotFound: { status: 404 },
  NoPendingRequest: { status: 404 },
};

export function toHttpProblem(error: { code: ErrorCode; message: string; field?: string }): HttpProblem {
  const { status, code } = answers[error.code];
  return new HttpProblem(status, error.message, {
    ...(code ? { code } : {}),
    ...(status === 400 && error.field ? { errors: [{ field: error.field, message: error.message }] } : {}),
  });
}
