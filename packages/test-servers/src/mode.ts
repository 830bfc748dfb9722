import { execFile } from 'node:child_process';
import type { ServerMode } from './types.js';

let detected: Promise<ServerMode> | undefined;

/**
 * Containers when a Docker engine answers `docker info`, local processes otherwise.
 * `TEST_SERVERS_MODE=container|local` overrides the detection (e.g. to use local processes on a laptop
 * that has Docker, or to fail loudly in a pipeline that must use containers).
 */
export function serverMode(): Promise<ServerMode> {
  const forced = process.env.TEST_SERVERS_MODE;
  if (forced === 'container' || forced === 'local') return Promise.resolve(forced);
  if (forced) throw new Error(`TEST_SERVERS_MODE must be "container" or "local", not "${forced}"`);
  detected ??= new Promise((resolve) => {
    // A docker CLI without a reachable engine fails quickly; a hung engine must not hang every test run.
    execFile('docker', ['info'], { timeout: 15_000 }, (error) => resolve(error ? 'local' : 'container'));
  });
  return detected;
}
