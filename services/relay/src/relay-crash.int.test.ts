import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore, type SqliteEventStore } from '@gram/event-store';
import { publicTopics } from '@gram/events';
import { ensureTopics } from '@gram/messaging';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendWorkload } from '../test/history.js';
import { type ReadMessage, readTopics, testBrokers, testKafka, topicEnds } from '../test/kafka.js';
import { type RelayProcess, spawnRelay } from '../test/relay-process.js';
import { eventTopicSpecs } from './topics.js';

const brokers = testBrokers();

/**
 * Every appended event arrived, and each stream's events arrived in stream order. The consumer reads committed
 * messages only, and the relay commits each batch together with its checkpoint, so a crash leaves no visible
 * duplicate either: the killed instance's open transaction is aborted when its successor fences it.
 */
function expectEveryEventOnceInStreamOrder(
  messages: readonly ReadMessage[],
  appended: { ids: Set<string>; streams: Map<string, number> },
) {
  const own = messages.filter((m) => appended.streams.has(m.key));
  const received = new Set(own.map((m) => m.headers.ce_id));
  const missing = [...appended.ids].filter((id) => !received.has(id));
  expect(missing, 'events that never arrived').toEqual([]);
  expect(own.length, 'duplicates').toBe(appended.ids.size);
  const revisionsByStream = new Map<string, number[]>();
  for (const m of own) {
    const revisions = revisionsByStream.get(m.key) ?? [];
    revisions.push(Number(m.headers.ce_streamrevision));
    revisionsByStream.set(m.key, revisions);
  }
  for (const [streamId, count] of appended.streams) {
    expect(revisionsByStream.get(streamId), streamId).toEqual([...Array(count).keys()]);
  }
}

describe.skipIf(!brokers)('relay processes against real Kafka', () => {
  const kafka = testKafka(brokers ?? []);
  let dataDir: string;
  let store: SqliteEventStore;
  let name: string;
  const processes: RelayProcess[] = [];

  const start = (id: string) => {
    const relay = spawnRelay({ dataDir, brokers: brokers ?? [], name, id });
    processes.push(relay);
    return relay;
  };
  const readAppended = (appended: { ids: Set<string>; streams: Map<string, number> }) =>
    readTopics(kafka, {
      topics: publicTopics,
      from: ends,
      done: (all) =>
        all.filter((m) => appended.ids.has(m.headers.ce_id as string)).length >= appended.ids.size,
      quietMs: 1_000,
      timeoutMs: 90_000,
    });

  let ends: Map<string, string[]>;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, eventTopicSpecs());
    await admin.disconnect();
  });

  beforeEach(async () => {
    // Only this test's messages are read: other test files publish to the same topics.
    ends = await topicEnds(kafka, publicTopics);
    dataDir = mkdtempSync(join(tmpdir(), 'relay-crash-'));
    store = openSqliteEventStore({ path: join(dataDir, 'events.sqlite') });
    name = `test-relay-${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    for (const relay of processes.splice(0)) {
      if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill('SIGKILL');
      await relay.exited;
    }
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing when SIGKILLed in the middle of 10,000 events and restarted', async () => {
    const first = start('first');
    await first.waitForLog('relay resumes after its checkpoint');
    let killed = false;
    const appended = await appendWorkload(store, {
      total: 10_000,
      streams: 200,
      pauseMs: 15,
      progress: (count) => {
        if (count >= 5_000 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      },
    });
    expect(await first.exited).toBe('SIGKILL');

    const second = start('second');
    // The killed instance never left the lease group: the second one gets the lease once its session expires.
    const resumed = await second.waitForLog('relay resumes after its checkpoint');
    // The first instance published part of the log before it died, and the second resumed from there.
    expect(resumed.checkpoint).toEqual(expect.any(Number));
    expect(resumed.checkpoint as number).toBeLessThan(await store.headPosition());

    expectEveryEventOnceInStreamOrder(await readAppended(appended), appended);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('has a standby take over when the active instance is killed, and nothing is lost', async () => {
    const active = start('active');
    await active.waitForLog('relay resumes after its checkpoint');
    const standby = start('standby');
    await standby.waitForLog('relay started; publishing whenever it holds the lease');
    let killed = false;
    const appended = await appendWorkload(store, {
      total: 3_000,
      streams: 100,
      pauseMs: 10,
      progress: (count) => {
        if (count >= 1_000 && !killed) {
          killed = true;
          active.child.kill('SIGKILL');
        }
      },
    });
    const takeover = await standby.waitForLog('relay resumes after its checkpoint');
    expect(takeover.checkpoint).toEqual(expect.any(Number));
    expectEveryEventOnceInStreamOrder(await readAppended(appended), appended);
    expect(standby.logs.some((line) => line.msg === 'relay holds the lease: active')).toBe(true);
  });
});
