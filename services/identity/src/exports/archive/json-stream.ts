import { Readable } from 'node:stream';

/**
 * Text is handed on in chunks of about this size: one chunk per item would push ten thousand tiny writes
 * through the ZIP's deflate for a large account, one string for the whole list would hold it all in memory.
 */
const chunkSize = 64 * 1024;

/** A JSON array as a byte stream, one item per line, each item read only when the stream is read that far. */
export function jsonArrayStream(items: AsyncIterable<unknown>): Readable {
  return textStream(arrayText(items));
}

/** JSON Lines (one JSON value per line) as a byte stream, read as lazily as jsonArrayStream. */
export function jsonLinesStream(items: AsyncIterable<unknown>): Readable {
  return textStream(linesText(items));
}

/** One JSON document, indented for a person to read. */
export function jsonDocumentStream(value: unknown): Readable {
  return Readable.from([Buffer.from(`${JSON.stringify(value, null, 2)}\n`)], { objectMode: false });
}

async function* arrayText(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const item of items) {
    yield `${first ? '\n' : ',\n'}  ${JSON.stringify(item)}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

async function* linesText(items: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const item of items) yield `${JSON.stringify(item)}\n`;
}

function textStream(texts: AsyncIterable<string>): Readable {
  return Readable.from(inChunks(texts), { objectMode: false });
}

async function* inChunks(texts: AsyncIterable<string>): AsyncGenerator<Buffer> {
  let pending: string[] = [];
  let length = 0;
  for await (const text of texts) {
    pending.push(text);
    length += text.length;
    if (length >= chunkSize) {
      yield Buffer.from(pending.join(''));
      pending = [];
      length = 0;
    }
  }
  if (pending.length > 0) yield Buffer.from(pending.join(''));
}
