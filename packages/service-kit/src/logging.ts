import { createRequire } from 'node:module';
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

// pino loads a transport's target in a worker thread, resolving its name from pino's or the caller's
// folder (fastify's, for a service's log), where pnpm's layout has no pino-pretty: it is this package's.
const prettyTarget = createRequire(import.meta.url).resolve('pino-pretty');

/**
 * The options of a process's log (every service's main, the embedded mode's): pino's JSON lines, one per
 * entry, where a program reads the output (a file, a pipe, a container's log collector), and pino-pretty's
 * entries, as fastify's docs configure it for development, on a terminal, where a person does. Whether
 * standard output is a terminal decides, so there is nothing to set; a container's output is none unless
 * it is given one (`docker run -t`).
 */
export function prettyOnTerminal(
  options: LoggerOptions,
  stdout: { isTTY?: boolean } = process.stdout,
): LoggerOptions {
  if (!stdout.isTTY) return options;
  return {
    ...options,
    transport: {
      target: prettyTarget,
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    },
  };
}

/**
 * Query parameters that are credentials: an export's download link carries its key as `?key=` (a link a browser
 * follows cannot send a header), and a request's log entry must not hand the link to whoever reads the logs.
 */
const secretQueryParameters = /([?&]key=)[^&#]*/g;

/** A request as its log entries show it: fastify's own serializer's fields, the URL without its secrets. */
export function requestWithoutSecrets(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.replace(secretQueryParameters, '$1[redacted]'),
    version: [request.headers?.['accept-version']].flat()[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
