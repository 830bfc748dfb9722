import type { EventOfType } from '@gram/events';
import { assertNever, type Decider, DomainError } from '@gram/service-kit';

/**
 * An account's data exports, one stream per account (`exports-<accountId>`): the 24-hour rule between
 * requests is a rule over all of an account's exports, so they are decided together, on one expected revision.
 *
 * An export is requested, then claimed by the process that builds it (ExportStarted), then ready or failed.
 * A claim is a lease: a process that dies mid-build leaves its export pending, and once the lease has run out
 * the next process that looks at it claims it again (see jobs.ts).
 */
export type ExportEvent =
  | EventOfType<'ExportRequested'>
  | EventOfType<'ExportStarted'>
  | EventOfType<'ExportReady'>
  | EventOfType<'ExportFailed'>;

/** The time between two requests of one account. */
export const exportRequestInterval = 24 * 60 * 60 * 1000;
/** How long an archive can be downloaded after it is ready (API.md: 7 days). */
export const exportLifetime = 7 * 24 * 60 * 60 * 1000;

export type AccountExport =
  /** `claimedAt`: when its build was last claimed, null while no process has claimed it */
  | { status: 'pending'; exportId: string; requestedAt: string; claimedAt: string | null }
  | {
      status: 'ready';
      exportId: string;
      requestedAt: string;
      readyAt: string;
      expiresAt: string;
      bytes: number;
      downloadKey: string;
    }
  | { status: 'failed'; exportId: string; requestedAt: string; failedAt: string; reason: string };

/** An account's exports, in the order they were requested (the last one decides the 24-hour rule). */
export interface ExportsState {
  exports: readonly AccountExport[];
}

export type ExportCommand =
  | {
      type: 'RequestExport';
      /** `accountActive`: whether the account exists and is not deleted, as the account directory says */
      data: { accountId: string; exportId: string; requestedAt: string; accountActive: boolean };
    }
  | { type: 'StartExport'; data: { accountId: string; exportId: string; startedAt: string; leaseMs: number } }
  | {
      type: 'CompleteExport';
      data: { accountId: string; exportId: string; readyAt: string; bytes: number; downloadKey: string };
    }
  | { type: 'FailExport'; data: { accountId: string; exportId: string; failedAt: string; reason: string } };

export type ExportErrorCode =
  | 'ExportRequestedRecently'
  | 'AccountNotActive'
  | 'ExportNotFound'
  | 'ExportNotPending'
  | 'ExportAlreadyClaimed'
  | 'ExportNotStarted';

/** A refusal; `retryAfterSeconds` says when a request refused as too early would be accepted. */
export class ExportError extends DomainError<ExportErrorCode> {
  constructor(
    code: ExportErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

export const exportDecider: Decider<ExportCommand, ExportsState, ExportEvent, ExportError> = {
  initialState: () => ({ exports: [] }),

  evolve(state, event) {
    switch (event.type) {
      case 'ExportRequested': {
        const { exportId, requestedAt } = event.data;
        return { exports: [...state.exports, { status: 'pending', exportId, requestedAt, claimedAt: null }] };
      }
      case 'ExportStarted':
        return updated(state, event.data.exportId, (found) =>
          found.status === 'pending' ? { ...found, claimedAt: event.data.startedAt } : found,
        );
      case 'ExportReady': {
        const { readyAt, expiresAt, bytes, downloadKey } = event.data;
        return updated(state, event.data.exportId, (found) => ({
          status: 'ready',
          exportId: found.exportId,
          requestedAt: found.requestedAt,
          readyAt,
          expiresAt,
          bytes,
          downloadKey,
        }));
      }
      case 'ExportFailed': {
        const { failedAt, reason } = event.data;
        return updated(state, event.data.exportId, (found) => ({
          status: 'failed',
          exportId: found.exportId,
          requestedAt: found.requestedAt,
          failedAt,
          reason,
        }));
      }
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RequestExport': {
        const { accountId, exportId, requestedAt, accountActive } = command.data;
        if (!accountActive) {
          return new ExportError('AccountNotActive', `account ${accountId} does not exist or was deleted`);
        }
        const last = state.exports.at(-1);
        if (last !== undefined) {
          const allowedAt = Date.parse(last.requestedAt) + exportRequestInterval;
          const wait = allowedAt - Date.parse(requestedAt);
          if (wait > 0) {
            return new ExportError(
              'ExportRequestedRecently',
              'an export was requested in the last 24 hours: try again later',
              Math.ceil(wait / 1000),
            );
          }
        }
        return [{ type: 'ExportRequested', data: { accountId, exportId, requestedAt } }];
      }
      case 'StartExport': {
        const { accountId, exportId, startedAt, leaseMs } = command.data;
        const found = exportOf(state, exportId);
        if (found === undefined) return notFound(exportId);
        if (found.status !== 'pending') return notPending(found);
        // A claim within its lease belongs to a live build; an older one to a process presumed dead.
        if (found.claimedAt !== null && Date.parse(startedAt) - Date.parse(found.claimedAt) < leaseMs) {
          return new ExportError('ExportAlreadyClaimed', `export ${exportId} is being built`);
        }
        return [{ type: 'ExportStarted', data: { accountId, exportId, startedAt } }];
      }
      case 'CompleteExport': {
        const { accountId, exportId, readyAt, bytes, downloadKey } = command.data;
        const found = startedExport(state, exportId);
        if (found instanceof ExportError) return found;
        const expiresAt = new Date(Date.parse(readyAt) + exportLifetime).toISOString();
        return [
          { type: 'ExportReady', data: { accountId, exportId, readyAt, expiresAt, bytes, downloadKey } },
        ];
      }
      case 'FailExport': {
        const { accountId, exportId, failedAt, reason } = command.data;
        const found = startedExport(state, exportId);
        if (found instanceof ExportError) return found;
        return [{ type: 'ExportFailed', data: { accountId, exportId, failedAt, reason } }];
      }
      default:
        return assertNever(command);
    }
  },
};

export function exportOf(state: ExportsState, exportId: string): AccountExport | undefined {
  return state.exports.find((e) => e.exportId === exportId);
}

/**
 * Whether a pending export may be claimed by whoever looks at it now: its last claim (or, never claimed, its
 * request) is older than the lease, so the process that took it is presumed dead.
 */
export function isAbandoned(found: AccountExport, now: Date, leaseMs: number): boolean {
  if (found.status !== 'pending') return false;
  return now.getTime() - Date.parse(found.claimedAt ?? found.requestedAt) >= leaseMs;
}

function updated(
  state: ExportsState,
  exportId: string,
  change: (found: AccountExport) => AccountExport,
): ExportsState {
  return { exports: state.exports.map((e) => (e.exportId === exportId ? change(e) : e)) };
}

/** Only a claimed build ends: ready or failed. */
function startedExport(state: ExportsState, exportId: string): AccountExport | ExportError {
  const found = exportOf(state, exportId);
  if (found === undefined) return notFound(exportId);
  if (found.status !== 'pending') return notPending(found);
  if (found.claimedAt === null) {
    return new ExportError('ExportNotStarted', `export ${exportId} was not claimed by a build`);
  }
  return found;
}

const notFound = (exportId: string) => new ExportError('ExportNotFound', `export ${exportId} does not exist`);
const notPending = (found: AccountExport) =>
  new ExportError('ExportNotPending', `export ${found.exportId} is ${found.status} already`);
