import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** A client of a text/event-stream over real HTTP: what it received, in order, and ways to wait for more. */
export interface SseClient {
  response: Response;
  events: EventSourceMessage[];
  comments: string[];
  /** the next event not yet taken (of `type` when given; others before it are passed over) */
  next(type?: string): Promise<EventSourceMessage>;
  /** resolves once a comment equal to `text` has arrived */
  comment(text: string): Promise<void>;
  /** resolves when the server has ended the response */
  ended: Promise<void>;
  close(): void;
}

/**
 * Opens `url` as an EventSource would (with headers of one's choosing: a bearer token, `Last-Event-ID`).
 * `onEvent` hears each event as it is parsed (the notifications benchmark times them).
 */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
  onEvent?: (event: EventSourceMessage) => void,
): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  let wake = () => {};
  let changed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const notify = () => {
    const woken = wake;
    changed = new Promise<void>((resolve) => {
      wake = resolve;
    });
    woken();
  };
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      onEvent?.(event);
      notify();
    },
    onComment: (comment) => {
      comments.push(comment.trim());
      notify();
    },
  });
  let done = false;
  const ended = (async () => {
    if (response.status === 200 && response.body) {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
      } catch {
        // closed by this side
      }
    }
    done = true;
    notify();
  })();
  let taken = 0;
  return {
    response,
    events,
    comments,
    async next(type) {
      for (;;) {
        while (taken < events.length) {
          const event = events[taken++] as EventSourceMessage;
          if (type === undefined || event.event === type) return event;
        }
        if (done) throw new Error(`the stream ended before an event${type ? ` ${type}` : ''}`);
        await changed;
      }
    },
    async comment(text) {
      while (!comments.includes(text)) {
        if (done) throw new Error(`the stream ended before the comment ${text}`);
        await changed;
      }
    },
    ended,
    close: () => controller.abort(),
  };
}
