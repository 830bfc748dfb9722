/**
 * The clients of the notifications benchmark, run in their own process (forked by notifications.bench.ts) so
 * that neither their event loop nor their memory is the server's: they hold the live streams open and send
 * likes at a steady rate, timing each from its request to the `notification` event its post's author's stream
 * receives. Commands arrive over IPC, one at a time; each is answered with one message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openSse, type SseClient } from '../../../services/notifications/test/sse-client.js';

export type ClientCommand =
  /** opens a stream for each token, `concurrency` at a time, each counted once its first count arrived */
  | { kind: 'open'; url: string; tokens: string[]; concurrency: number }
  /** likes[i] at start + i / rate seconds; waits `graceMs` at most for the events of the last ones */
  | { kind: 'likes'; url: string; likes: { postId: string; token: string }[]; rate: number; graceMs: number }
  | { kind: 'close' };

export type ClientAnswer =
  | { kind: 'opened'; open: number; failed: number }
  | {
      kind: 'liked';
      sent: number;
      /** likes whose notification reached the author's stream */
      heard: number;
      /** likes answered other than 204, or not at all */
      failed: number;
      /** the rate the likes were actually sent at */
      likesPerSec: number;
      /** request sent to notification received, one per heard like */
      latenciesMs: number[];
    }
  | { kind: 'closed' };

const streams: SseClient[] = [];
/** like sent, by post: each like of a run is of a post of its own, so its notification names it */
const sentAt = new Map<string, number>();
const latencies: number[] = [];

function heard(data: string): void {
  const postId = (JSON.parse(data) as { post?: { id: string } }).post?.id;
  const at = postId === undefined ? undefined : sentAt.get(postId);
  if (postId === undefined || at === undefined) return;
  sentAt.delete(postId);
  latencies.push(performance.now() - at);
}

async function open(command: Extract<ClientCommand, { kind: 'open' }>): Promise<ClientAnswer> {
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < command.tokens.length) {
      const token = command.tokens[next++] as string;
      const sse = await openSse(
        `${command.url}/api/v1/notifications/stream`,
        { authorization: `Bearer ${token}` },
        (event) => {
          if (event.event === 'notification') heard(event.data);
        },
      );
      if (sse.response.status !== 200) {
        failed++;
        continue;
      }
      await sse.next('unread-count');
      streams.push(sse);
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  return { kind: 'opened', open: streams.length, failed };
}

async function like(command: Extract<ClientCommand, { kind: 'likes' }>): Promise<ClientAnswer> {
  latencies.length = 0;
  sentAt.clear();
  let failed = 0;
  const answered: Promise<void>[] = [];
  const start = performance.now();
  for (const [i, { postId, token }] of command.likes.entries()) {
    const wait = start + (i * 1000) / command.rate - performance.now();
    if (wait >= 1) await sleep(wait);
    sentAt.set(postId, performance.now());
    answered.push(
      fetch(`${command.url}/api/v1/posts/${postId}/like`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
      }).then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status !== 204) failed++;
        },
        () => {
          failed++;
        },
      ),
    );
  }
  const sendingMs = performance.now() - start;
  await Promise.all(answered);
  const deadline = performance.now() + command.graceMs;
  while (latencies.length + failed < command.likes.length && performance.now() < deadline) await sleep(20);
  return {
    kind: 'liked',
    sent: command.likes.length,
    heard: latencies.length,
    failed,
    likesPerSec: (command.likes.length * 1000) / Math.max(1, sendingMs),
    latenciesMs: [...latencies],
  };
}

async function run(command: ClientCommand): Promise<ClientAnswer> {
  switch (command.kind) {
    case 'open':
      return open(command);
    case 'likes':
      return like(command);
    case 'close':
      for (const sse of streams.splice(0)) sse.close();
      return { kind: 'closed' };
  }
}

process.on('message', (command: ClientCommand) => {
  run(command).then(
    (answer) => process.send?.(answer),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
