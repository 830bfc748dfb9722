import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { EventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import type { DataKeyStore } from '@gram/personal-data';
import { type AccountDirectory, handleCommand, isDomainError } from '@gram/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import pLimit, { type LimitFunction } from 'p-limit';
import { type ArchiveSources, writeExportArchive } from './archive/index.js';
import { type ExportsState, exportDecider, isAbandoned } from './export.js';
import type { ExportStorage } from './export-storage.js';

/** How long a claimed build may run before another process presumes its builder dead (EXPORT_LEASE_MS). */
export const defaultExportLeaseMs = 15 * 60 * 1000;
/** How often archives past their lifetime are deleted from the storage. */
const sweepIntervalMs = 60 * 60 * 1000;

export interface ExportJobsOptions {
  /** identity's store, personal fields decrypted */
  store: EventStore;
  storage: ExportStorage;
  sources: Omit<ArchiveSources, 'store'>;
  accounts: AccountDirectory;
  dataKeys: DataKeyStore;
  clock: () => Date;
  leaseMs: number;
  /** archives built at once by this process (EXPORT_CONCURRENCY) */
  concurrency: number;
}

/**
 * The builds of export archives, in this process's background: a small queue (a build reads the account's
 * whole history and its photos, so a few at a time), each build claimed on the account's exports stream first.
 *
 * There is no scheduler and no table of jobs: the stream is the queue's durable state. The process that took
 * a request claims and builds it; one that dies mid-build leaves the export pending, with a claim that ages.
 * Whoever next looks at the account's exports (its owner polling `GET /users/me/exports/:id`, or its next
 * request) finds the claim older than the lease and claims it again. That suffices because somebody waiting
 * for an export does look at it, and an export nobody asks about needs no archive. Several processes may look
 * at once (several replicas, or two requests): the claim is appended with the stream's expected revision, so
 * one claim wins and the others are refused (the decider), and exactly one of them builds.
 */
export class ExportJobs {
  readonly #options: ExportJobsOptions;
  readonly #limit: LimitFunction;
  /** exports queued or being built here, so a poll does not queue a build this process already has */
  readonly #builds = new Map<string, { accountId: string; done: Promise<void>; abort: AbortController }>();
  readonly #closing = new AbortController();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: ExportJobsOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency);
  }

  get storage(): ExportStorage {
    return this.#options.storage;
  }

  get leaseMs(): number {
    return this.#options.leaseMs;
  }

  /** Queues the build of a pending export: claimed when its turn comes, skipped when another process has it. */
  enqueue(accountId: string, exportId: string, log: FastifyBaseLogger): void {
    if (this.#builds.has(exportId) || this.#closing.signal.aborted) return;
    const abort = new AbortController();
    const done = this.#limit(() => this.#build(accountId, exportId, abort.signal, log))
      // Left pending (e.g. the store was unreachable for the claim): the lease hands it over later.
      .catch((error) => log.error({ err: error, accountId, exportId }, 'export: the build stopped'))
      .finally(() => {
        this.#builds.delete(exportId);
      });
    this.#builds.set(exportId, { accountId, done, abort });
  }

  /** Queues the builds of the account's abandoned exports (see the class's comment). */
  resumeAbandoned(accountId: string, state: ExportsState, log: FastifyBaseLogger): void {
    const now = this.#options.clock();
    for (const found of state.exports) {
      if (isAbandoned(found, now, this.#options.leaseMs)) {
        log.info({ accountId, exportId: found.exportId }, 'export: claiming an abandoned build again');
        this.enqueue(accountId, found.exportId, log);
      }
    }
  }

  /** Resolves once every build queued so far has ended. */
  async idle(): Promise<void> {
    while (this.#builds.size > 0) await Promise.all([...this.#builds.values()].map((b) => b.done));
  }

  /**
   * The account's deletion: its builds here are stopped and waited for, then its archives deleted. A build in
   * another replica cannot be stopped from here: it checks, after writing, that the account and its key are
   * still there, and deletes its archive otherwise (see #build).
   */
  async erase(accountId: string): Promise<void> {
    const builds = [...this.#builds.values()].filter((b) => b.accountId === accountId);
    for (const build of builds) build.abort.abort();
    await Promise.all(builds.map((b) => b.done));
    await this.#options.storage.deleteAccount(accountId);
  }

  /** Deletes expired archives now and every hour, without keeping the process alive for it. */
  startSweeping(log: FastifyBaseLogger): void {
    const sweep = () =>
      this.#options.storage
        .deleteExpired(this.#options.clock())
        .catch((error) => log.error({ err: error }, 'export: expired archives could not be deleted'));
    void sweep();
    this.#sweeper = setInterval(sweep, sweepIntervalMs).unref();
  }

  /**
   * Stops: builds in progress are abandoned, their exports left pending (claimed again once their lease runs
   * out, by whoever looks), rather than holding the shutdown for as long as an archive takes.
   */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#closing.abort();
    await this.idle();
  }

  async #build(
    accountId: string,
    exportId: string,
    stop: AbortSignal,
    log: FastifyBaseLogger,
  ): Promise<void> {
    const { store, storage, clock, leaseMs } = this.#options;
    const signal = AbortSignal.any([stop, this.#closing.signal]);
    if (signal.aborted) return;
    const stream = streamIds.export(accountId);
    const claim = await handleCommand(
      store,
      stream,
      exportDecider,
      { type: 'StartExport', data: { accountId, exportId, startedAt: clock().toISOString(), leaseMs } },
      { actorId: accountId },
    );
    // Another process holds it, or it ended: nothing to build here.
    if (isDomainError(claim)) return;
    try {
      const { bytes } = await this.#writeArchive(accountId, exportId, signal);
      // The account may have been deleted while its archive was written (its eraser ran before this file
      // existed): a deleted account's archive must not stay behind, nor its export become ready.
      if (!(await this.#accountIsLive(accountId))) {
        await storage.delete(accountId, exportId);
        return;
      }
      const downloadKey = randomBytes(32).toString('base64url');
      const completed = await handleCommand(
        store,
        stream,
        exportDecider,
        {
          type: 'CompleteExport',
          data: { accountId, exportId, readyAt: clock().toISOString(), bytes, downloadKey },
        },
        { actorId: accountId },
      );
      // Refused: another claimant finished it after this build's lease ran out. The archive under its name is
      // that build's (the same content, renamed into place): it stays.
      if (isDomainError(completed)) return;
      log.info({ accountId, exportId, bytes }, 'export: archive ready');
    } catch (error) {
      await storage.delete(accountId, exportId);
      // Stopped (shutdown, or the account's deletion): the export stays pending, for the lease to hand over.
      if (signal.aborted) return;
      log.error({ err: error, accountId, exportId }, 'export: the archive could not be built');
      const failed = await handleCommand(
        store,
        stream,
        exportDecider,
        {
          type: 'FailExport',
          data: {
            accountId,
            exportId,
            failedAt: clock().toISOString(),
            reason: 'the archive could not be built',
          },
        },
        { actorId: accountId },
      ).catch((cause: unknown) => cause);
      if (failed instanceof Error)
        log.error({ err: failed, exportId }, 'export: its failure was not recorded');
    }
  }

  /** The archive, streamed from its builder into the storage; a failure of either stops the other. */
  async #writeArchive(accountId: string, exportId: string, stop: AbortSignal): Promise<{ bytes: number }> {
    const { store, storage, sources } = this.#options;
    const storing = new AbortController();
    const signal = AbortSignal.any([stop, storing.signal]);
    const pipe = new PassThrough();
    const writing = writeExportArchive(accountId, { store, ...sources }, pipe, { signal }).catch((error) => {
      pipe.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const stored = storage.put(accountId, exportId, pipe).catch((error) => {
      storing.abort();
      throw error;
    });
    const [, result] = await Promise.all([writing, stored]);
    return result;
  }

  /** The account exists, is not deleted, and its data key is not destroyed (a deletion in progress). */
  async #accountIsLive(accountId: string): Promise<boolean> {
    if ((await this.#options.accounts.status(accountId)) !== 'active') return false;
    return (await this.#options.dataKeys.get(accountId)).state === 'live';
  }
}
