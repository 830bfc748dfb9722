import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { payloadErrors, streamIds, toStoredEvent } from '@gram/events';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicUrl, registerUser, startService } from '../../test/fixtures.js';
import {
  jpegWithExifAndGps,
  jpegWithTextInKeptSegments,
  multipartBody,
  noiseJpeg,
  plainJpeg,
  png,
  pngBomb,
  smuggledTexts,
  textFile,
  truncatedJpeg,
  webp,
} from '../../test/images.js';
import { diskMediaStorage } from '../storage/disk-storage.js';
import type { MediaStorage } from '../storage/media-storage.js';

let service: Awaited<ReturnType<typeof startService>>;
let auth: Record<string, string>;
let userId: string;
beforeAll(async () => {
  service = await startService();
  userId = await registerUser(service.store);
  auth = { authorization: `Bearer ${await service.issuer.mint(userId)}` };
});
afterAll(async () => {
  await service?.close();
});

const upload = (data: Buffer, filename = 'photo.jpg', headers = auth, name = 'file') => {
  const body = multipartBody([{ name, filename, contentType: 'image/jpeg', data }]);
  return service.app.inject({
    method: 'POST',
    url: '/api/v1/media',
    payload: body.payload,
    headers: { ...headers, ...body.headers },
  });
};

/** GET of an absolute media URL against the app itself. */
const fetchUrl = (url: string, headers: Record<string, string> = {}) => {
  expect(url.startsWith(publicUrl)).toBe(true);
  return service.app.inject({ method: 'GET', url: url.slice(publicUrl.length), headers });
};

function expectProblem(res: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

/** A refusal must leave nothing behind: no file and no event. */
async function expectNothingStored(run: () => Promise<{ statusCode: number }>, status: number) {
  const filesBefore = await service.storedKeys();
  const positionBefore = await service.store.headPosition();
  const res = await run();
  expectProblem(res as never, status);
  expect(await service.storedKeys()).toEqual(filesBefore);
  expect(await service.store.headPosition()).toBe(positionBefore);
}

describe('POST /api/v1/media', () => {
  it.each([
    ['JPEG', () => plainJpeg(1600, 1200), 'image/jpeg', 'jpg'],
    ['PNG', () => png(500, 400), 'image/png', 'png'],
    ['WebP', () => webp(2000, 1000), 'image/webp', 'webp'],
  ])('accepts a %s: 201 Media with absolute URLs, and records MediaUploaded', async (_, make, type, ext) => {
    const res = await upload(await make(), 'whatever.bin');
    expect(res.statusCode).toBe(201);
    const media = res.json();
    expect(media).toEqual({
      id: expect.any(String),
      url: expect.stringMatching(
        new RegExp(`^${publicUrl}/api/v1/media/files/${media.id}/original-[0-9a-f]{32}\\.${ext}$`),
      ),
      width: expect.any(Number),
      height: expect.any(Number),
      variants: {
        thumbnail: expect.stringMatching(/^https:\/\/.*thumbnail-.*$/),
        standard: expect.stringMatching(/^https:\/\/.*standard-.*$/),
      },
    });
    const file = await fetchUrl(media.url);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe(type);
    const recorded = await service.store.readStream(streamIds.media(media.id));
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      type: 'MediaUploaded',
      data: { mediaId: media.id, uploaderId: userId },
      metadata: { actorId: userId },
    });
    expect(res.headers['x-stream-revision']).toBe('0');
    expect(res.headers['x-global-position']).toBe(String(recorded[0]?.position));
    expect(res.headers['x-consistency-token']).toEqual(expect.any(String));
  });

  it('stores no metadata: EXIF and GPS are gone from every stored file, read back byte for byte', async () => {
    const input = await jpegWithExifAndGps();
    expect(input.includes('SpyCam')).toBe(true);
    const media = (await upload(input)).json();
    for (const url of [media.url, media.variants.standard, media.variants.thumbnail]) {
      const bytes = (await fetchUrl(url)).rawPayload;
      const metadata = await sharp(bytes).metadata();
      expect(metadata.exif, url).toBeUndefined();
      expect(metadata.xmp, url).toBeUndefined();
      expect(metadata.iptc, url).toBeUndefined();
      expect(metadata.orientation, url).toBeUndefined();
      expect(bytes.includes('SpyCam'), url).toBe(false);
      expect(bytes.includes('secret-owner'), url).toBe(false);
      expect(bytes.includes('Exif\0'), url).toBe(false);
    }
  });

  it('stores no text of the JFIF, ICC and Adobe segments and no comment, in the original and the variants', async () => {
    const input = await jpegWithTextInKeptSegments(1600, 1200);
    const res = await upload(input);
    expect(res.statusCode).toBe(201);
    const media = res.json();
    for (const url of [media.url, media.variants.standard, media.variants.thumbnail]) {
      const bytes = (await fetchUrl(url)).rawPayload;
      for (const text of smuggledTexts) expect(bytes.includes(text), `${text} in ${url}`).toBe(false);
      expect((await sharp(bytes).metadata()).comments, url).toBeUndefined();
    }
  });

  it('keeps an upright JPEG as uploaded, minus its metadata: the same compressed pixels, no EXIF', async () => {
    const input = await plainJpeg(1600, 1200);
    const pixelsOfInput = await sharp(input).raw().toBuffer();
    const media = (await upload(input)).json();
    const original = (await fetchUrl(media.url)).rawPayload;
    expect(original.includes('SpyCam')).toBe(false);
    expect((await sharp(original).metadata()).exif).toBeUndefined();
    expect(original.length).toBeLessThan(input.length);
    expect((await sharp(original).raw().toBuffer()).equals(pixelsOfInput)).toBe(true);
  });

  it('receives a body sent in small chunks without a Content-Length whole, as it would with one', async () => {
    const input = await noiseJpeg(1000, 800); // over the 256 KB the receive buffer starts with then
    expect(input.length).toBeGreaterThan(256 * 1024);
    const body = multipartBody([{ name: 'file', filename: 'p.jpg', contentType: 'image/jpeg', data: input }]);
    const chunks = Array.from({ length: Math.ceil(body.payload.length / 1000) }, (_, i) =>
      body.payload.subarray(i * 1000, (i + 1) * 1000),
    );
    const streamed = await service.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      payload: Readable.from(chunks),
      headers: { ...auth, ...body.headers },
    });
    expect(streamed.statusCode).toBe(201);
    const whole = (await upload(input)).json();
    const hashOf = (url: string) => url.slice(url.lastIndexOf('-'));
    expect(hashOf(streamed.json().url)).toBe(hashOf(whole.url)); // the same stored bytes
  });

  it('keeps the orientation right: a 1600x1200 photo tagged "turn 90°" is stored 1200x1600 upright', async () => {
    const media = (await upload(await jpegWithExifAndGps(1600, 1200))).json();
    expect({ width: media.width, height: media.height }).toEqual({ width: 1200, height: 1600 });
    const original = await sharp((await fetchUrl(media.url)).rawPayload).metadata();
    expect({ width: original.width, height: original.height }).toEqual({ width: 1200, height: 1600 });
    const standard = await sharp((await fetchUrl(media.variants.standard)).rawPayload).metadata();
    expect({ width: standard.width, height: standard.height }).toEqual({ width: 1080, height: 1440 });
  });

  it('stores a standard variant 1080 px wide and a thumbnail 320 px wide, keeping the aspect ratio', async () => {
    const media = (await upload(await webp(2000, 1000))).json();
    const standard = await sharp((await fetchUrl(media.variants.standard)).rawPayload).metadata();
    const thumbnail = await sharp((await fetchUrl(media.variants.thumbnail)).rawPayload).metadata();
    expect([standard.width, standard.height]).toEqual([1080, 540]);
    expect([thumbnail.width, thumbnail.height]).toEqual([320, 160]);
    expect([media.width, media.height]).toEqual([2000, 1000]);
  });

  it('never enlarges: a 500 px wide PNG keeps 500 px as its standard variant', async () => {
    const media = (await upload(await png(500, 400))).json();
    const standard = await sharp((await fetchUrl(media.variants.standard)).rawPayload).metadata();
    expect([standard.width, standard.height]).toEqual([500, 400]);
  });

  it('answers with URLs that are valid photo and profilePic values of posts and profiles', async () => {
    const media = (await upload(await plainJpeg(400, 300))).json();
    const createdAt = new Date().toISOString();
    for (const url of [media.url, media.variants.standard, media.variants.thumbnail]) {
      expect(
        payloadErrors('PostCreated', {
          postId: media.id,
          authorId: userId,
          photo: url,
          caption: '',
          createdAt,
        }),
      ).toEqual([]);
      expect(payloadErrors('ProfileUpdated', { userId, profilePic: url, updatedAt: createdAt })).toEqual([]);
    }
  });

  it('answers 415 to a text file named .jpg and declared image/jpeg, and stores nothing', async () => {
    await expectNothingStored(() => upload(textFile, 'photo.jpg'), 415);
  });

  it('answers 415 to megabytes of random bytes sent over a real connection, without hanging, and stores nothing', async () => {
    // Over a socket, not inject(): the body arrives in many chunks while the refusal is decided on the first.
    const noise = (await import('node:crypto')).randomBytes(3 * 1024 * 1024);
    noise[0] = 0x42; // not the first byte of any accepted format
    const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
    await expectNothingStored(async () => {
      const body = multipartBody([
        { name: 'file', filename: 'photo.jpg', contentType: 'image/jpeg', data: noise },
      ]);
      const res = await fetch(`${address}/api/v1/media`, {
        method: 'POST',
        headers: { ...auth, ...body.headers },
        body: body.payload,
        signal: AbortSignal.timeout(10_000),
      });
      return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
    }, 415);
  });

  it('answers 415 to a truncated JPEG and stores nothing', async () => {
    await expectNothingStored(async () => upload(await truncatedJpeg()), 415);
  });

  it('answers 413 to a decompression bomb (a PNG declaring 100000x100000 pixels) and stores nothing', async () => {
    await expectNothingStored(async () => upload(await pngBomb(), 'bomb.png'), 413);
  });

  it('answers 413 to a file over 10 MB and stores nothing', async () => {
    const big = Buffer.concat([await plainJpeg(64, 64), Buffer.alloc(10 * 1024 * 1024 + 1)]);
    await expectNothingStored(() => upload(big), 413);
  });

  it('answers 400 to a multipart body without a file, or with the file under another name', async () => {
    const fieldsOnly = multipartBody([{ name: 'caption', data: 'hello' }]);
    expectProblem(
      await service.app.inject({
        method: 'POST',
        url: '/api/v1/media',
        payload: fieldsOnly.payload,
        headers: { ...auth, ...fieldsOnly.headers },
      }),
      400,
    );
    await expectNothingStored(async () => upload(await plainJpeg(64, 64), 'a.jpg', auth, 'photo'), 400);
  });

  it.each([
    ['a multipart Content-Type without a boundary', 'multipart/form-data', 'x'],
    ['a body that does not start with the boundary', 'multipart/form-data; boundary=xx', 'garbage'],
    [
      'a body cut short inside the file part',
      'multipart/form-data; boundary=xx',
      '--xx\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8\xff',
    ],
  ])('answers 400, not 500, to %s, and stores nothing', async (_, contentType, payload) => {
    await expectNothingStored(
      () =>
        service.app.inject({
          method: 'POST',
          url: '/api/v1/media',
          payload,
          headers: { ...auth, 'content-type': contentType },
        }),
      400,
    );
  });

  it('answers 400 to a body that is not multipart', async () => {
    const res = await service.app.inject({
      method: 'POST',
      url: '/api/v1/media',
      payload: { file: 'x' },
      headers: auth,
    });
    expectProblem(res, 400);
  });

  it('answers 401 without a token and stores nothing', async () => {
    await expectNothingStored(async () => upload(await plainJpeg(64, 64), 'a.jpg', {}), 401);
  });
});

/**
 * Uploads of one PNG to a listening service over real connections: `post` sends one whole, `hold` sends the
 * headers and the start of the body and holds the rest back, so the upload stays in progress for as long
 * as the test wants (until `finish`).
 */
async function uploadsTo(address: string) {
  const body = multipartBody([
    { name: 'file', filename: 'photo.png', contentType: 'image/png', data: await png() },
  ]);
  const post = (token: string) =>
    fetch(`${address}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: token, ...body.headers },
      body: body.payload,
      signal: AbortSignal.timeout(10_000),
    });
  const hold = (token: string) => {
    const held = request(`${address}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: token, ...body.headers, 'content-length': String(body.payload.length) },
    });
    let settled = false;
    const answer = new Promise<number>((resolve, reject) => {
      held.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          settled = true;
          resolve(res.statusCode ?? 0);
        });
      });
      held.on('error', reject);
    });
    held.write(body.payload.subarray(0, 64));
    return { answer, settled: () => settled, finish: () => held.end(body.payload.subarray(64)) };
  };
  /**
   * Holds an upload of `holder` and posts uploads of `poster` until one is refused with `refusal`: then the
   * held one is in progress. Until the held upload reaches the service, another one may still get in (and is
   * answered 201). On a busy machine the held one may arrive while that other one is in progress, and be
   * refused itself: then another is held.
   */
  const holdUntilRefused = async (holder: string, poster: string, refusal: number) => {
    let held = hold(holder);
    let refused: { headers: Headers; problem: unknown } | undefined;
    for (let attempt = 0; attempt < 100 && !refused; attempt++) {
      if (held.settled()) {
        expect(await held.answer).toBe(refusal);
        held = hold(holder);
      }
      const res = await post(poster);
      if (res.status === refusal) refused = { headers: res.headers, problem: await res.json() };
      else {
        expect(res.status).toBe(201);
        await res.arrayBuffer();
      }
    }
    if (!refused) throw new Error(`no upload was refused with ${refusal}`);
    return { held, refused };
  };
  return { post, holdUntilRefused };
}

describe('POST /api/v1/media beyond the uploads in progress', () => {
  it('answers 503 with Retry-After while the limit of uploads is in progress, then takes uploads again', async () => {
    const busy = await startService({ maxUploadsInFlight: 1 });
    try {
      const token = `Bearer ${await busy.issuer.mint(await registerUser(busy.store))}`;
      const other = `Bearer ${await busy.issuer.mint(await registerUser(busy.store))}`;
      const uploads = await uploadsTo(await busy.app.listen({ port: 0, host: '127.0.0.1' }));
      const { held, refused } = await uploads.holdUntilRefused(token, other, 503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('1');

      held.finish();
      expect(await held.answer).toBe(201);
      expect((await uploads.post(other)).status).toBe(201);
    } finally {
      await busy.close();
    }
  });

  it('answers 429 with Retry-After to an account holding its share of the uploads in progress, not to others', async () => {
    // A quarter of 4 uploads in progress: one per account.
    const busy = await startService({ maxUploadsInFlight: 4 });
    try {
      const greedy = `Bearer ${await busy.issuer.mint(await registerUser(busy.store))}`;
      const other = `Bearer ${await busy.issuer.mint(await registerUser(busy.store))}`;
      const uploads = await uploadsTo(await busy.app.listen({ port: 0, host: '127.0.0.1' }));
      const { held, refused } = await uploads.holdUntilRefused(greedy, greedy, 429);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.problem).toMatchObject({ status: 429, code: 'rate-limited' });

      const others = await uploads.post(other);
      expect(others.status).toBe(201);
      await others.arrayBuffer();

      held.finish();
      expect(await held.answer).toBe(201);
      expect((await uploads.post(greedy)).status).toBe(201);
    } finally {
      await busy.close();
    }
  });
});

describe('POST /api/v1/media of an account deleted meanwhile', () => {
  it('answers 401 and keeps nothing when the account is deleted while its upload is stored: its erasure may have missed it', async () => {
    // The storage holds every put until the test lets it go: the upload is past its token check by then.
    const disk = diskMediaStorage(await mkdtemp(join(tmpdir(), 'media-deleted-uploader-')));
    let reached: () => void = () => {};
    const putReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const putKeys: string[] = [];
    const storage: MediaStorage = {
      ...disk,
      get: (key) => disk.get(key),
      delete: (key) => disk.delete(key),
      put: async (key, bytes, type) => {
        putKeys.push(key);
        reached();
        await released;
        await disk.put(key, bytes, type);
      },
    };
    const held = await startService({ storage });
    try {
      const userId = await registerUser(held.store);
      const body = multipartBody([
        { name: 'file', filename: 'p.jpg', contentType: 'image/jpeg', data: await plainJpeg(64, 64) },
      ]);
      const answer = held.app.inject({
        method: 'POST',
        url: '/api/v1/media',
        payload: body.payload,
        headers: { authorization: `Bearer ${await held.issuer.mint(userId)}`, ...body.headers },
      });
      await putReached;
      await held.store.appendToStream(
        streamIds.user(userId),
        [toStoredEvent({ type: 'UserDeleted', data: { userId, deletedAt: new Date().toISOString() } })],
        { expectedRevision: 0 },
      );
      const head = await held.store.headPosition();
      release();

      expectProblem(await answer, 401);
      expect(await held.store.headPosition()).toBe(head);
      expect(putKeys).toHaveLength(3);
      for (const key of putKeys) expect(await disk.get(key), key).toBeUndefined();
    } finally {
      release();
      await held.close();
    }
  });
});

describe('GET /api/v1/media/:mediaId', () => {
  it('answers the Media of an upload, from its MediaUploaded event', async () => {
    const media = (await upload(await plainJpeg(400, 300))).json();
    const res = await service.app.inject({ method: 'GET', url: `/api/v1/media/${media.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(media);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expectProblem(
      await service.app.inject({ method: 'GET', url: '/api/v1/media/01890a5d-ac96-774b-bcce-b302099a8057' }),
      404,
    );
    expectProblem(await service.app.inject({ method: 'GET', url: '/api/v1/media/not-an-id' }), 400);
  });
});

describe('GET /api/v1/media/files/<key>', () => {
  it('serves the bytes with a strong ETag and a year-long immutable cache policy', async () => {
    const media = (await upload(await plainJpeg(400, 300))).json();
    const res = await fetchUrl(media.variants.thumbnail);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
  });

  it('serves each format with the media type its OpenAPI document gives the 200 answer', async () => {
    const document = service.app.swagger() as unknown as {
      paths: Record<string, { get: { responses: Record<string, { content?: object }> } }>;
    };
    const documented = Object.keys(
      document.paths['/api/v1/media/files/{*}']?.get.responses['200']?.content ?? {},
    );
    expect(documented.sort()).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    for (const make of [() => plainJpeg(40, 30), () => png(40, 30), () => webp(40, 30)]) {
      const media = (await upload(await make())).json();
      const res = await fetchUrl(media.url);
      expect(res.statusCode).toBe(200);
      expect(documented).toContain(String(res.headers['content-type']));
    }
  });

  it('answers 304 without a body when If-None-Match holds the ETag', async () => {
    const media = (await upload(await plainJpeg(400, 300))).json();
    const first = await fetchUrl(media.url);
    const again = await fetchUrl(media.url, { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    // no Content-Length of a body it does not have (a proxy reading one would wait for bytes never sent)
    expect(again.headers['content-length']).toBeUndefined();
    expect(again.headers.etag).toBe(first.headers.etag);
  });

  it('answers 404 for a key that was never stored and for a path that tries to leave the media directory', async () => {
    const missing = `${publicUrl}/api/v1/media/files/01890a5d-ac96-774b-bcce-b302099a8057/original-${'0'.repeat(32)}.jpg`;
    expectProblem(await fetchUrl(missing), 404);
    expectProblem(await fetchUrl(`${publicUrl}/api/v1/media/files/..%2F..%2Fevents.sqlite`), 404);
  });
});
