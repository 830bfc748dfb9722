import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { withFileLock } from './cache.js';

/** Finds an executable on PATH, like `command -v`. */
export async function which(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunOutput {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a failure carries its output, which is what one needs to fix it. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 15 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
          reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${output}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/**
 * Returns the path of `command`, installing the Debian package that provides it when it is missing.
 * Installing needs root or password-less sudo; otherwise the error says what to install by hand.
 */
export async function ensureCommand(command: string, debianPackage: string): Promise<string> {
  const found = await which(command);
  if (found) return found;
  await withFileLock('apt', async () => {
    // Another run may have installed it while this one waited for the lock.
    if (await which(command)) return;
    await aptInstall(debianPackage, command);
  });
  const installed = await which(command);
  if (!installed) throw new Error(`installed ${debianPackage}, but ${command} is still not on PATH`);
  return installed;
}

async function aptInstall(debianPackage: string, command: string): Promise<void> {
  if (!(await which('apt-get'))) {
    throw new Error(`${command} is missing and this is not a Debian-like system: install ${debianPackage}`);
  }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  if (sudo.length > 0 && !(await which('sudo'))) {
    throw new Error(`${command} is missing: run \`sudo apt-get install -y ${debianPackage}\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for a dpkg lock held by someone else rather than failing at once.
  const install = ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends'];
  const exec = (args: string[]) => {
    const [cmd, ...rest] = [...sudo, ...args] as [string, ...string[]];
    return run(cmd, rest, { env });
  };
  console.warn(`test servers: ${command} is missing, installing the Debian package ${debianPackage}`);
  try {
    await exec([...install, debianPackage]);
  } catch {
    // A fresh machine may have no package lists yet.
    await exec(['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update']);
    await exec([...install, debianPackage]);
  }
}
