import { HttpProblem } from '@gram/service-kit';
import type { FollowErrorCode } from './follows/follow.js';
import type { MuteErrorCode } from './mutes/mute.js';

type ErrorCode = FollowErrorCode | MuteErrorCode;

/** Every domain error code of the service, its HTTP status and, where it is not the status's own, its `code`. */
const answers: Record<ErrorCode, { status: number; code?: string }> = {
  CannotFollowSelf: { status: 400 },
  CannotMuteSelf: { status: 400, code: 'cannot-mute-yourself' },
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
