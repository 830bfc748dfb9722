import { internalCredentialHeaders } from '@gram/service-kit';
import { createTestTokenIssuer } from '@gram/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { counting } from '../../../test/counting.js';
import { messagesOf } from '../../../test/deliveries.js';
import { HistoryBuilder, seededRandom } from '../../../test/history.js';
import { expectSearchFinds } from '../../../test/search.js';
import { expectSearchIndexOrder } from '../../../test/search-index.js';
import { buildProjectionsApp, fixedReadModels } from '../../app.js';
import { Projector } from '../../projection/projector.js';
import { ReadModelQueries } from '../../queries/read-model-queries.js';
import { MemorySearchIndex } from '../../store/memory/search.js';
import { createMemoryReadModelStore } from '../../store/memory.js';
import { type AccountRank, compareAccountRanks } from '../../store/search-index.js';
import { counters } from '../registry.js';
import { accountTerms, foldForSearch } from './terms.js';

const tokens = await createTestTokenIssuer();
const internalSecret = 'the-internal-secret-of-the-search-tests';

describe('search terms', () => {
  it('fold case and accents away, and collapse spaces', () => {
    expect(foldForSearch('  José   MARÍA ')).toBe('jose maria');
    expect(foldForSearch('İstanbul Ørsted Ñandú')).toBe('istanbul ørsted nandu');
  });

  it('are the userName, the whole name and each word of it, words split at anything but a letter or a digit', () => {
    expect(accountTerms('Jose.Garcia', "José O'Brien-López 2nd")).toEqual([
      'jose.garcia',
      "jose o'brien-lopez 2nd",
      'jose',
      'o',
      'brien',
      'lopez',
      '2nd',
    ]);
    expect(accountTerms('ann', 'ann')).toEqual(['ann']);
  });
});

describe('the memory search index', () => {
  it("answers a prefix's entries in term order, then id order in code points, whatever order they were filed in", async () => {
    await expectSearchIndexOrder(new MemorySearchIndex());
  });

  it.each([
    ['keeping every viewer', 200_000],
    ['forgetting all but the last viewer', 1],
  ])(
    "answers followedRanks as accountRanks over the viewers' followees, through renames, deletions, follows and unfollows, %s",
    async (_, followedKept) => {
      const random = seededRandom(7);
      const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
      const standing = new Map<string, { followers: number; userNameKey: string }>();
      const index = new MemorySearchIndex((id) => standing.get(id), followedKept);
      const accounts = Array.from({ length: 30 }, (_, i) => `account-${i}`);
      // A term with a line break (no folded name holds one) is looked up apart, and so is a prefix with one.
      const words = ['ann', 'anna', 'bob', 'bobby', 'carl', 'anne marie', 'zoë', 'b', 'line\nbreak'];
      const termsOf = () => [
        ...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(words))),
      ];
      for (const id of accounts) {
        standing.set(id, { followers: 0, userNameKey: id });
        await index.put('users', id, termsOf());
      }
      const viewers = ['vera', 'walt', 'xena'];
      const followees = new Map(viewers.map((viewer) => [viewer, accounts.filter(() => random() < 0.3)]));
      const sorted = (ranks: readonly AccountRank[]) => [...ranks].sort(compareAccountRanks);
      const changes: [string, () => Promise<void>][] = [
        ['rename', async () => index.put('users', pick(accounts), termsOf())],
        [
          'the same terms again',
          async () => {
            const id = pick(accounts);
            await index.put('users', id, await index.termsOf('users', id));
          },
        ],
        ['erase', async () => index.erase('users', [pick(accounts)])],
        ['no terms', async () => index.put('users', pick(accounts), [])],
        [
          'a follower more',
          async () => {
            const id = pick(accounts);
            const now = standing.get(id);
            if (now) standing.set(id, { ...now, followers: now.followers + 1 });
            await index.rankAccount(id);
          },
        ],
        [
          'document gone',
          async () => {
            const id = pick(accounts);
            standing.delete(id);
            await index.rankAccount(id);
          },
        ],
        [
          'document back',
          async () => {
            const id = pick(accounts);
            standing.set(id, { followers: 3, userNameKey: id });
            await index.rankAccount(id);
          },
        ],
        [
          'follow',
          async () => {
            const viewer = pick(viewers);
            followees.set(viewer, [...(followees.get(viewer) ?? []), pick(accounts)]);
          },
        ],
        [
          'unfollow',
          async () => {
            const viewer = pick(viewers);
            const now = followees.get(viewer) ?? [];
            followees.set(
              viewer,
              now.filter((_, i) => i !== Math.floor(random() * now.length)),
            );
          },
        ],
        [
          'followees read in another order',
          async () => {
            const viewer = pick(viewers);
            followees.set(viewer, [...(followees.get(viewer) ?? [])].reverse());
          },
        ],
        [
          'rebuild',
          async () => {
            index.rankAllAtSettle();
            for (const id of accounts) await index.rankAccount(id);
          },
        ],
      ];
      for (let step = 0; step < 400; step++) {
        const [change, make] = pick(changes);
        await make();
        for (const viewer of viewers) {
          const prefix = pick([
            'a',
            'an',
            'ann',
            'anne m',
            'b',
            'bo',
            'z',
            'zo',
            'c',
            'x',
            '',
            'line',
            'line\nb',
            'ann\nb',
            'bob\nan',
          ]);
          const ids = followees.get(viewer) ?? [];
          expect(
            sorted(await index.followedRanks(viewer, ids, prefix)),
            `step ${step}, after ${change}: ${viewer} searching "${prefix}"`,
          ).toEqual(sorted(await index.accountRanks(ids, prefix)));
        }
      }
    },
  );
});

describe('search read model (memory)', () => {
  it('finds accounts by folded prefixes, ranks and pages them, hides blocked and deleted ones, keeps an erased one out, and counts tags of live public posts', async () => {
    await expectSearchFinds(createMemoryReadModelStore({ counters }));
  });
});

/** The query API over a projected history; `internal` builds it as the distributed mode does. */
function scenario(options: { internal?: boolean } = {}) {
  const h = new HistoryBuilder();
  const store = createMemoryReadModelStore({ counters });
  const projector = new Projector(store);
  const app = buildProjectionsApp({
    readModels: fixedReadModels(store),
    verifier: tokens.verifier,
    ...(options.internal ? { internalSecret } : {}),
  });
  let projected = 0;
  const sync = async () => {
    for (const message of messagesOf(h.events.slice(projected))) await projector.handle(message);
    projected = h.events.length;
  };
  const request = async (method: 'GET' | 'DELETE', url: string, headers: Record<string, string> = {}) => {
    await sync();
    return app.inject({
      method,
      url,
      headers: options.internal ? { ...headers, ...internalCredentialHeaders(internalSecret) } : headers,
    });
  };
  return { h, app, store, request };
}

describe('GET /api/v1/search/users', () => {
  it.each([
    ['missing', ''],
    ['empty', '?q='],
    ['blank once trimmed', '?q=%20%20%20'],
    ['over 30 characters', `?q=${'a'.repeat(31)}`],
  ])('answers 400 validation when q is %s', async (_case, query) => {
    const s = scenario();
    const res = await s.request('GET', `/api/v1/search/users${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'validation' });
  });

  it('answers 200 with the accounts found, a q of 30 characters with spaces around it included, followedByMe only when authenticated', async () => {
    const s = scenario();
    const ann = s.h.register('ann_a', 'Ann Ångström');
    const bob = s.h.register('bob', 'Bob');
    s.h.follow(bob, ann);
    const anonymous = await s.request('GET', '/api/v1/search/users?q=angs');
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({
      items: [
        { id: ann, userName: 'ann_a', name: 'Ann Ångström', profilePic: 'https://img.example/default.png' },
      ],
      nextCursor: null,
    });
    const mine = await s.request('GET', '/api/v1/search/users?q=ANN', {
      authorization: `Bearer ${await tokens.mint(bob)}`,
    });
    expect(mine.json().items).toEqual([expect.objectContaining({ id: ann, followedByMe: true })]);
    const padded = await s.request(
      'GET',
      `/api/v1/search/users?q=${encodeURIComponent(` ${'a'.repeat(30)} `)}`,
    );
    expect(padded.statusCode).toBe(200);
    expect(padded.json()).toEqual({ items: [], nextCursor: null });
  });

  it('answers 400 for a cursor it did not issue, and 401 for a bad token', async () => {
    const s = scenario();
    expect((await s.request('GET', '/api/v1/search/users?q=a&cursor=bm9wZQ')).statusCode).toBe(400);
    expect(
      (await s.request('GET', '/api/v1/search/users?q=a', { authorization: 'Bearer nope' })).statusCode,
    ).toBe(401);
  });
});

describe('followedByMe in user search', () => {
  it('is the same whether the viewer follows fewer accounts than are found or more', async () => {
    const s = scenario();
    const vera = s.h.register('vera');
    const [ann, anna, bob, carl] = ['ann', 'anna', 'bob', 'carl'].map((userName) => s.h.register(userName));
    for (const followee of [anna, bob, carl]) s.h.follow(vera, followee as string);
    const auth = { authorization: `Bearer ${await tokens.mint(vera)}` };
    const followed = async (q: string) =>
      (await s.request('GET', `/api/v1/search/users?q=${q}`, auth))
        .json()
        .items.map((item: { id: string; followedByMe: boolean }) => [item.id, item.followedByMe]);
    expect(await followed('ann'), 'two found, three followed').toEqual([
      [ann, false],
      [anna, true],
    ]);
    expect(await followed('anna'), 'one found, three followed').toEqual([[anna, true]]);
    expect(await followed('carl')).toEqual([[carl, true]]);
    s.h.unfollow(vera, bob as string);
    s.h.unfollow(vera, carl as string);
    expect(await followed('an'), 'two found, one followed').toEqual([
      [anna, true],
      [ann, false],
    ]);
  });
});

describe('GET /api/v1/search/tags', () => {
  it.each([
    ['missing', ''],
    ['empty', '?q='],
    ['blank once trimmed', '?q=%20'],
    ['over 30 characters', `?q=${'a'.repeat(31)}`],
  ])('answers 400 validation when q is %s', async (_case, query) => {
    const s = scenario();
    const res = await s.request('GET', `/api/v1/search/tags${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, code: 'validation' });
  });

  it('answers 200 with { name, postCount }, most posts first, paged', async () => {
    const s = scenario();
    const ann = s.h.register('ann');
    s.h.post(ann, '#sunset #sun');
    s.h.post(ann, '#Sunset');
    const first = await s.request('GET', `/api/v1/search/tags?q=${encodeURIComponent('#sun')}&limit=1`);
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toEqual([{ name: 'sunset', postCount: 2 }]);
    const next = await s.request(
      'GET',
      `/api/v1/search/tags?q=sun&limit=1&cursor=${first.json().nextCursor}`,
    );
    expect(next.json()).toEqual({ items: [{ name: 'sun', postCount: 1 }], nextCursor: null });
  });
});

describe('DELETE /internal/v1/users/:userId/search', () => {
  it('answers 401 without the internal credential, and erases nothing', async () => {
    const s = scenario({ internal: true });
    const ann = s.h.register('ann');
    const url = `/internal/v1/users/${ann}/search`;
    for (const headers of [{}, internalCredentialHeaders('not-the-internal-secret-of-these-tests')]) {
      await s.request('GET', '/health');
      const res = await s.app.inject({ method: 'DELETE', url, headers });
      expect(res.statusCode).toBe(401);
    }
    expect(await s.store.search.termsOf('users', ann)).toEqual(['ann']);
  });

  it('answers 204 once the account is out of search, 204 again on a retry, and its late ProfileUpdated brings it back nowhere', async () => {
    const s = scenario({ internal: true });
    const ann = s.h.register('ann', 'Ann Smith');
    const post = s.h.post(ann, '#mine');
    const url = `/internal/v1/users/${ann}/search`;
    expect((await s.request('GET', '/api/v1/search/users?q=smith')).json().items).toHaveLength(1);
    expect((await s.request('DELETE', url)).statusCode).toBe(204);
    expect((await s.request('DELETE', url)).statusCode).toBe(204);
    s.h.updateProfile(ann, { name: 'Ann Again' });
    s.h.editPost(post, ann, '#mine #again');
    expect((await s.request('GET', '/api/v1/search/users?q=ann')).json().items).toEqual([]);
    expect((await s.request('GET', '/api/v1/search/tags?q=mi')).json().items).toEqual([]);
    expect((await s.request('GET', '/api/v1/search/tags?q=again')).json().items).toEqual([]);
  });

  it('is not served without an internal secret (the embedded mode erases in-process)', async () => {
    const s = scenario();
    const ann = s.h.register('ann');
    expect((await s.request('DELETE', `/internal/v1/users/${ann}/search`)).statusCode).toBe(404);
  });

  it('answers 400 for a malformed id', async () => {
    const s = scenario({ internal: true });
    expect((await s.request('DELETE', '/internal/v1/users/nope/search')).statusCode).toBe(400);
  });
});

describe('user search', () => {
  it('reads the documents of its page only, however many accounts its prefix finds', async () => {
    const h = new HistoryBuilder();
    const viewer = h.register('viewer');
    const ids = Array.from({ length: 300 }, (_, i) => h.register(`jo${i}`, `Jo Number${i}`));
    for (const id of ids.slice(0, 40)) h.follow(viewer, id);
    const store = createMemoryReadModelStore({ counters });
    const projector = new Projector(store);
    for (const message of messagesOf(h.events)) await projector.handle(message);
    const { store: counted, read } = counting(store);
    const queries = new ReadModelQueries(() => counted);

    const page = await queries.searchUsers('jo', { limit: 10 }, viewer);
    expect(page.items).toHaveLength(10);
    expect(read.get('users') ?? 0).toBeLessThanOrEqual(12);
    read.clear();
    const next = await queries.searchUsers('jo', { limit: 10, cursor: page.nextCursor ?? '' }, viewer);
    expect(next.items).toHaveLength(10);
    expect(read.get('users') ?? 0).toBeLessThanOrEqual(12);
  });
});
