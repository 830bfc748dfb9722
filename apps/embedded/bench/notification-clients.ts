/**
 * The clients of the notifications benchmark, run in their own process (forked by notifications.bench.ts) so
 * that neither their event loop nor their memory is the server's: they hold the live streams open and send
 * likes at a steady rate, timing each from its request to the `notification` event its post's author's stream
 * receives. Commands arrive over IPC, one at a time; each is answered with one message.
 *
 * Both go through node:http, the streams parsed as they arrive and nothing of them kept: 10,000 streams read
 * through fetch (a web stream each, every event kept, as the tests' client does) made this process stop for
 * garbage collection for up to 370 ms during a run, which the latencies it measured then included.
 */
import { Agent, get, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createParser } from 'eventsource-parser';

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

/** the open streams, each closed by its function */
const streams: (() => void)[] = [];
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

/**
 * Opens the stream of `token` on a connection of its own; resolves once its first unread count arrived (it is
 * then listening) with the function that closes it, or with undefined when the stream was refused.
 */
function openStream(url: string, token: string): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    const req = get(
      `${url}/api/v1/notifications/stream`,
      { agent: false, headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          resolve(undefined);
          return;
        }
        let listening = false;
        const parser = createParser({
          onEvent: (event) => {
            if (event.event === 'notification') heard(event.data);
            else if (event.event === 'unread-count' && !listening) {
              listening = true;
              resolve(() => req.destroy());
            }
          },
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.feed(chunk));
        res.on('error', () => {});
      },
    );
    // A connection that fails counts as a stream refused (once open, its end is this side's doing).
    req.on('error', () => resolve(undefined));
  });
}

async function open(command: Extract<ClientCommand, { kind: 'open' }>): Promise<ClientAnswer> {
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < command.tokens.length) {
      const close = await openStream(command.url, command.tokens[next++] as string);
      if (close) streams.push(close);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  return { kind: 'opened', open: streams.length, failed };
}

/** the likes' connections, kept alive between them */
const likes = new Agent({ keepAlive: true });

/** PUT `/posts/:id/like` as `token`: the status it was answered. */
function like(url: string, postId: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/posts/${postId}/like`,
      { method: 'PUT', agent: likes, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function likeRun(command: Extract<ClientCommand, { kind: 'likes' }>): Promise<ClientAnswer> {
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
      like(command.url, postId, token).then(
        (status) => {
          if (status !== 204) failed++;
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
      return likeRun(command);
    case 'close':
      for (const close of streams.splice(0)) close();
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
