import { deciderSpec } from '@gram/service-kit/decider-spec';
import { describe, expect, it } from 'vitest';
import { type ExportCommand, type ExportEvent, exportDecider, isAbandoned } from './export.js';

const spec = deciderSpec(exportDecider);
const accountId = '01990000-0000-7000-8000-00000000000a';
const first = '01990000-0000-7000-8000-0000000000e1';
const second = '01990000-0000-7000-8000-0000000000e2';
const t0 = '2025-01-01T00:00:00.000Z';
const lease = 15 * 60 * 1000;
const at = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();
const hours = (n: number) => n * 60 * 60 * 1000;
const minutes = (n: number) => n * 60 * 1000;

const request = (exportId: string, requestedAt: string, accountActive = true): ExportCommand => ({
  type: 'RequestExport',
  data: { accountId, exportId, requestedAt, accountActive },
});
const start = (startedAt: string): ExportCommand => ({
  type: 'StartExport',
  data: { accountId, exportId: first, startedAt, leaseMs: lease },
});
const complete = (readyAt: string): ExportCommand => ({
  type: 'CompleteExport',
  data: { accountId, exportId: first, readyAt, bytes: 22, downloadKey: 'k3y' },
});
const fail = (failedAt: string): ExportCommand => ({
  type: 'FailExport',
  data: { accountId, exportId: first, failedAt, reason: 'media unreachable' },
});

const requested: ExportEvent = {
  type: 'ExportRequested',
  data: { accountId, exportId: first, requestedAt: t0 },
};
const started = (startedAt: string): ExportEvent => ({
  type: 'ExportStarted',
  data: { accountId, exportId: first, startedAt },
});
const ready: ExportEvent = {
  type: 'ExportReady',
  data: {
    accountId,
    exportId: first,
    readyAt: at(minutes(2)),
    expiresAt: at(minutes(2) + hours(24 * 7)),
    bytes: 22,
    downloadKey: 'k3y',
  },
};
const failed: ExportEvent = {
  type: 'ExportFailed',
  data: { accountId, exportId: first, failedAt: at(minutes(2)), reason: 'media unreachable' },
};

describe('requesting an export', () => {
  it('records the request of an active account', () => {
    spec().when(request(first, t0)).thenRecords(requested);
  });

  it('refuses the request of an account that is deleted or does not exist', () => {
    spec()
      .when(request(first, t0, false))
      .thenFailsWith('AccountNotActive');
  });

  it('refuses a request less than 24 hours after the last one, saying how many seconds to wait', () => {
    spec(requested, started(t0), ready)
      .when(request(second, at(hours(24) - 1500)))
      .thenFailsWith('ExportRequestedRecently');
    const refusal = exportDecider.decide(request(second, at(hours(24) - 1500)), {
      exports: [{ status: 'pending', exportId: first, requestedAt: t0, claimedAt: null }],
    });
    expect(refusal).toMatchObject({ code: 'ExportRequestedRecently', retryAfterSeconds: 2 });
  });

  it('accepts a request exactly 24 hours after the last one', () => {
    spec(requested, started(t0), failed)
      .when(request(second, at(hours(24))))
      .thenRecords({
        type: 'ExportRequested',
        data: { accountId, exportId: second, requestedAt: at(hours(24)) },
      });
  });
});

describe('claiming the build', () => {
  it('claims a pending export nobody claimed', () => {
    spec(requested)
      .when(start(at(1)))
      .thenRecords(started(at(1)));
  });

  it('refuses a claim while the last one is within its lease: one build at a time', () => {
    spec(requested, started(at(1)))
      .when(start(at(lease)))
      .thenFailsWith('ExportAlreadyClaimed');
  });

  it('claims again once the last claim is as old as the lease: its process is presumed dead', () => {
    spec(requested, started(at(1)))
      .when(start(at(lease + 1)))
      .thenRecords(started(at(lease + 1)));
  });

  it('refuses to claim an export that is ready, failed or unknown', () => {
    spec(requested, started(t0), ready)
      .when(start(at(hours(1))))
      .thenFailsWith('ExportNotPending');
    spec(requested, started(t0), failed)
      .when(start(at(hours(1))))
      .thenFailsWith('ExportNotPending');
    spec().when(start(t0)).thenFailsWith('ExportNotFound');
  });

  it('tells an abandoned pending export by its last claim, or its request when never claimed', () => {
    const pending = (claimedAt: string | null) =>
      ({ status: 'pending', exportId: first, requestedAt: t0, claimedAt }) as const;
    expect(isAbandoned(pending(null), new Date(at(lease - 1)), lease)).toBe(false);
    expect(isAbandoned(pending(null), new Date(at(lease)), lease)).toBe(true);
    expect(isAbandoned(pending(at(minutes(10))), new Date(at(lease)), lease)).toBe(false);
    expect(isAbandoned(pending(at(minutes(10))), new Date(at(minutes(10) + lease)), lease)).toBe(true);
  });
});

describe('ending the build', () => {
  it('makes a started export ready, downloadable for 7 days', () => {
    spec(requested, started(t0))
      .when(complete(at(minutes(2))))
      .thenRecords(ready);
  });

  it('records the failure of a started export', () => {
    spec(requested, started(t0))
      .when(fail(at(minutes(2))))
      .thenRecords(failed);
  });

  it('refuses to end a build nobody claimed', () => {
    spec(requested)
      .when(complete(at(minutes(2))))
      .thenFailsWith('ExportNotStarted');
    spec(requested)
      .when(fail(at(minutes(2))))
      .thenFailsWith('ExportNotStarted');
  });

  it('refuses to end a build twice: a late claimant whose lease was taken over changes nothing', () => {
    spec(requested, started(t0), ready)
      .when(complete(at(minutes(3))))
      .thenFailsWith('ExportNotPending');
    spec(requested, started(t0), ready)
      .when(fail(at(minutes(3))))
      .thenFailsWith('ExportNotPending');
  });
});
