import { fromStoredEvent } from '@gram/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followStream, registerUser, startService } from '../../test/fixtures.js';

let service: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service?.close();
});

describe('concurrent follows', () => {
  it('records exactly one UserFollowed when one user sends 50 identical follows at once', async () => {
    const me = await registerUser(service.store);
    const them = await registerUser(service.store);
    const authorization = `Bearer ${await service.issuer.mint(me)}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        service.app.inject({
          method: 'PUT',
          url: `/api/v1/users/${them}/follow`,
          headers: { authorization },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(204));
    const events = await followStream(service.store, me, them);
    expect(events.map((e) => e.type)).toEqual(['UserFollowed']);
    // Every answer, winner or no-op, points at that one event.
    expect(new Set(responses.map((r) => r.headers['x-global-position'])).size).toBe(1);
  });

  it('records 100 follows when 100 different users follow one account at once', async () => {
    const star = await registerUser(service.store);
    const fans = await Promise.all(Array.from({ length: 100 }, () => registerUser(service.store)));
    const responses = await Promise.all(
      fans.map(async (fan) =>
        service.app.inject({
          method: 'PUT',
          url: `/api/v1/users/${star}/follow`,
          headers: { authorization: `Bearer ${await service.issuer.mint(fan)}` },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(204));
    const followsOfStar = (await service.store.readAll()).filter((recorded) => {
      const event = fromStoredEvent(recorded);
      return event?.type === 'UserFollowed' && event.data.followeeId === star;
    });
    expect(followsOfStar).toHaveLength(100);
    expect(new Set(followsOfStar.map((e) => e.streamId)).size).toBe(100);
    for (const fan of fans) expect(await followStream(service.store, fan, star)).toHaveLength(1);
  });
});
