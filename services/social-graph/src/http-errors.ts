import { HttpProblem } from '@gram/service-kit';
import type { FollowErrorCode } from './follows/follow.js';

/** Every domain error code of the service and its HTTP status: the one place statuses are chosen. */
const statusOf: Record<FollowErrorCode, number> = {
  CannotFollowSelf: 400,
  UserNotFound: 404,
  NoPendingRequest: 404,
};

export function toHttpProblem(error: {
  code: FollowErrorCode;
  message: string;
  field?: string;
}): HttpProblem {
  const status = statusOf[error.code];
  return new HttpProblem(
    status,
    error.message,
    status === 400 && error.field ? { errors: [{ field: error.field, message: error.message }] } : {},
  );
}
