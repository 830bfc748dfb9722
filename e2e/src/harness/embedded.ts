import { join } from 'node:path';
import { KeyStore } from '@gram/identity';
import { assertPortFree, freePort } from './ports.js';
import { ServiceProcess } from './service-process.js';

export interface StartEmbeddedOptions {
  /** DATA_DIR of the process: the SQLite event store, identity's signing key and the media files */
  dataDir: string;
  /** the public port; a free one when left out. A restart keeps it, so the media URLs stay valid. */
  port?: number;
  /** where the log goes (default `<dataDir>/logs/embedded.log`) */
  logFile?: string;
  /** more environment, e.g. LOG_LEVEL or rate limits */
  env?: Record<string, string>;
}

export interface EmbeddedSystem {
  readonly mode: 'embedded';
  /** the gateway, e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  readonly dataDir: string;
  /** the one process of the whole system */
  readonly process: ServiceProcess;
  /** identity's signing key, as the process keeps it under DATA_DIR */
  signingKeys(): Promise<KeyStore>;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** stops the process (SIGTERM) and starts it again on the same data and port */
  restart(): Promise<void>;
}

/**
 * The embedded mode as its user starts it: `apps/embedded/src/main.ts` in a process of its own,
 * with DATA_DIR and PORT. Resolves once `/health` and `/ready` answer 200.
 */
export async function startEmbedded(options: StartEmbeddedOptions): Promise<EmbeddedSystem> {
  if (options.port !== undefined) await assertPortFree(options.port);
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const service = new ServiceProcess({
    name: 'embedded',
    entry: 'apps/embedded/src/main.ts',
    env: {
      DATA_DIR: options.dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      MEDIA_PUBLIC_URL: url,
      // The media routes run in this process: see services/media/src/main.ts.
      MALLOC_ARENA_MAX: '1',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    logFile: options.logFile ?? join(options.dataDir, 'logs', 'embedded.log'),
    healthUrls: [`${url}/health`, `${url}/ready`],
  });
  await service.start();
  return {
    mode: 'embedded',
    url,
    dataDir: options.dataDir,
    process: service,
    signingKeys: () => KeyStore.inDirectory(join(options.dataDir, 'keys')),
    stop: () => service.stop(),
    kill: (signal) => service.kill(signal),
    restart: () => service.restart(),
  };
}
