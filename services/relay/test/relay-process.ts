import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const main = join(repoRoot, 'services', 'relay', 'src', 'main.ts');

export interface RelayProcess {
  child: ChildProcess;
  /** every JSON log line the process wrote so far */
  logs: Record<string, unknown>[];
  /** resolves with the first log line matching `message` */
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** resolves with the exit code or signal */
  exited: Promise<number | NodeJS.Signals | null>;
}

/** The relay as its own process, exactly as deployed: `node --import tsx services/relay/src/main.ts`. */
export function spawnRelay(options: {
  dataDir: string;
  brokers: string[];
  name: string;
  id: string;
  sessionTimeoutMs?: number;
}): RelayProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: options.dataDir,
    KAFKA_BROKERS: options.brokers.join(','),
    RELAY_NAME: options.name,
    RELAY_ID: options.id,
    RELAY_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs ?? 6_000),
    RELAY_POLL_INTERVAL_MS: '10',
    // Several relays run on this host at once (and other suites' systems): a free port each.
    METRICS_PORT: '0',
    // Required of every process of the distributed mode; nobody scrapes this relay's metrics here.
    INTERNAL_SERVICE_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info',
  };
  // The test's SQLite file, never a KurrentDB some other test run points at.
  delete env.EVENT_STORE_URL;
  delete env.ESDB_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const listeners = new Set<(line: Record<string, unknown>) => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const listener of listeners) listener(line);
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  return {
    child,
    logs,
    exited,
    waitForLog(message, timeoutMs = 60_000) {
      const found = logs.find((line) => line.msg === message);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(
            new Error(
              `relay ${options.id}: no "${message}" after ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        const listener = (line: Record<string, unknown>) => {
          if (line.msg !== message) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
        void exited.then(() => {
          if (!listeners.has(listener)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          reject(new Error(`relay ${options.id} exited before "${message}"; stderr: ${stderr.slice(-2000)}`));
        });
      });
    },
  };
}
