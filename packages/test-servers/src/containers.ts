/**
 * testcontainers takes about a second to import. Loaded only when a container is started, so that local
 * processes, and test files that import this package for its types, do not pay for it.
 */
export function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  return import('testcontainers');
}
