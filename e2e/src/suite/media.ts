import { describe, expect, it } from 'vitest';
import { ApiClient, type Media, type Post, type Profile } from '../api/client.js';
import { expectProblem, expectStatus, malformedId, signUp, unknownId } from '../api/fixtures.js';
import {
  imageFacts,
  jpegWithLocation,
  jpegWithTextInSegments,
  smallPng,
  smallWebp,
  smuggledTexts,
  uploadForm,
} from '../api/images.js';
import type { SystemRef } from './system.js';

const maxUploadBytes = 10 * 1024 * 1024;

export function mediaSuite(system: SystemRef): void {
  describe('media uploads', () => {
    const api = () => new ApiClient(system().url);

    it('stores a JPEG without its metadata, with absolute cacheable URLs and variants of at most 1080 and 320 px', async () => {
      const client = api();
      const user = await signUp(client);
      const original = await jpegWithLocation();
      expect((await imageFacts(original)).hasExif).toBe(true);

      const res = await client.post<Media>('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(original, 'holiday.jpg', 'image/jpeg'),
      });
      expectStatus(res, 201);
      expect(res.body).toEqual({
        id: expect.any(String),
        url: expect.stringMatching(/^https?:\/\//),
        width: 2000,
        height: 1500,
        variants: {
          thumbnail: expect.stringMatching(/^https?:\/\//),
          standard: expect.stringMatching(/^https?:\/\//),
        },
      });

      const sizes: Record<string, number> = {};
      for (const [name, url] of Object.entries({ url: res.body.url, ...res.body.variants })) {
        const file = await fetch(url);
        expect(file.status, `${name} ${url}`).toBe(200);
        expect(file.headers.get('content-type')).toMatch(/^image\//);
        const etag = file.headers.get('etag');
        expect(etag).toBeTruthy();
        expect(file.headers.get('cache-control')).toMatch(/max-age=(\d{7,})/);
        const bytes = new Uint8Array(await file.arrayBuffer());
        const facts = await imageFacts(bytes);
        expect(facts.hasExif, `${name} keeps EXIF`).toBe(false);
        expect(Buffer.from(bytes).includes('e2e-owner')).toBe(false);
        sizes[name] = facts.width ?? 0;
        const revalidated = await fetch(url, { headers: { 'if-none-match': etag as string } });
        expect(revalidated.status).toBe(304);
        await revalidated.arrayBuffer();
      }
      expect(sizes).toEqual({ url: 2000, standard: 1080, thumbnail: 320 });

      const read = await client.get<Media>(`/api/v1/media/${res.body.id}`);
      expectStatus(read, 200);
      expect(read.body).toEqual(res.body);
    });

    it('stores no text that the JFIF, ICC or comment segments of a JPEG carried, in the original or the variants', async () => {
      const client = api();
      const user = await signUp(client);
      const input = await jpegWithTextInSegments();
      for (const text of smuggledTexts) expect(input.includes(text)).toBe(true);
      const res = await client.post<Media>('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(input, 'sunset.jpg', 'image/jpeg'),
      });
      expectStatus(res, 201);
      for (const url of [res.body.url, res.body.variants.standard, res.body.variants.thumbnail]) {
        const file = await fetch(url);
        expect(file.status, url).toBe(200);
        const bytes = Buffer.from(await file.arrayBuffer());
        for (const text of smuggledTexts) expect(bytes.includes(text), `${text} in ${url}`).toBe(false);
      }
    });

    it('judges the format by content: PNG and WebP are accepted whatever their names, text named .jpg is 415', async () => {
      const client = api();
      const user = await signUp(client);
      const png = await client.post<Media>('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(await smallPng(), 'picture.jpg', 'image/jpeg'),
      });
      expectStatus(png, 201);
      expect(png.body).toMatchObject({ width: 64, height: 48 });
      const webp = await client.post<Media>('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(await smallWebp(), 'picture', 'application/octet-stream'),
      });
      expectStatus(webp, 201);
      expect(webp.body).toMatchObject({ width: 40, height: 40 });

      const text = Buffer.from('this is not an image at all, whatever its name says\n'.repeat(20));
      const res = await client.post('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(text, 'photo.jpg', 'image/jpeg'),
      });
      expectProblem(res, 415);
    });

    it('answers 400 without a file part, 413 over 10 MB and 401 without a token', async () => {
      const client = api();
      const user = await signUp(client);
      const noFile = new FormData();
      noFile.append('caption', 'where is the file?');
      expectProblem(await client.post('/api/v1/media', { token: user.accessToken, body: noFile }), 400);

      const png = await smallPng();
      const tooLarge = Buffer.alloc(maxUploadBytes + 1024, 0);
      png.copy(tooLarge);
      const res = await client.post('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(tooLarge, 'huge.png', 'image/png'),
      });
      expectProblem(res, 413);

      expectProblem(await client.post('/api/v1/media', { body: uploadForm(png, 'a.png', 'image/png') }), 401);
    });

    it('GET /media/:mediaId answers 404 for an unknown id and 400 for a malformed one', async () => {
      const client = api();
      expectProblem(await client.get(`/api/v1/media/${unknownId()}`), 404);
      expectProblem(await client.get(`/api/v1/media/${malformedId}`), 400);
    });

    it("deleting the account erases its photos: once DELETE /users/me answered 204, every URL of its uploads answers 404, another account's still 200", async () => {
      const client = api();
      const user = await signUp(client);
      const other = await signUp(client);
      const upload = async (token: string) => {
        const res = await client.post<Media>('/api/v1/media', {
          token,
          body: uploadForm(await smallPng(), 'mine.png', 'image/png'),
        });
        expectStatus(res, 201);
        return res.body;
      };
      const mine = [await upload(user.accessToken), await upload(user.accessToken)];
      const theirs = await upload(other.accessToken);
      const urlsOf = (media: Media) => [media.url, media.variants.standard, media.variants.thumbnail];
      const status = async (url: string) => {
        const res = await fetch(url);
        await res.arrayBuffer();
        return res.status;
      };
      for (const url of [...mine, theirs].flatMap(urlsOf)) expect(await status(url), url).toBe(200);

      expectStatus(await client.delete('/api/v1/users/me', { token: user.accessToken }), 204);

      for (const media of mine) {
        for (const url of urlsOf(media)) expect(await status(url), url).toBe(404);
        expectProblem(await client.get(`/api/v1/media/${media.id}`), 404);
      }
      for (const url of urlsOf(theirs)) expect(await status(url), url).toBe(200);
      // The erasure's internal route is no public route: whoever finds its path erases nothing.
      expectProblem(await client.delete(`/internal/v1/users/${other.id}/media`), 404);
      expectProblem(await client.delete(`/api/v1/internal/v1/users/${other.id}/media`), 404);
      for (const url of urlsOf(theirs)) expect(await status(url), url).toBe(200);
    });

    it('an upload URL is a valid photo of a post and a valid profilePic', async () => {
      const client = api();
      const user = await signUp(client);
      const media = await client.post<Media>('/api/v1/media', {
        token: user.accessToken,
        body: uploadForm(await smallPng(), 'me.png', 'image/png'),
      });
      expectStatus(media, 201);
      const post = await client.post<Post>('/api/v1/posts', {
        token: user.accessToken,
        json: { photo: media.body.variants.standard, caption: 'uploaded' },
      });
      expectStatus(post, 201);
      expect(post.body.photo).toBe(media.body.variants.standard);
      const profile = await client.patch<Profile>('/api/v1/users/me', {
        token: user.accessToken,
        json: { profilePic: media.body.variants.thumbnail },
      });
      expectStatus(profile, 200);
      expect(profile.body.profilePic).toBe(media.body.variants.thumbnail);
      const served = await fetch(post.body.photo);
      expect(served.status).toBe(200);
      await served.arrayBuffer();
    });
  });
}
