import type { FieldError } from '@gram/service-kit';

/** What the gateway needs to serve, each checked by a call that settles once it is reachable. */
export type DependencyChecks = Record<string, () => Promise<unknown>>;

export interface Readiness {
  ready: boolean;
  /** one entry per dependency that failed its check, `field` naming it */
  failures: FieldError[];
}

/** Runs every check at once, each bounded by `timeoutMs`, so a hanging dependency cannot hang `/ready`. */
export async function checkDependencies(checks: DependencyChecks, timeoutMs = 2_000): Promise<Readiness> {
  const names = Object.keys(checks);
  const outcomes = await Promise.allSettled(names.map((name) => withTimeout(checks[name]?.(), timeoutMs)));
  const failures = outcomes.flatMap((outcome, i): FieldError[] =>
    outcome.status === 'rejected' ? [{ field: names[i] as string, message: reasonOf(outcome.reason) }] : [],
  );
  return { ready: failures.length === 0, failures };
}

function withTimeout(check: Promise<unknown> | undefined, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([check, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(reason: unknown): string {
  if (reason instanceof Error) {
    const cause = reason.cause instanceof Error ? `: ${reason.cause.message}` : '';
    return `${reason.message}${cause}`;
  }
  return String(reason);
}
