/**
 * The server side of follow.bench.ts, in a process of its own so that the load generator does not
 * share an event loop (and a CPU) with the service it measures. It opens a SQLite event store on a
 * temporary file (durable as in production: WAL, synchronous=FULL), seeds the accounts, mints their
 * tokens, listens on a loopback port, and tells its parent over IPC. On 'count' it reports how many
 * UserFollowed events the log holds; on 'stop' it closes and removes its files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { streamIds, toStoredEvent } from '@gram/events';
import { newId } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { buildSocialGraphApp } from '../src/app.js';

export interface ServerReady {
  kind: 'ready';
  port: number;
  followers: { id: string; token: string }[];
  followees: string[];
}
export interface ServerCount {
  kind: 'count';
  userFollowed: number;
}
export type ServerMessage = ServerReady | ServerCount;
export type DriverMessage = { kind: 'count' } | { kind: 'stop' };

const followerCount = Number(process.env.BENCH_FOLLOWERS ?? 1000);
const followeeCount = Number(process.env.BENCH_FOLLOWEES ?? 300);

const send = (message: ServerMessage) => process.send?.(message);

const dir = await mkdtemp(join(tmpdir(), 'gram-follow-bench-'));
const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
const issuer = await createTestTokenIssuer();
const app = buildSocialGraphApp({ store, verifier: issuer.verifier });

async function register(userId: string): Promise<void> {
  const tail = userId.slice(-12);
  await store.appendToStream(
    streamIds.user(userId),
    [
      toStoredEvent({
        type: 'UserRegistered',
        data: {
          userId,
          userName: `bench_${tail}`,
          name: `Bench ${tail}`,
          bio: '',
          profilePic: 'https://cdn.example.com/default.png',
          registeredAt: new Date().toISOString(),
        },
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
}

const followerIds = Array.from({ length: followerCount }, () => newId());
const followees = Array.from({ length: followeeCount }, () => newId());
// Concurrent appends share one transaction (one fsync), so seeding in parallel is quick.
await Promise.all([...followerIds, ...followees].map(register));
const followers = await Promise.all(
  followerIds.map(async (id) => ({ id, token: await issuer.mint(id, { expiresIn: '1h' }) })),
);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('the bench server has no TCP port');
send({ kind: 'ready', port: address.port, followers, followees });

process.on('message', async (message: DriverMessage) => {
  if (message.kind === 'count') {
    // One read of the whole log: a run appends some tens of thousands of small events.
    const userFollowed = (await store.readAll()).filter((e) => e.type === 'UserFollowed').length;
    send({ kind: 'count', userFollowed });
  } else {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  }
});
