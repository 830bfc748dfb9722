import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTestcontainers } from './containers.js';
import { cacheDir, createRunDir, freePort, pathExists, withFileLock } from './local/cache.js';
import { goCommand } from './local/go.js';
import { type LocalProcess, spawnServer, startWithRetries, waitUntilReady } from './local/process.js';
import { run } from './local/tools.js';
import { serverMode } from './mode.js';
import { once } from './once.js';
import type { RunningS3 } from './types.js';

/**
 * The MinIO module version built with `go install`. The Go module proxy serves MinIO's `RELEASE.*` tags
 * only as commits (they are not semver): this is the last commit of the repository, February 2026.
 */
export const MINIO_MODULE_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const MINIO_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';
const ACCESS_KEY = 'gram-test';
const SECRET_KEY = 'gram-test-secret';

/** Starts an S3-compatible server for tests: MinIO in a container where Docker runs, a local MinIO otherwise. */
export async function startS3(): Promise<RunningS3> {
  return (await serverMode()) === 'container' ? startMinioContainer() : startLocalMinio();
}

async function startMinioContainer(): Promise<RunningS3> {
  const { GenericContainer, Wait } = await loadTestcontainers();
  const container = await new GenericContainer(MINIO_IMAGE)
    .withExposedPorts(9000)
    .withEnvironment({ MINIO_ROOT_USER: ACCESS_KEY, MINIO_ROOT_PASSWORD: SECRET_KEY })
    .withCommand(['server', '/data'])
    .withWaitStrategy(Wait.forHttp('/minio/health/ready', 9000))
    .start();
  const address = `${container.getHost()}:${container.getMappedPort(9000)}`;
  return {
    name: 's3',
    url: `http://${address}`,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    description: `minio (container ${MINIO_IMAGE} ${address})`,
    stop: once(async () => {
      await container.stop();
    }),
  };
}

async function startLocalMinio(): Promise<RunningS3> {
  const minio = await buildMinio();
  return startWithRetries('minio', async () => {
    const dir = await createRunDir('minio');
    let server: LocalProcess | undefined;
    const stop = once(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });
    try {
      const data = join(dir, 'data');
      await mkdir(data);
      const [port, consolePort] = [await freePort(), await freePort()];
      server = await spawnServer({
        command: minio,
        args: [
          'server',
          data,
          '--address',
          `127.0.0.1:${port}`,
          '--console-address',
          `127.0.0.1:${consolePort}`,
          '--quiet',
        ],
        cwd: dir,
        logFile: join(dir, 'minio.log'),
        env: {
          ...process.env,
          MINIO_ROOT_USER: ACCESS_KEY,
          MINIO_ROOT_PASSWORD: SECRET_KEY,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
          HOME: dir,
        },
      });
      const url = `http://127.0.0.1:${port}`;
      await waitUntilReady('minio', server, () => ready(url), 60_000);
      return {
        name: 's3',
        url,
        accessKey: ACCESS_KEY,
        secretKey: SECRET_KEY,
        description: `minio ${MINIO_MODULE_VERSION} (local process 127.0.0.1:${port})`,
        stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  });
}

async function ready(url: string): Promise<void> {
  const res = await fetch(`${url}/minio/health/ready`);
  if (!res.ok) throw new Error(`minio health: ${res.status}`);
}

/**
 * `go install github.com/minio/minio@<version>` into the cache, once per version, under a lock. A cold
 * build takes about 4 minutes on 2 cores (hundreds of modules); CI should cache the cache dir.
 */
async function buildMinio(): Promise<string> {
  const home = join(cacheDir(), `minio-${MINIO_MODULE_VERSION}`);
  const binary = join(home, 'minio');
  const done = join(home, 'version.txt');
  if (await pathExists(done)) return binary;
  await withFileLock('minio', async () => {
    if (await pathExists(done)) return;
    const go = await goCommand();
    const started = Date.now();
    console.warn(`test servers: building MinIO ${MINIO_MODULE_VERSION} with go install into ${home}`);
    const staging = join(home, 'bin.partial');
    await mkdir(staging, { recursive: true });
    await run(
      go.path,
      ['install', '-trimpath', '-ldflags=-s -w', `github.com/minio/minio@${MINIO_MODULE_VERSION}`],
      {
        cwd: home,
        env: { ...process.env, ...go.env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: '' },
      },
    );
    await rename(join(staging, 'minio'), binary);
    await rm(staging, { recursive: true, force: true });
    const { stdout } = await run(binary, ['--version']);
    // Written last: its presence marks a complete build.
    await writeFile(done, stdout.trim());
    console.warn(`test servers: MinIO built in ${Math.round((Date.now() - started) / 1000)}s`);
  });
  await readFile(done, 'utf8');
  return binary;
}
