import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '@gram/event-store';
import { silentLogger } from '@gram/messaging';
import { describe, expect, it } from 'vitest';
import { type Account, createPost, follow, like, newAccount, signUp } from '../test/history.js';
import { readTopics, testBrokers, testKafka } from '../test/kafka.js';
import { Relay } from './relay.js';

const brokers = testBrokers();

/** Every value of an account that must stay in identity, whole and in the pieces a leak could take. */
function secretsOf(account: Account): string[] {
  const [local, domain] = account.email.split('@') as [string, string];
  return [
    account.email,
    local,
    domain,
    account.phoneNo,
    account.phoneNo.replace('+', ''),
    account.passwordHash,
    ...account.passwordHash.split('$').filter((piece) => piece.length >= 8),
    account.refreshTokenHash,
    account.refreshTokenHash.split('$')[1] as string,
  ];
}

describe.skipIf(!brokers)('secrets never reach Kafka', () => {
  it('no message of any topic holds an email, a phone number, a password hash or a refresh token hash', async () => {
    const kafka = testKafka(brokers ?? []);
    const dir = mkdtempSync(join(tmpdir(), 'relay-secrets-'));
    const store = openSqliteEventStore({ path: join(dir, 'events.sqlite') });
    const name = `test-relay-${randomUUID().slice(0, 8)}`;
    try {
      // A realistic history: signups with their private credential, reservation and session events, then
      // posts, likes and follows between the accounts.
      const accounts = Array.from({ length: 30 }, (_, i) => newAccount(i));
      for (const account of accounts) await signUp(store, account);
      const posts: { postId: string; authorId: string }[] = [];
      for (const account of accounts.slice(0, 10)) {
        posts.push({ postId: await createPost(store, account.userId), authorId: account.userId });
      }
      for (const [i, account] of accounts.entries()) {
        const post = posts[i % posts.length] as { postId: string; authorId: string };
        await like(store, post.postId, post.authorId, account.userId);
        await follow(store, account.userId, (accounts[(i + 1) % accounts.length] as Account).userId);
      }
      const publicIds = new Set(
        (await store.readAll())
          .filter((e) => !/^(AccountCredentialsSet|Session|UniqueValue)/.test(e.type))
          .map((e) => e.id),
      );

      const relay = await Relay.start({ store, kafka, name, logger: silentLogger });
      try {
        const admin = kafka.admin();
        await admin.connect();
        const topics = (await admin.listTopics()).filter((topic) => !topic.startsWith('__'));
        await admin.disconnect();
        // Everything, aborted transactions included: read uncommitted.
        const messages = await readTopics(kafka, {
          topics,
          readUncommitted: true,
          done: (all) => all.filter((m) => publicIds.has(m.headers.ce_id as string)).length >= publicIds.size,
          quietMs: 1_000,
        });

        const secrets = accounts.flatMap(secretsOf);
        const privateStreams = (await store.readAll())
          .filter((e) => e.streamId.startsWith('session-') || e.streamId.startsWith('reservation-'))
          .map((e) => e.streamId);
        const forbidden = [
          ...secrets,
          ...privateStreams,
          'passwordHash',
          'phoneNo',
          'refreshTokenHash',
          '"email"',
        ];
        // One pattern for all of them: every message of every topic is scanned, other test files' included.
        const leak = new RegExp(
          forbidden.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
        );
        const leaks: string[] = [];
        let scanned = 0;
        for (const message of messages) {
          const text = [message.key, message.value, ...Object.entries(message.headers).flat()].join('\n');
          const found = leak.exec(text);
          if (found) leaks.push(`${message.topic}@${message.offset} holds ${found[0]}`);
          scanned++;
        }
        expect(leaks).toEqual([]);
        expect(scanned).toBeGreaterThanOrEqual(publicIds.size);
      } finally {
        await relay.stop();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
