/**
 * One content service of the content benchmark, in a process of its own (forked by content.bench.ts): the CPU the
 * process spends is that service's alone. Two services in one process share one heap, so the collections that
 * one's allocations make due were paid in the other's rounds, and each one's CPU per request moved by half from
 * round to round.
 *
 * The parent asks by message, each request `{ id, op, ... }` answered `{ id, result }` or `{ id, error }`:
 * - `start`: seed and listen (see startContent), answers the URL;
 * - `cpu`: the CPU time this process has used so far, in µs (user + system, every thread);
 * - `profile-start`, `profile-stop` (to `file`): a CPU profile of this process;
 * - `likes-recorded`: how many PostLiked the log holds for `postIds`;
 * - `close`: closes the service; the process exits when the parent disconnects (or is gone).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { personalFields, streamIds } from '@gram/events';
import {
  DataKeys,
  generateMasterKey,
  LocalMasterKey,
  personalDataEventStore,
  SqliteDataKeyStore,
} from '@gram/personal-data';
import { jwksAccessTokenVerifier, verifiedTokens } from '@gram/service-kit';
import type { createTestTokenIssuer } from '@gram/service-kit/testing';
import { append, inChunks } from '../../../apps/embedded/bench/driver.js';
import { buildContentApp } from '../src/app.js';

export interface StartRequest {
  dir: string;
  encrypted: boolean;
  userIds: string[];
  postIds: string[];
  /** the token issuer's public keys */
  jwks: Awaited<ReturnType<typeof createTestTokenIssuer>>['jwks'];
}

/**
 * One content service over its own SQLite log and key store, seeded with the same users and posts. `encrypted`:
 * as deployed, the seeded profiles and captions written through the encrypting store (as identity and content
 * write them), so that every read decrypts what production decrypts. Otherwise nothing is personal: the same code
 * writing and reading plaintext, the reference encryption's cost is measured against.
 */
async function startContent({ dir, encrypted, userIds, postIds, jwks }: StartRequest) {
  // As the embedded mode opens its log (apps/embedded/src/main.ts): commits made durable off the event loop.
  const raw = openSqliteEventStore({ path: join(dir, 'events.sqlite'), syncInBackground: true });
  const keys = new SqliteDataKeyStore({
    path: join(dir, 'keys.sqlite'),
    masterKey: LocalMasterKey.fromBase64(generateMasterKey()),
  });
  const app = buildContentApp({
    store: raw,
    // Each token's signature is checked once for the whole run, in both services. The app's own cache keeps a
    // check for a minute: every minute each service checked all 5,000 users' tokens again (~100 µs each), a burst
    // that fell in one service's round and not the other's, 7 s apart since they are warmed up one after the
    // other. A comment round's profile charged the encrypted one 97 µs a request of EdDSA, the plaintext one
    // none, and the rounds' ratios swung from 0.47 to 1.24. Not encryption's cost: both pay it alike when deployed.
    verifier: verifiedTokens(jwksAccessTokenVerifier(jwks), { maxAgeMs: 3_600_000 }),
    dataKeys: new DataKeys((accountId) => keys.get(accountId)),
    // The benchmark's texts mention nobody.
    mentions: { accountsNamed: async () => [] },
    ...(encrypted ? {} : { personalFields: {} }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  // The accounts' data keys, as identity makes them at signup: content encrypts captions under them.
  for (const userId of userIds) await keys.create(userId);
  const seeding = encrypted ? personalDataEventStore(raw, keys, personalFields) : raw;
  const now = new Date().toISOString();
  await inChunks([...userIds], 1000, (userId) =>
    append(seeding, streamIds.user(userId), {
      type: 'UserRegistered',
      data: {
        userId,
        userName: `u${userId.replaceAll('-', '').slice(-20)}`,
        name: 'Bench User',
        bio: 'Photos of places, people and food',
        profilePic: 'https://img.example/default.png',
        registeredAt: now,
      },
    }),
  );
  await inChunks([...postIds], 100, (postId) =>
    append(seeding, streamIds.post(postId), {
      type: 'PostCreated',
      data: {
        postId,
        authorId: userIds[postIds.indexOf(postId) % userIds.length] ?? '',
        photo: 'https://img.example/p.jpg',
        caption: 'bench',
        createdAt: now,
      },
    }),
  );
  return {
    url,
    /** Every 204 of the like phase was a first like: the log holds that many PostLiked of these posts. */
    async likesRecorded(posts: readonly string[]) {
      const measured = new Set(posts);
      return (await raw.readAll()).filter(
        (e) =>
          e.type === 'PostLiked' && measured.has(e.streamId.slice('like-'.length, e.streamId.indexOf('_'))),
      ).length;
    },
    async close() {
      await app.close();
      await raw.close();
      keys.close();
    },
  };
}

type Request =
  | ({ id: number; op: 'start' } & StartRequest)
  | { id: number; op: 'cpu' | 'profile-start' | 'close' }
  | { id: number; op: 'profile-stop'; file: string }
  | { id: number; op: 'likes-recorded'; postIds: string[] };

let service: Awaited<ReturnType<typeof startContent>> | undefined;
let profiler: Session | undefined;
const inspect = (method: string) =>
  new Promise<unknown>((resolve, reject) =>
    profiler?.post(method, (error, result) => (error ? reject(error) : resolve(result))),
  );

async function answer(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'start': {
      service = await startContent(request);
      return service.url;
    }
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      return user + system;
    }
    case 'profile-start': {
      profiler = new Session();
      profiler.connect();
      await inspect('Profiler.enable');
      return inspect('Profiler.start');
    }
    case 'profile-stop': {
      const { profile } = (await inspect('Profiler.stop')) as { profile: unknown };
      writeFileSync(request.file, JSON.stringify(profile));
      profiler?.disconnect();
      return request.file;
    }
    case 'likes-recorded':
      return service?.likesRecorded(request.postIds);
    case 'close':
      await service?.close();
      service = undefined;
      return undefined;
  }
}

// The parent disconnects once closed, or is gone: no service outlives the benchmark.
process.on('disconnect', () => {
  void service?.close();
  process.exit(0);
});

process.on('message', (request: Request) => {
  answer(request).then(
    (result) => process.send?.({ id: request.id, result }),
    (error: unknown) => process.send?.({ id: request.id, error: String(error) }),
  );
});
