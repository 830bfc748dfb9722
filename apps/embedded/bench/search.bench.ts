/**
 * Benchmark of finding people and posts in the embedded mode, through the gateway over real HTTP: user search,
 * tag pages and explore, on a generated community of 100,000 accounts and 1,000,000 posts.
 *
 *   pnpm bench search [--save-baseline] [--duration 10] [--connections 16] [--accounts 100000] [--posts 1000000]
 *
 * The community: accounts named from lists of first and last names in several languages (with accents, so that
 * `jose` must find `José`), 5% of them private; posts spread over 60 days (explore keeps the last 30), by authors
 * drawn with a power law (a few post a lot), their captions carrying up to four of 5,000 hashtags drawn with a
 * power law too (a few tags are on many posts); 300,000 likes of recent posts, so that `top` and explore have
 * something to rank; 1,000 of the accounts are the readers, with a live session each and 50 follows. The log is
 * seeded through the SQLite store, then the embedded read models are rebuilt from it as at any start.
 *
 * Each scenario cycles through its own paths (user searches by prefixes of names and userNames a person would
 * type, the pages of popular and rare tags, recent and top, explore) as the 1,000 readers in turn, with
 * autocannon in a forked process. Also printed: the heap the embedded process holds once rebuilt, and the
 * memory of the user search index per 100,000 accounts (the heap the search read model alone holds after
 * indexing the accounts, its terms and its rankings by prefix, measured in this process with garbage collection
 * forced before and after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type EventStore, openSqliteEventStore } from '@gram/event-store';
import { streamIds } from '@gram/events';
import { AccessTokenIssuer, KeyStore } from '@gram/identity';
import { diskMediaStorage } from '@gram/media';
import { DataKeys, inMemoryDataKeys } from '@gram/personal-data';
import { startEmbeddedProjections } from '@gram/projections';
import { newId, type ServiceApp } from '@gram/service-kit';
import { report } from '../../../services/projections/bench/report.js';
import { accountTerms } from '../../../services/projections/src/read-models/search/terms.js';
import { MemorySearchIndex } from '../../../services/projections/src/store/memory/search.js';
import { buildEmbeddedApp } from '../src/embedded-app.js';
import { append, inChunks, type LoadFigures, load, profiled } from './driver.js';

const { values: args } = parseArgs({
  options: {
    'save-baseline': { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    accounts: { type: 'string', default: '100000' },
    posts: { type: 'string', default: '1000000' },
    /** a directory: writes a CPU profile of the servers over each scenario's measured run there */
    profile: { type: 'string' },
  },
});
const durationSeconds = Number(args.duration);
const connections = Number(args.connections);
const accountCount = Number(args.accounts);
const postCount = Number(args.posts);
const readerCount = Math.min(1_000, accountCount);
const followsPerReader = 50;
const tagCount = 5_000;
const likeCount = Math.min(300_000, postCount);
const day = 86_400_000;

/** A deterministic source of randomness, so every run seeds the same community. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = mulberry32(42);
/** An index in [0, n) drawn with a power law: low indexes far more often. */
const powerLaw = (n: number) => Math.min(n - 1, Math.floor(n * random() ** 3));

const firstNames = [
  'José',
  'María',
  'Zoë',
  'François',
  'Björn',
  'Łukasz',
  'Ana',
  'João',
  'Chloé',
  'Søren',
  'Ines',
  'Mehmet',
  'Ayşe',
  'Noah',
  'Emma',
  'Liam',
  'Olivia',
  'Lucía',
  'Mateo',
  'Sofía',
  'Hélène',
  'Jürgen',
  'Ingrid',
  'Renée',
  'Nuño',
  'Dmitri',
  'Olga',
  'Kenji',
  'Yuki',
  'Amara',
  'Kofi',
  'Priya',
  'Arjun',
  'Fatima',
  'Omar',
  'Léa',
  'Hugo',
  'Maëlle',
  'Ángel',
  'Iñaki',
  'Zoltán',
  'Réka',
  'Marta',
  'Paweł',
  'Ola',
  'Nils',
  'Elif',
  'Can',
  'Sara',
  'David',
];
const lastNames = [
  'García',
  'Müller',
  'Dubois',
  'Rossi',
  'Nowak',
  'Silva',
  'Andersson',
  'Öztürk',
  'Smith',
  'Jones',
  'Kowalski',
  'Fernández',
  'López',
  'Martín',
  'Bäcker',
  'Lefèvre',
  'Moreau',
  'Costa',
  'Santos',
  'Pereira',
  'Nielsen',
  'Jensen',
  'Yılmaz',
  'Kaya',
  'Tanaka',
  'Suzuki',
  'Okafor',
  'Mensah',
  'Sharma',
  'Patel',
  'Haddad',
  'Núñez',
  'Szabó',
  'Horváth',
  'Ivanov',
  'Petrova',
  'Brown',
  'Wilson',
  'Taylor',
  'Clark',
  'Lewis',
  'Walker',
  'Young',
  'King',
  'Wright',
  'Scott',
  'Green',
  'Baker',
  'Adams',
  'Nelson',
];
const ascii = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[łŁ]/g, 'l')
    .replace(/[øØ]/g, 'o')
    .replace(/[ıİ]/g, 'i')
    .toLowerCase();
const tags = Array.from({ length: tagCount }, (_, i) => `tag${i}`);
tags.splice(0, 6, 'summer', 'café', 'sunset', 'travel', 'food', 'photography');

interface Community {
  accounts: { userId: string; name: string; userName: string }[];
  tokens: string[];
  /** the searches a person would type: prefixes of names and userNames */
  searches: string[];
  /** the hashtags read: popular and rare */
  readTags: string[];
}

async function seed(store: EventStore, keys: KeyStore): Promise<Community> {
  const now = Date.now();
  const at = (ms: number) => new Date(ms).toISOString();
  const accounts = Array.from({ length: accountCount }, (_, i) => {
    const first = firstNames[Math.floor(random() * firstNames.length)] as string;
    const last = lastNames[Math.floor(random() * lastNames.length)] as string;
    return {
      userId: newId(),
      name: `${first} ${last}`,
      userName: `${ascii(first)}.${ascii(last)}${i}`.slice(0, 30),
      isPrivate: random() < 0.05,
    };
  });
  console.log(`  ${accountCount.toLocaleString('en-US')} accounts`);
  await inChunks(accounts, 1_000, async ({ userId, name, userName, isPrivate }) => {
    const registered = {
      type: 'UserRegistered' as const,
      data: {
        userId,
        userName,
        name,
        bio: '',
        profilePic: 'https://img.example/default.png',
        registeredAt: at(now - 90 * day),
      },
    };
    await append(store, streamIds.user(userId), registered);
    if (isPrivate) {
      await store.appendToStream(
        streamIds.user(userId),
        [
          {
            id: newId(),
            type: 'ProfileUpdated',
            data: { userId, isPrivate: true, updatedAt: at(now - 89 * day) },
            metadata: { actorId: userId },
          },
        ],
        { expectedRevision: 0 },
      );
    }
  });

  const readers = accounts.slice(0, readerCount);
  const issuer = new AccessTokenIssuer(keys, 3_600);
  const sessions = readers.map(({ userId }) => ({ userId, sessionId: newId() }));
  await inChunks(sessions, 1_000, ({ userId, sessionId }) =>
    append(store, streamIds.session(sessionId), {
      type: 'SessionStarted',
      data: {
        sessionId,
        userId,
        refreshTokenHash: 'bench',
        startedAt: at(now - day),
        expiresAt: at(now + day),
      },
    }),
  );
  const tokens = await Promise.all(sessions.map((session) => issuer.issue(session, new Date())));
  const follows = readers.flatMap(({ userId }, i) =>
    Array.from({ length: followsPerReader }, (_, k) => ({
      followerId: userId,
      followeeId: (accounts[(i * followsPerReader + k * 7 + 1) % accountCount] as { userId: string }).userId,
    })).filter(({ followerId, followeeId }) => followerId !== followeeId),
  );
  await inChunks(follows, 1_000, ({ followerId, followeeId }) =>
    append(store, streamIds.follow(followerId, followeeId), {
      type: 'UserFollowed',
      data: { followerId, followeeId, followedAt: at(now - 80 * day) },
    }),
  );

  console.log(`  ${postCount.toLocaleString('en-US')} posts`);
  const recent: { postId: string; authorId: string }[] = [];
  for (let start = 0; start < postCount; start += 50_000) {
    const batch = Array.from({ length: Math.min(50_000, postCount - start) }, (_, j) => {
      const i = start + j;
      const author = accounts[powerLaw(accountCount)] as { userId: string };
      const picked = new Set(
        Array.from({ length: Math.floor(random() * 5) }, () => tags[powerLaw(tagCount)]),
      );
      const createdAt = now - 60 * day + Math.floor(((i + random()) / postCount) * 60 * day);
      return {
        postId: newId(),
        authorId: author.userId,
        caption: `photo ${i} ${[...picked].map((tag) => `#${tag}`).join(' ')}`,
        createdAt,
      };
    });
    await inChunks(batch, 1_000, ({ postId, authorId, caption, createdAt }) =>
      append(store, streamIds.post(postId), {
        type: 'PostCreated',
        data: { postId, authorId, photo: 'https://img.example/p.jpg', caption, createdAt: at(createdAt) },
      }),
    );
    for (const post of batch) if (post.createdAt > now - 30 * day) recent.push(post);
  }

  console.log(`  ${likeCount.toLocaleString('en-US')} likes`);
  const likes = new Map<string, { postId: string; postAuthorId: string; userId: string }>();
  while (likes.size < likeCount && recent.length > 0) {
    const post = recent[recent.length - 1 - powerLaw(recent.length)] as { postId: string; authorId: string };
    const user = accounts[Math.floor(random() * accountCount)] as { userId: string };
    likes.set(`${post.postId}_${user.userId}`, {
      postId: post.postId,
      postAuthorId: post.authorId,
      userId: user.userId,
    });
  }
  await inChunks([...likes.values()], 1_000, ({ postId, postAuthorId, userId }) =>
    append(store, streamIds.like(postId, userId), {
      type: 'PostLiked',
      data: { postId, userId, postAuthorId, likedAt: at(now - day) },
    }),
  );

  const searches = Array.from({ length: 500 }, () => {
    const account = accounts[Math.floor(random() * accountCount)] as { name: string; userName: string };
    const words = [...account.name.split(' '), account.userName];
    const word = words[Math.floor(random() * words.length)] as string;
    // what a person types: two to six characters, without the accents about half the time
    const typed = word.slice(0, 2 + Math.floor(random() * 5));
    return random() < 0.5 ? ascii(typed) : typed;
  });
  const readTags = [
    ...tags.slice(0, 20),
    ...Array.from({ length: 30 }, () => tags[powerLaw(tagCount)] as string),
  ];
  return { accounts, tokens, searches, readTags };
}

async function listen(app: ServiceApp): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const heapMb = () => process.memoryUsage().heapUsed / 1_048_576;
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * The heap the embedded user search index holds for these accounts, scaled to 100,000: a fresh index filled with
 * every account's terms as the search read model files them, garbage collected before and after.
 */
async function userIndexMbPer100k(accounts: Community['accounts']): Promise<number> {
  if (!gc) throw new Error('run with --expose-gc (pnpm bench search does)');
  // What the index ranks accounts by, as the documents would answer it: not the index's own memory.
  const standing = new Map(
    accounts.map(({ userId, userName }) => [userId, { followers: 0, userNameKey: userName }]),
  );
  gc();
  const before = heapMb();
  const index = new MemorySearchIndex((id) => standing.get(id));
  for (const { userId, userName, name } of accounts)
    await index.put('users', userId, accountTerms(userName, name));
  index.settle();
  gc();
  const held = heapMb() - before;
  // Keep the index alive until it is measured.
  if ((await index.match('users', 'a', 1)).length > 1) throw new Error('unreachable');
  return (held * 100_000) / accounts.length;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gram-search-bench-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.sqlite'), syncInBackground: true }); // as main.ts opens it
  const keys = await KeyStore.generate();
  const apps: ServiceApp[] = [];
  let projections: Awaited<ReturnType<typeof startEmbeddedProjections>> | undefined;
  try {
    console.log(`seeding into ${dir}`);
    const dataKeys = inMemoryDataKeys();
    const community = await seed(store, keys);
    const searchIndexMb = await userIndexMbPer100k(community.accounts);
    console.log(`user search index: ${searchIndexMb.toFixed(1)} MB of heap per 100,000 accounts`);
    gc?.();
    const heapBefore = heapMb();
    const started = performance.now();
    projections = await startEmbeddedProjections(store, {
      dataKeys: new DataKeys((accountId) => dataKeys.get(accountId)),
    });
    const rebuildSeconds = (performance.now() - started) / 1000;
    gc?.();
    const readModelsMb = heapMb() - heapBefore;
    console.log(
      `read models rebuilt from ${(await store.headPosition()).toLocaleString('en-US')} events in ${rebuildSeconds.toFixed(1)} s, ${Math.round(readModelsMb)} MB of heap`,
    );

    const unlimited = 1_000_000_000;
    // The app's own start folds the log once more: into the notifications, in this process's memory too.
    const appStarted = performance.now();
    const gateway = await buildEmbeddedApp({
      store,
      keys,
      dataKeys,
      projections,
      media: { storage: diskMediaStorage(join(dir, 'media')), publicUrl: 'http://localhost:8080' },
      rateLimits: { writesPerUserPerMinute: unlimited },
    });
    apps.push(gateway);
    gc?.();
    console.log(
      `app started in ${((performance.now() - appStarted) / 1000).toFixed(1)} s, ${Math.round(heapMb())} MB of heap in all`,
    );
    const url = await listen(gateway);
    const { tokens, searches, readTags } = community;
    const scenarios = [
      {
        key: 'userSearch',
        name: 'user search',
        paths: searches.map((q) => `/api/v1/search/users?q=${encodeURIComponent(q)}`),
        p99: 10,
        reqPerSec: 3_000,
      },
      {
        key: 'tagPage',
        name: 'tag pages',
        paths: readTags.flatMap((tag) => [
          `/api/v1/tags/${encodeURIComponent(tag)}/posts`,
          `/api/v1/tags/${encodeURIComponent(tag)}/posts?order=top`,
        ]),
        p99: 20,
      },
      { key: 'explore', name: 'explore', paths: ['/api/v1/explore'], p99: 30 },
    ];
    const figures: Record<string, LoadFigures> = {};
    const cpuMsPerRequest: Record<string, number> = {};
    for (const scenario of scenarios) {
      const run = { kind: 'paths' as const, url, tokens, paths: scenario.paths, connections };
      await load({ ...run, durationSeconds: 2 });
      // The CPU this process (the servers) spends per request: steadier than wall times on a shared machine.
      const cpuBefore = process.cpuUsage();
      figures[scenario.key] = await profiled(args.profile, scenario.key, () =>
        load({ ...run, durationSeconds }),
      );
      const cpu = process.cpuUsage(cpuBefore);
      const f = figures[scenario.key] as LoadFigures;
      cpuMsPerRequest[scenario.key] = (cpu.user + cpu.system) / 1_000 / Math.max(1, f.requests);
      console.log(
        `${scenario.name}: ${Math.round(f.reqPerSec)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms, non-2xx ${f.non2xx}, ` +
          `errors ${f.errors}, ${cpuMsPerRequest[scenario.key]?.toFixed(3)} ms of CPU per request; ` +
          `load average ${loadavg()[0]?.toFixed(2)}`,
      );
    }
    const ok = report('search', [
      ...scenarios.flatMap((s) => {
        const f = figures[s.key] as LoadFigures;
        return [
          { metric: `${s.name} req/s`, now: f.reqPerSec, better: 'higher' as const, target: s.reqPerSec },
          { metric: `${s.name} p50, ms`, now: f.p50, better: 'lower' as const },
          { metric: `${s.name} p99, ms`, now: f.p99, better: 'lower' as const, target: s.p99 },
          { metric: `${s.name} non-2xx`, now: f.non2xx + f.errors, better: 'lower' as const, target: 0 },
          {
            metric: `${s.name} CPU per request, ms`,
            now: cpuMsPerRequest[s.key] ?? 0,
            better: 'lower' as const,
          },
        ];
      }),
      { metric: 'rebuild, s', now: rebuildSeconds, better: 'lower' },
      { metric: 'read models heap, MB', now: readModelsMb, better: 'lower' },
      { metric: 'user search index heap per 100,000 accounts, MB', now: searchIndexMb, better: 'lower' },
    ]);
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const app of apps) await app.close();
    await projections?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
