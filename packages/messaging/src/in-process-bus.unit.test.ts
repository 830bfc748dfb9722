import { describe, expect, it } from 'vitest';
import { InProcessBus } from './in-process-bus.js';
import { silentLogger } from './logger.js';
import type { EventMessage } from './messages.js';

const message = (streamId: string, streamRevision: number): EventMessage => ({
  id: `${streamId}:${streamRevision}`,
  type: 'PostLiked',
  version: 1,
  streamId,
  streamRevision,
  position: 0,
  time: '2026-11-24T10:00:00.000Z',
  data: {},
});

const fastRetry = { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 };

describe('in-process bus', () => {
  it("delivers each stream's messages in order, one handler call at a time per stream", async () => {
    const bus = new InProcessBus({ lanes: 4, logger: silentLogger });
    const seen = new Map<string, number[]>();
    const running = new Set<string>();
    await bus.subscribe({
      groupId: 'g',
      topics: ['content.likes'],
      handler: async (m) => {
        expect(running.has(m.streamId)).toBe(false);
        running.add(m.streamId);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
        seen.set(m.streamId, [...(seen.get(m.streamId) ?? []), m.streamRevision]);
        running.delete(m.streamId);
      },
    });
    const streams = Array.from({ length: 10 }, (_, i) => `like-${i}`);
    for (let revision = 0; revision < 20; revision++) {
      await bus.publish(streams.map((s) => ({ topic: 'content.likes', message: message(s, revision) })));
    }
    await bus.idle();
    for (const stream of streams) expect(seen.get(stream)).toEqual([...Array(20).keys()]);
    await bus.close();
  });

  it('gives every consumer group each message of its topics, and no other topic', async () => {
    const bus = new InProcessBus({ logger: silentLogger });
    const a: string[] = [];
    const b: string[] = [];
    await bus.subscribe({ groupId: 'a', topics: ['content.likes'], handler: async (m) => void a.push(m.id) });
    await bus.subscribe({
      groupId: 'b',
      topics: ['content.likes', 'social.follows'],
      handler: async (m) => void b.push(m.id),
    });
    await bus.publish([
      { topic: 'content.likes', message: message('like-1', 0) },
      { topic: 'social.follows', message: message('follow-1', 0) },
    ]);
    await bus.idle();
    expect(a).toEqual(['like-1:0']);
    expect(b.sort()).toEqual(['follow-1:0', 'like-1:0']);
    await expect(
      bus.subscribe({ groupId: 'a', topics: ['content.likes'], handler: async () => {} }),
    ).rejects.toThrow(/already subscribed/);
    await bus.close();
  });

  it('retries a failing handler, then dead-letters the message to <topic>.dlq and moves on', async () => {
    const logged: string[] = [];
    const bus = new InProcessBus({
      retry: fastRetry,
      logger: { ...silentLogger, error: (_fields, line) => void logged.push(line) },
    });
    let flakyCalls = 0;
    const handled: string[] = [];
    const deadLettered: string[] = [];
    await bus.subscribe({
      groupId: 'projections',
      topics: ['content.likes'],
      handler: async (m) => {
        if (m.streamId === 'like-poison') throw new Error('cannot apply');
        if (m.streamId === 'like-flaky' && ++flakyCalls < 3) throw new Error('transient');
        handled.push(m.id);
      },
    });
    await bus.subscribe({
      groupId: 'dlq-reader',
      topics: ['content.likes.dlq'],
      handler: async (m) => void deadLettered.push(m.id),
    });
    await bus.publish([
      { topic: 'content.likes', message: message('like-flaky', 0) },
      { topic: 'content.likes', message: message('like-poison', 0) },
      { topic: 'content.likes', message: message('like-poison', 1) },
    ]);
    await bus.idle();
    expect(handled).toEqual(['like-flaky:0']);
    expect(flakyCalls).toBe(3);
    expect(bus.deadLetters.map((d) => [d.message.id, d.attempts, d.error])).toEqual([
      ['like-poison:0', 3, 'cannot apply'],
      ['like-poison:1', 3, 'cannot apply'],
    ]);
    expect(deadLettered).toEqual(['like-poison:0', 'like-poison:1']);
    expect(logged[0]).toMatch(
      /^dead-lettered PostLiked like-poison:0 \(like-poison@0\) of content\.likes for group projections to content\.likes\.dlq after 3 failed attempts: cannot apply$/,
    );
    await bus.close();
  });

  it('retries a failure its subscription calls transient past maxAttempts, in order, and never dead-letters it', async () => {
    const bus = new InProcessBus({ retry: fastRetry, logger: silentLogger });
    class Unreachable extends Error {}
    let outage = 10; // failed calls before the store is back: more than maxAttempts (3)
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'projections',
      topics: ['content.likes'],
      isTransient: (error) => error instanceof Unreachable,
      handler: async (m) => {
        if (m.streamId === 'like-poison') throw new Error('cannot apply');
        if (outage > 0) {
          outage--;
          throw new Unreachable('store unreachable');
        }
        handled.push(m.id);
      },
    });
    await bus.publish([
      { topic: 'content.likes', message: message('like-1', 0) },
      { topic: 'content.likes', message: message('like-1', 1) },
      { topic: 'content.likes', message: message('like-poison', 0) },
    ]);
    await bus.idle();
    expect(handled).toEqual(['like-1:0', 'like-1:1']);
    expect(outage).toBe(0);
    // Other failures still count, and a transient one does not hide them.
    expect(bus.deadLetters.map((d) => [d.message.id, d.attempts])).toEqual([['like-poison:0', 3]]);
    await bus.close();
  });

  it('holds publish back while a consumer is more than the high-water mark behind', async () => {
    const bus = new InProcessBus({ lanes: 1, highWaterMark: 5, logger: silentLogger });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handled = 0;
    await bus.subscribe({
      groupId: 'slow',
      topics: ['t'],
      handler: async () => {
        await gate;
        handled++;
      },
    });
    let published = false;
    const publishing = bus
      .publish(Array.from({ length: 10 }, (_, i) => ({ topic: 't', message: message(`s-${i}`, 0) })))
      .then(() => {
        published = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(published).toBe(false);
    release();
    await publishing;
    expect(handled).toBeGreaterThanOrEqual(4);
    await bus.idle();
    expect(handled).toBe(10);
    await bus.close();
  });

  it('lets the handler call in progress finish on stop, then delivers nothing more', async () => {
    const bus = new InProcessBus({ lanes: 1, logger: silentLogger });
    const done: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async (m) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        done.push(m.id);
      },
    });
    await bus.publish([
      { topic: 't', message: message('s', 0) },
      { topic: 't', message: message('s', 1) },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await bus.stop();
    expect(done).toEqual(['s:0']);
    await bus.close();
    await expect(bus.publish([{ topic: 't', message: message('s', 2) }])).rejects.toThrow(/closed/);
  });
});
