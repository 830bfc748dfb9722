/** Whether this runs in CI, where a test server that cannot be provided is a failure, never a skip. */
export function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}
