import { isKeyOutage } from '@gram/personal-data';
import { MongoError, MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError } from 'mongodb';

/** Node's codes for a connection that could not be made or broke. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * MongoDB server errors of a node that cannot take the operation now but will (an election, a step-down, a
 * shutdown, a network hop): HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress,
 * PrimarySteppedDown, ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown,
 * InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
 */
const laterServerCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** Redis replies that mean "later": loading its data set, a replica mid-failover, a cluster or script busy. */
const laterRedisReply = /^(LOADING|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|BUSY)\b/;

/**
 * Whether a message failed because MongoDB or Redis is unreachable or briefly unable to serve, or because the
 * data key its personal fields need cannot be had (identity or its key store down, or slow: isKeyOutage),
 * rather than because of the message: the workers retry such failures until the stores are back instead of
 * dead-lettering the message (SubscribeOptions.isTransient). Anything else, a bug or a document the store
 * refuses, is not transient and still ends in the dead-letter topic after the retry budget.
 */
export function isTransientStoreError(error: unknown): boolean {
  if (isKeyOutage(error)) return true;
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++, current = current.cause) {
    if (
      current instanceof MongoNetworkError ||
      current instanceof MongoServerSelectionError ||
      current instanceof MongoNotConnectedError
    )
      return true;
    if (current instanceof MongoError) {
      if (current.hasErrorLabel('RetryableWriteError') || current.hasErrorLabel('TransientTransactionError'))
        return true;
      if (typeof current.code === 'number' && laterServerCodes.has(current.code)) return true;
      continue;
    }
    // ioredis: a command that waited through its reconnection attempts, or one sent on a closed connection.
    if (current.name === 'MaxRetriesPerRequestError' || current.message === 'Connection is closed.')
      return true;
    if (current.name === 'ReplyError' && laterRedisReply.test(current.message)) return true;
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
  }
  return false;
}
