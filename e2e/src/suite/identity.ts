import { AccessTokenIssuer, KeyStore } from '@gram/identity';
import { describe, expect, it } from 'vitest';
import { ApiClient, type Profile, type Tokens, type UserSummary } from '../api/client.js';
import {
  createPost,
  expectProblem,
  expectStatus,
  logIn,
  newAccount,
  password,
  signUp,
  unknownId,
} from '../api/fixtures.js';
import type { SystemRef } from './system.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function claimsOf(token: string): { sub: string; sid: string } {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** The token with one claim of its payload changed and the signature kept: what a forger sends. */
function withClaim(token: string, claim: string, value: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  claims[claim] = value;
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

export function identitySuite(system: SystemRef): void {
  describe('identity: signup, login, tokens, the own account', () => {
    const api = () => new ApiClient(system().url);

    it('signs up with trimmed fields and answers a UserSummary with the default picture', async () => {
      const client = api();
      const account = newAccount();
      const res = await client.post<{ user: UserSummary }>('/api/v1/auth/signup', {
        json: { ...account, name: '  Ada Lovelace  ', userName: `  ${account.userName}  ` },
      });
      expectStatus(res, 201);
      expect(res.body.user).toEqual({
        id: expect.stringMatching(uuid),
        userName: account.userName,
        name: 'Ada Lovelace',
        profilePic: expect.stringMatching(/^https?:\/\//),
      });
      const profile = await client.get<Profile>(`/api/v1/users/${res.body.user.id}`);
      expectStatus(profile, 200);
      expect(profile.body).toEqual({
        ...res.body.user,
        bio: '',
        isPrivate: false,
        followersCount: 0,
        followingCount: 0,
        postCount: 0,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      });
      // Credentials and contact data never leave identity.
      expect(JSON.stringify(profile.body)).not.toContain(account.email);
    });

    it('refuses every invalid signup field with 400 naming it', async () => {
      const client = api();
      const cases: [field: string, value: unknown][] = [
        ['name', '   '],
        ['name', 'x'.repeat(51)],
        ['userName', 'ab'],
        ['userName', 'no spaces allowed'],
        ['userName', 'x'.repeat(31)],
        ['email', 'not-an-email'],
        ['phoneNo', '12-34-56'],
        ['phoneNo', '123456'],
        ['password', 'short'],
        ['password', 'x'.repeat(129)],
      ];
      for (const [field, value] of cases) {
        const res = await client.post('/api/v1/auth/signup', { json: { ...newAccount(), [field]: value } });
        expectProblem(res, 400, field);
      }
      const { password: _left, ...withoutPassword } = newAccount();
      expectProblem(await client.post('/api/v1/auth/signup', { json: withoutPassword }), 400, 'password');
      expectProblem(
        await client.post('/api/v1/auth/signup', {
          body: 'not json',
          headers: { 'content-type': 'application/json' },
        }),
        400,
      );
    });

    it('refuses a name of invisible or control characters only, at signup and in PATCH /users/me, and a NUL in a bio', async () => {
      const client = api();
      const user = await signUp(client);
      const names = ['\u200b', '\u0000', '\u202e', '\u200b\u200d\ufeff', ' \u200b \u202e ', 'Ada\u0000'];
      for (const name of names) {
        const signup = await client.post('/api/v1/auth/signup', { json: { ...newAccount(), name } });
        expectProblem(signup, 400, 'name', 'validation');
        expect(signup.body.errors?.[0]?.field, JSON.stringify(name)).toBe('name');
        const edit = await client.patch('/api/v1/users/me', { token: user.accessToken, json: { name } });
        expectProblem(edit, 400, 'name', 'validation');
        expect(edit.body.errors?.[0]?.field, JSON.stringify(name)).toBe('name');
      }
      const bio = await client.patch('/api/v1/users/me', {
        token: user.accessToken,
        json: { bio: 'hi\u0000' },
      });
      expectProblem(bio, 400, 'bio', 'validation');
      const me = await client.get<Profile>('/api/v1/users/me', { token: user.accessToken });
      expect(me.body).toMatchObject({ name: user.summary.name, bio: '' });
    });

    it('answers 409 naming the taken field: userName and email in any case, phoneNo', async () => {
      const client = api();
      const taken = await signUp(client);
      const attempts: [field: string, overrides: Partial<typeof taken>][] = [
        ['userName', { userName: taken.userName.toUpperCase() }],
        ['email', { email: taken.email.toUpperCase() }],
        ['phoneNo', { phoneNo: taken.phoneNo }],
      ];
      for (const [field, overrides] of attempts) {
        const res = await client.post('/api/v1/auth/signup', { json: { ...newAccount(), ...overrides } });
        expectProblem(res, 409, field, 'taken');
        expect(res.body.errors?.[0]?.field).toBe(field);
      }
    });

    it('logs in with userName, email or phoneNo, answering tokens and the UserSummary', async () => {
      const client = api();
      const user = await signUp(client);
      for (const login of [user.userName, user.email.toUpperCase(), user.phoneNo]) {
        const res = await client.post<Tokens & { user: UserSummary }>('/api/v1/auth/login', {
          json: { login, password },
        });
        expectStatus(res, 200);
        expect(res.body).toMatchObject({
          accessToken: expect.any(String),
          refreshToken: expect.any(String),
          user: user.summary,
        });
      }
    });

    it('answers the same 401 to an unknown login and to a wrong password, and 400 to a body without password', async () => {
      const client = api();
      const user = await signUp(client);
      const unknown = await client.post('/api/v1/auth/login', {
        json: { login: `${user.userName}_nobody`, password },
      });
      const wrong = await client.post('/api/v1/auth/login', {
        json: { login: user.userName, password: 'wrong password!' },
      });
      expectProblem(unknown, 401);
      expectProblem(wrong, 401);
      expect(unknown.body.detail).toBe(wrong.body.detail);
      expect(unknown.body.title).toBe(wrong.body.title);
      expectProblem(
        await client.post('/api/v1/auth/login', { json: { login: user.userName } }),
        400,
        'password',
      );
    });

    it('locks a login out with 429 and Retry-After after repeated failures, even for the right password', async () => {
      const client = api();
      const user = await signUp(client);
      let lockedAfter = 0;
      let res = await client.post('/api/v1/auth/login', {
        json: { login: user.userName, password: 'guess 0000' },
      });
      while (res.status === 401 && lockedAfter < 20) {
        lockedAfter += 1;
        res = await client.post('/api/v1/auth/login', {
          json: { login: user.userName, password: `guess ${lockedAfter}` },
        });
      }
      expectProblem(res, 429);
      expect(lockedAfter).toBeGreaterThanOrEqual(3);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Locked means locked: the right password does not get through either, under another spelling neither.
      const right = await client.post('/api/v1/auth/login', {
        json: { login: ` ${user.userName.toUpperCase()} `, password },
      });
      expectProblem(right, 429);
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another account from the same address is not affected.
      const other = await signUp(client);
      expect(other.accessToken).toBeTruthy();
    });

    it('lets at most the limit of 40 parallel guesses at one account be checked, the right password among them; the rest answer 429', async () => {
      const client = api();
      const user = await signUp(client);
      // The right password is one of the 40: it may be among those checked, and then it logs in.
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.post('/api/v1/auth/login', {
            json: {
              login: i % 2 === 0 ? user.userName : user.email,
              password: i === 20 ? password : `guess ${i}`,
            },
          }),
        ),
      );
      const checked = answers.filter((res) => res.status === 401 || res.status === 200);
      const refused = answers.filter((res) => res.status === 429);
      expect(checked.length).toBeLessThanOrEqual(5);
      expect(checked.length + refused.length).toBe(40);
      for (const res of refused) expectProblem(res, 429);
      expect(refused[0]?.body.code).toBe('rate-limited');
    });

    it('rotates refresh tokens; reusing a spent one answers 401 and revokes the whole session', async () => {
      const client = api();
      const user = await signUp(client);
      const refreshed = await client.post<Tokens>('/api/v1/auth/refresh', {
        json: { refreshToken: user.refreshToken },
      });
      expectStatus(refreshed, 200);
      expect(refreshed.body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
      });
      expect(refreshed.body.refreshToken).not.toBe(user.refreshToken);
      expectStatus(await client.get('/api/v1/users/me', { token: refreshed.body.accessToken }), 200);

      const reuse = await client.post('/api/v1/auth/refresh', { json: { refreshToken: user.refreshToken } });
      expectProblem(reuse, 401);
      // The whole session is gone: its newest refresh token and its access tokens too.
      expectProblem(
        await client.post('/api/v1/auth/refresh', { json: { refreshToken: refreshed.body.refreshToken } }),
        401,
      );
      expectProblem(await client.get('/api/v1/users/me', { token: refreshed.body.accessToken }), 401);
      expectProblem(await client.get('/api/v1/users/me', { token: user.accessToken }), 401);
      // Another session of the same account lives on.
      const other = await logIn(client, user.userName);
      expectStatus(await client.get('/api/v1/users/me', { token: other.accessToken }), 200);
      expectProblem(
        await client.post('/api/v1/auth/refresh', { json: { refreshToken: 'not-a-token' } }),
        401,
      );
      expectProblem(await client.post('/api/v1/auth/refresh', { json: {} }), 400, 'refreshToken');
    });

    it('logs out: 204, then that session tokens answer 401 while another session keeps working', async () => {
      const client = api();
      const user = await signUp(client);
      const other = await logIn(client, user.email);
      expectProblem(
        await client.post('/api/v1/auth/logout', { json: { refreshToken: user.refreshToken } }),
        401,
      );
      const out = await client.post('/api/v1/auth/logout', {
        token: user.accessToken,
        json: { refreshToken: user.refreshToken },
      });
      expectStatus(out, 204);
      expectProblem(await client.get('/api/v1/users/me', { token: user.accessToken }), 401);
      expectProblem(
        await client.post('/api/v1/posts', {
          token: user.accessToken,
          json: { photo: 'https://x.example/a.jpg' },
        }),
        401,
      );
      expectProblem(
        await client.post('/api/v1/auth/refresh', { json: { refreshToken: user.refreshToken } }),
        401,
      );
      expectStatus(await client.get('/api/v1/users/me', { token: other.accessToken }), 200);
    });

    it('refuses missing, malformed, expired, tampered and foreign tokens with 401, on every kind of route', async () => {
      const client = api();
      const user = await signUp(client);
      const victim = await signUp(client);
      const post = await createPost(client, victim);
      // Read once with the post's consistency token: the reads below send bad tokens and answer before any wait.
      expectStatus(await client.get(`/api/v1/posts/${post.id}`), 200);
      const { sub, sid } = claimsOf(user.accessToken);
      const keys = await system().signingKeys();
      const expired = await new AccessTokenIssuer(keys, 60).issue(
        { userId: sub, sessionId: sid },
        new Date(Date.now() - 3_600_000),
      );
      const foreignKeys = await KeyStore.generate();
      const foreign = await new AccessTokenIssuer(foreignKeys).issue(
        { userId: sub, sessionId: sid },
        new Date(),
      );
      // One character in the middle of the signature: the last one may only carry padding bits.
      const [head, body, signature] = user.accessToken.split('.') as [string, string, string];
      const middle = signature.length >> 1;
      const flipped = `${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`;
      const badTokens: Record<string, string | undefined> = {
        missing: undefined,
        'not a JWT': 'Bearer not-a-jwt',
        'another scheme': `Basic ${Buffer.from('a:b').toString('base64')}`,
        'empty bearer': 'Bearer ',
        expired: `Bearer ${expired}`,
        'payload changed to another user': `Bearer ${withClaim(user.accessToken, 'sub', victim.id)}`,
        'signature changed': `Bearer ${head}.${body}.${flipped}`,
        'signed by a key identity never published': `Bearer ${foreign}`,
      };
      const bearerRoutes: [string, string, unknown?][] = [
        ['GET', '/api/v1/users/me'],
        ['GET', '/api/v1/feed'],
        ['POST', '/api/v1/posts', { photo: 'https://x.example/a.jpg' }],
        ['PUT', `/api/v1/posts/${post.id}/like`],
        ['PUT', `/api/v1/users/${victim.id}/follow`],
      ];
      for (const [label, authorization] of Object.entries(badTokens)) {
        for (const [method, path, json] of bearerRoutes) {
          const res = await client.request(method, path, {
            headers: authorization === undefined ? {} : { authorization },
            ...(json === undefined ? {} : { json }),
          });
          expect(res.status, `${label}: ${method} ${path} ${JSON.stringify(res.body)}`).toBe(401);
        }
        if (authorization !== undefined) {
          // Optional auth: anonymous is fine, a bad token is not.
          const read = await client.get(`/api/v1/posts/${post.id}`, { headers: { authorization } });
          expect(read.status, `${label}: GET /posts/:postId ${JSON.stringify(read.body)}`).toBe(401);
        }
      }
      expectStatus(await client.get(`/api/v1/posts/${post.id}`), 200);
      expectStatus(await client.get('/api/v1/users/me', { token: user.accessToken }), 200);
    });

    it('reads the auth scheme case-insensitively: "bearer" and "BEARER" work like "Bearer" (RFC 9110 §11.1)', async () => {
      const client = api();
      const user = await signUp(client);
      for (const scheme of ['bearer', 'BEARER']) {
        const authorization = `${scheme} ${user.accessToken}`;
        const me = await client.get<Profile>('/api/v1/users/me', { headers: { authorization } });
        expectStatus(me, 200);
        expect(me.body.id).toBe(user.id);
        const created = await client.post('/api/v1/posts', {
          headers: { authorization },
          json: { photo: 'https://x.example/a.jpg' },
        });
        expectStatus(created, 201);
      }
    });

    it('GET /users/me answers the caller profile; PATCH edits it, trimmed, and answers 400 on invalid fields', async () => {
      const client = api();
      const user = await signUp(client);
      const me = await client.get<Profile>('/api/v1/users/me', { token: user.accessToken });
      expectStatus(me, 200);
      expect(me.body).toMatchObject({ ...user.summary, bio: '', followersCount: 0, postCount: 0 });

      const edited = await client.patch<Profile>('/api/v1/users/me', {
        token: user.accessToken,
        json: { name: '  Grace Hopper ', bio: 'compilers', profilePic: 'https://pics.example.com/grace.png' },
      });
      expectStatus(edited, 200);
      expect(edited.body).toMatchObject({
        id: user.id,
        userName: user.userName,
        name: 'Grace Hopper',
        bio: 'compilers',
        profilePic: 'https://pics.example.com/grace.png',
      });
      const bioOnly = await client.patch<Profile>('/api/v1/users/me', {
        token: user.accessToken,
        json: { bio: 'b'.repeat(150) },
      });
      expectStatus(bioOnly, 200);
      expect(bioOnly.body).toMatchObject({ name: 'Grace Hopper', bio: 'b'.repeat(150) });
      const read = await client.get<Profile>(`/api/v1/users/by-username/${user.userName}`);
      expect(read.body).toMatchObject({ name: 'Grace Hopper', bio: 'b'.repeat(150) });

      const invalid: [string, unknown][] = [
        ['bio', 'b'.repeat(151)],
        ['name', ''],
        ['name', 'n'.repeat(51)],
        ['profilePic', 'ftp://pics.example.com/a.png'],
        ['profilePic', `https://pics.example.com/${'p'.repeat(2048)}`],
      ];
      for (const [field, value] of invalid) {
        expectProblem(
          await client.patch('/api/v1/users/me', { token: user.accessToken, json: { [field]: value } }),
          400,
          field,
        );
      }
      expectProblem(await client.patch('/api/v1/users/me', { json: { bio: 'x' } }), 401);
      expectProblem(await client.get('/api/v1/users/me'), 401);
    });

    it('deletes the account: 204, then its logins and tokens answer 401, its profile and lists 404', async () => {
      const client = api();
      const user = await signUp(client);
      const other = await signUp(client);
      const second = await logIn(client, user.phoneNo);
      expectProblem(await client.delete('/api/v1/users/me'), 401);
      expectStatus(await client.delete('/api/v1/users/me', { token: user.accessToken }), 204);

      for (const login of [user.userName, user.email, user.phoneNo]) {
        expectProblem(await client.post('/api/v1/auth/login', { json: { login, password } }), 401);
      }
      for (const token of [user.accessToken, second.accessToken]) {
        expectProblem(await client.get('/api/v1/users/me', { token }), 401);
        expectProblem(await client.delete('/api/v1/users/me', { token }), 401);
      }
      expectProblem(
        await client.post('/api/v1/auth/refresh', { json: { refreshToken: second.refreshToken } }),
        401,
      );
      expectProblem(await client.get(`/api/v1/users/${user.id}`), 404);
      expectProblem(await client.get(`/api/v1/users/by-username/${user.userName}`), 404);
      for (const list of ['followers', 'following', 'posts']) {
        expectProblem(await client.get(`/api/v1/users/${user.id}/${list}`), 404);
      }
      expectProblem(await client.put(`/api/v1/users/${user.id}/follow`, { token: other.accessToken }), 404);
      expectProblem(
        await client.delete(`/api/v1/users/${user.id}/follow`, { token: other.accessToken }),
        404,
      );
      expectProblem(await client.get(`/api/v1/users/${unknownId()}`), 404);
    });
  });
}
