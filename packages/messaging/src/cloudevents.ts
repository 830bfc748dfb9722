import { definitionOf } from '@gram/events';
import type { EventMessage } from './messages.js';

/**
 * The CloudEvents Kafka protocol binding (v1.0), binary content mode: the event's attributes travel as `ce_*`
 * headers, the payload is the message value as JSON, the message key is the stream id. This module is the one
 * place that spells the wire format; docs/asyncapi.yaml documents the same headers (a unit test keeps the two
 * in step).
 */
export const cloudEventHeaders = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  dataschema: 'ce_dataschema',
  contentType: 'content-type',
  // Extension attributes (CloudEvents requires lowercase a-z0-9 names, at most 20 characters).
  eventversion: 'ce_eventversion',
  streamid: 'ce_streamid',
  streamrevision: 'ce_streamrevision',
  position: 'ce_position',
} as const;

export const specVersion = '1.0';
export const jsonContentType = 'application/json';

/** A Kafka record as kafkajs sends it. */
export interface KafkaRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** ce_source: the service that owns the event's aggregate, e.g. `/gram/content`. */
export function sourceOf(type: string): string {
  const service = definitionOf(type)?.aggregate.service;
  return service ? `/gram/${service}` : '/gram';
}

/** ce_dataschema: the `$id` of the payload's JSON Schema in packages/events/schemas. */
export function dataSchemaOf(type: string, version: number): string {
  return `urn:gram:event:${type}:v${version}`;
}

export function toKafkaRecord(message: EventMessage): KafkaRecord {
  const h = cloudEventHeaders;
  return {
    key: message.streamId,
    value: JSON.stringify(message.data),
    headers: {
      [h.specversion]: specVersion,
      [h.id]: message.id,
      [h.source]: sourceOf(message.type),
      [h.type]: message.type,
      [h.time]: message.time,
      [h.dataschema]: dataSchemaOf(message.type, message.version),
      [h.contentType]: jsonContentType,
      [h.eventversion]: String(message.version),
      [h.streamid]: message.streamId,
      [h.streamrevision]: String(message.streamRevision),
      [h.position]: String(message.position),
    },
  };
}

/** A message that is not a CloudEvent of ours: retrying cannot help, it goes to the dead-letter topic. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

function headerText(headers: Record<string, HeaderValue>, name: string): string {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) throw new MalformedMessageError(`header ${name} is missing`);
  return typeof value === 'string' ? value : value.toString('utf8');
}

function headerInteger(headers: Record<string, HeaderValue>, name: string): number {
  const text = headerText(headers, name);
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new MalformedMessageError(`header ${name} is not a non-negative integer: ${JSON.stringify(text)}`);
  }
  return value;
}

/** Reads a message as the relay wrote it; throws MalformedMessageError for anything else. */
export function fromKafkaRecord(record: {
  value: Buffer | string | null;
  headers?: Record<string, HeaderValue>;
}): EventMessage {
  const headers = record.headers ?? {};
  const h = cloudEventHeaders;
  const spec = headerText(headers, h.specversion);
  if (spec !== specVersion) throw new MalformedMessageError(`unsupported CloudEvents specversion ${spec}`);
  const contentType = headerText(headers, h.contentType);
  if (!contentType.startsWith(jsonContentType)) {
    throw new MalformedMessageError(`unsupported content-type ${contentType}`);
  }
  if (record.value === null) throw new MalformedMessageError('message has no value');
  let data: unknown;
  try {
    data = JSON.parse(typeof record.value === 'string' ? record.value : record.value.toString('utf8'));
  } catch (error) {
    throw new MalformedMessageError(`value is not JSON: ${(error as Error).message}`);
  }
  return {
    id: headerText(headers, h.id),
    type: headerText(headers, h.type),
    version: headerInteger(headers, h.eventversion),
    streamId: headerText(headers, h.streamid),
    streamRevision: headerInteger(headers, h.streamrevision),
    position: headerInteger(headers, h.position),
    time: headerText(headers, h.time),
    data,
  };
}
