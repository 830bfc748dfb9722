import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openSqliteEventStore } from '@gram/event-store';
import { injectServer } from '@gram/test-servers/inject';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../test/history.js';
import { Generations } from '../store/generations.js';

const mongoUrl = injectServer('mongoUrl');
const redisUrl = injectServer('redisUrl');
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');

/** Runs `pnpm <script>` from the repository root, as an operator types it; answers its exit code and output. */
async function pnpm(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)('pnpm', ['--silent', script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe.skipIf(mongoUrl === undefined || redisUrl === undefined)(
  'the operators’ commands, run from the repository root against FerretDB and Redis',
  () => {
    it('read-models:verify reports a counter that differs from the event store and exits 1; read-models:rebuild replaces the generation, after which verify exits 0', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'gram-cli-'));
      const events = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
      for (const e of generateHistory({
        users: 8,
        follows: 20,
        posts: 10,
        likes: 30,
        comments: 10,
        privacy: true,
      })) {
        await events.appendToStream(
          e.streamId,
          [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }],
          {
            expectedRevision: 'any',
          },
        );
      }
      await events.close();
      const dbName = `cli_${Date.now()}`;
      const env = {
        DATA_DIR: dataDir,
        MONGO_URL: mongoUrl as string,
        MONGO_DB: dbName,
        REDIS_URL: redisUrl as string,
        REBUILD_GRACE_MS: '0',
      };
      const client = await MongoClient.connect(mongoUrl as string);
      const redis = new Redis(redisUrl as string);
      try {
        const first = await pnpm('read-models:rebuild', env);
        expect(first.stdout).toContain('rebuilt generation 2 (was 1)');
        expect(first.code).toBe(0);
        expect((await pnpm('read-models:verify', env)).code).toBe(0);

        // A count lives in Redis, in the hash of the post's hot copy (store/redis/indexes.ts).
        const post = await client.db(dbName).collection<{ _id: string }>('g2_posts').findOne({});
        await redis.hset(`g2:posts:${post?._id}`, 'likesCount', '999');
        const tampered = await pnpm('read-models:verify', env);
        expect(tampered.stdout).toContain(`posts/${post?._id} likesCount: read model 999`);
        expect(tampered.code).toBe(1);

        const second = await pnpm('read-models:rebuild', env);
        expect(second.stdout).toContain('rebuilt generation 3 (was 2)');
        const repaired = await pnpm('read-models:verify', env);
        expect(repaired.stdout).toContain('generation 3:');
        expect(repaired.stdout).toContain(' 0 differences');
        expect(repaired.code).toBe(0);
      } finally {
        await new Generations(client.db(dbName), redis).store(3).drop();
        await client.db(dbName).dropDatabase();
        await client.close();
        redis.disconnect();
        await rm(dataDir, { recursive: true, force: true });
      }
    }, 240_000);
  },
);
