import { assertNever, HttpProblem, tooManyRequests } from '@gram/service-kit';
import type { ExportError } from './exports/export.js';
import type { ReservationError } from './reservations/reservation.js';
import type { SessionError } from './sessions/session.js';
import type { UserError } from './users/user.js';

export type IdentityError = UserError | SessionError | ReservationError | ExportError;

const bearerChallenge = { 'www-authenticate': 'Bearer realm="gram"' };

/**
 * Every refusal about a refresh token reads the same: telling an unknown token from a spent,
 * expired or revoked one would only help whoever holds a stolen token.
 */
export const invalidRefreshToken = () =>
  new HttpProblem(401, 'the refresh token is invalid, expired or revoked');

/** One answer for an unknown login and a wrong password, so the answer does not tell which accounts exist. */
export const invalidCredentials = () => new HttpProblem(401, 'the login or the password is wrong');

/** A signup's taken values, each named as a field, in the order userName, email, phoneNo. */
export function valuesTaken(errors: readonly ReservationError[]): HttpProblem {
  const fields = errors.map((e) => e.field ?? '(root)');
  return new HttpProblem(409, `already taken: ${fields.join(', ')}`, {
    code: 'taken',
    errors: fields.map((field) => ({ field, message: 'is already taken' })),
  });
}

/** The one place where identity's domain errors become HTTP statuses. */
export function toHttpProblem(error: IdentityError): HttpProblem {
  switch (error.code) {
    case 'ValueTaken':
      return valuesTaken([error]);
    case 'TextTooLong':
      return new HttpProblem(400, error.message, {
        errors: [{ field: error.field ?? '(root)', message: error.message }],
      });
    case 'UserAlreadyExists':
    case 'SessionAlreadyExists':
      return new HttpProblem(409, error.message);
    // A validly signed token whose account is gone: the caller is not authenticated any more.
    case 'UserNotFound':
    case 'UserWasDeleted':
    case 'AccountNotActive':
      return new HttpProblem(401, 'the account of this access token does not exist', {
        headers: bearerChallenge,
      });
    case 'SessionNotFound':
    case 'SessionWasRevoked':
    case 'SessionExpired':
    case 'UnknownRefreshToken':
      return invalidRefreshToken();
    case 'ExportRequestedRecently':
      return tooManyRequests(error.retryAfterSeconds ?? 1, error.message);
    case 'ExportNotFound':
      return new HttpProblem(404, 'no such export');
    // Only builds meet these, never a request.
    case 'ExportNotPending':
    case 'ExportAlreadyClaimed':
    case 'ExportNotStarted':
      return new HttpProblem(409, error.message);
    default:
      return assertNever(error);
  }
}
