import {
  type AggregateName,
  aggregates,
  catalogue,
  internalTopicPrefix,
  jsonSchemaFiles,
  streamIds,
} from '@gram/events';
import { cloudEventHeaders, dataSchemaOf, jsonContentType, sourceOf, specVersion } from '@gram/messaging';
import { stringify } from 'yaml';
import { defaultTopicPartitions, eventTopicRetentionMs } from './topics.js';

/**
 * docs/asyncapi.yaml, generated from the event catalogue (packages/events) and the wire format
 * (packages/messaging/src/cloudevents.ts): `pnpm --filter @gram/relay asyncapi` writes it, and a unit test fails
 * when the committed file and this function disagree.
 *
 * Versioning of the document: adding a topic, an event type or an optional payload field is a minor change;
 * a new event version (an incompatible payload) is published under the same type with a higher
 * `ce_eventversion`, and old stored events are upcast to it, so a topic carries one schema per type at a time.
 */
export const asyncApiVersion = '1.0.0';

const uuidPattern = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const kafkaBindingVersion = '0.5.0';

const overview = [
  `The public events of gram, a photo-sharing backend, as its relay publishes them from the event store. The event store is the source of truth; these topics are its public projection and a contract as stable as the HTTP API.`,
  `**Format.** Every message is a [CloudEvent](https://github.com/cloudevents/spec) in the Kafka protocol binding's *binary* mode: the event's attributes are Kafka headers (\`ce_*\`, UTF-8 strings), the value is the payload as UTF-8 JSON (\`content-type: application/json\`), and the key is the event's stream id. Extension attributes: \`ce_eventversion\` (the payload's schema version), \`ce_streamid\` (the aggregate's stream, equal to the key), \`ce_streamrevision\` (the event's revision in its stream, from 0) and \`ce_position\` (its position in the event store's global log). \`ce_dataschema\` names the payload's JSON Schema (its \`$id\`).`,
  `**Personal data.** Payload fields marked \`x-personal\` (a profile's userName, name, bio and picture; a post's caption; a comment's or reply's text) are published as they are stored: encrypted under the data key of the account the field's \`x-personal.owner\` names (\`pd1.\` then base64url of IV, AES-256-GCM ciphertext and tag). Consumers outside the project hold no keys and treat them as opaque; events stored before encryption existed and not yet migrated carry the plaintext. An account's deletion destroys its key: from then on its personal fields cannot be decrypted anywhere, in the topics or their copies. Its public \`UserDeleted\` tells every consumer to drop what it derived from the account.`,
  `**Payload versions.** A payload is always published at the catalogue's current version of its type, whatever version it was stored at (older stored events are upcast before publishing), so each topic carries one schema per event type. An incompatible change raises \`ce_eventversion\` and is announced in this document first.`,
  `**Ordering.** The key is the stream id and the partition is chosen by Kafka's default partitioner (murmur2 of the key, as in the Java client), so all events of one stream are in one partition, in stream order (\`ce_streamrevision\` 0, 1, 2, ...). There is no order across streams or across topics: a \`PostLiked\` may be read before the \`PostCreated\` of its post. Order across the whole log is given by \`ce_position\`.`,
  `**Delivery: at least once.** The relay never skips an event, but after a crash or a fail-over it re-publishes the tail it had not checkpointed, so a consumer can see an event twice. Deduplicate on \`ce_id\`, or keep per stream the highest \`ce_streamrevision\` applied and ignore anything not above it. The relay writes in Kafka transactions: consume with \`isolation.level=read_committed\` to never see the messages of an aborted attempt (with read_uncommitted you see them, as duplicates).`,
  `**Privacy.** Credentials, sessions, email addresses and phone numbers never appear on any topic.`,
  `**Internal topics.** Topics whose name starts with \`${internalTopicPrefix}\` carry what only the project's own workers may read (who muted whom, which is private to the one who did it). They are documented here for the project's workers and are not for consumers: never subscribe to them, and never grant them to an analytics consumer.`,
  `**Retention.** Topics keep ${eventTopicRetentionMs / 86_400_000} days (\`retention.ms\` ${eventTopicRetentionMs}, \`cleanup.policy=delete\`). They are not an archive: a consumer that is further behind, or a new one that needs the whole history, asks for a replay from the event store instead of relying on a longer retention.`,
].join('\n\n');

/** `identity.users` → `identityUsers` */
function channelIdOf(topic: string): string {
  return topic.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase());
}

/** The stream ids of an aggregate as a regular expression, from its `streamIds` function. */
function streamIdPattern(aggregate: AggregateName): string {
  const build = streamIds[aggregate] as (...ids: string[]) => string;
  const placeholder = '{uuid}';
  const template = build(...Array.from({ length: build.length }, () => placeholder));
  return `^${template
    .split(placeholder)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(uuidPattern)}$`;
}

/** The stream ids of an aggregate as people write them, e.g. `like-<uuid>_<uuid>`. */
function streamIdTemplate(aggregate: AggregateName): string {
  const build = streamIds[aggregate] as (...ids: string[]) => string;
  return build(...Array.from({ length: build.length }, () => '<uuid>'));
}

function headersOf(type: string, version: number, aggregate: AggregateName): Record<string, unknown> {
  const h = cloudEventHeaders;
  const decimal = { type: 'string', pattern: '^[0-9]+$' };
  return {
    type: 'object',
    description: 'CloudEvents attributes (Kafka binding, binary mode); every value is a UTF-8 string.',
    required: Object.values(h),
    properties: {
      [h.specversion]: {
        type: 'string',
        const: specVersion,
        description: 'CloudEvents specification version.',
      },
      [h.id]: {
        type: 'string',
        format: 'uuid',
        description:
          'The event id, unique in the event store and the same on every redelivery: deduplicate on it.',
      },
      [h.source]: {
        type: 'string',
        const: sourceOf(type),
        description: 'The service that owns the aggregate.',
      },
      [h.type]: { type: 'string', const: type, description: 'The event type.' },
      [h.time]: {
        type: 'string',
        format: 'date-time',
        description: 'When the event store recorded the event (UTC).',
      },
      [h.dataschema]: {
        type: 'string',
        const: dataSchemaOf(type, version),
        description: "The payload's JSON Schema, by its `$id`.",
      },
      [h.contentType]: { type: 'string', const: jsonContentType, description: 'The value is JSON.' },
      [h.eventversion]: {
        ...decimal,
        const: String(version),
        description: "The payload's schema version (decimal).",
      },
      [h.streamid]: {
        type: 'string',
        pattern: streamIdPattern(aggregate),
        description: "The aggregate's stream id; equal to the message key.",
      },
      [h.streamrevision]: {
        ...decimal,
        description:
          "The event's revision in its stream, from 0 (decimal); increases by one per event of the stream.",
      },
      [h.position]: {
        ...decimal,
        description:
          "The event's position in the event store's global log (decimal); increases along the log.",
      },
    },
  };
}

/** The AsyncAPI 3.0 document of every public topic and every internal one (marked so), as a plain object. */
export function asyncApiDocument(): Record<string, unknown> {
  const schemaFiles = jsonSchemaFiles();
  // Public and internal events: each travels on its aggregate's topic (internal ones marked as such below).
  const publicEvents = catalogue.filter((d) => d.visibility !== 'private');
  const aggregateNames = (Object.keys(aggregates) as AggregateName[]).filter((name) =>
    publicEvents.some((d) => d.aggregate === aggregates[name]),
  );

  const messages: Record<string, unknown> = {};
  for (const definition of publicEvents) {
    const aggregate = aggregateNames.find(
      (name) => aggregates[name] === definition.aggregate,
    ) as AggregateName;
    const { $schema: _draft, ...schema } = schemaFiles[
      `${definition.type}.v${definition.version}.schema.json`
    ] as Record<string, unknown>;
    messages[definition.type] = {
      name: definition.type,
      title: `${definition.type} v${definition.version}`,
      summary: definition.description,
      contentType: jsonContentType,
      headers: headersOf(definition.type, definition.version, aggregate),
      payload: schema,
      bindings: {
        kafka: {
          key: {
            type: 'string',
            pattern: streamIdPattern(aggregate),
            description: "The stream id of the event's aggregate.",
          },
          bindingVersion: kafkaBindingVersion,
        },
      },
    };
  }

  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  // One channel per topic: a topic may carry several aggregates (who muted and who blocked whom share one).
  const topics = [...new Set(aggregateNames.map((name) => aggregates[name].topic as string))];
  for (const topic of topics) {
    const names = aggregateNames.filter((name) => aggregates[name].topic === topic);
    const owners = [...new Set(names.map((name) => aggregates[name].service))];
    const channelId = channelIdOf(topic);
    const types = publicEvents
      .filter((d) => names.some((name) => aggregates[name] === d.aggregate))
      .map((d) => d.type);
    const internal = topic.startsWith(internalTopicPrefix);
    channels[channelId] = {
      address: topic,
      title: topic,
      summary: `${internal ? 'INTERNAL, not for consumers. ' : ''}${names.map((name) => aggregates[name].description).join(' ')} Events: ${types.join(', ')}.`,
      description: [
        ...(internal
          ? [
              `**Internal: not for consumers.** Read only by the project's own workers (the projections); it carries what is private to one account. Analytics and every other consumer must never subscribe to it.`,
            ]
          : []),
        `Owned by the ${owners.join(' and ')} service${owners.length > 1 ? 's' : ''}. ${names
          .map((name) => `One stream per ${name}: \`${streamIdTemplate(name)}\`.`)
          .join(' ')}`,
        `**Key**: the stream id. **Ordering**: per key (stream), in stream revision order; none across keys.`,
        `**Delivery**: at least once; deduplicate on \`ce_id\` or on (\`ce_streamid\`, \`ce_streamrevision\`).`,
        `**Retention advice**: ${eventTopicRetentionMs / 86_400_000} days; replay older history from the event store.`,
      ].join('\n\n'),
      tags: [...owners.map((name) => ({ name })), ...(internal ? [{ name: 'internal' }] : [])],
      messages: Object.fromEntries(types.map((type) => [type, { $ref: `#/components/messages/${type}` }])),
      bindings: {
        kafka: {
          topic,
          partitions: defaultTopicPartitions,
          topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': eventTopicRetentionMs },
          bindingVersion: kafkaBindingVersion,
        },
      },
    };
    operations[`publish${channelId[0]?.toUpperCase()}${channelId.slice(1)}`] = {
      action: 'send',
      title: `The relay publishes ${topic}`,
      summary: `Each ${internal ? 'internal' : 'public'} event of a ${names.join(' or ')} stream, in stream order, keyed by stream id, at least once.`,
      channel: { $ref: `#/channels/${channelId}` },
      messages: types.map((type) => ({ $ref: `#/channels/${channelId}/messages/${type}` })),
    };
  }

  return {
    asyncapi: '3.0.0',
    id: 'urn:gram:events',
    info: {
      title: 'gram events',
      version: asyncApiVersion,
      description: overview,
    },
    defaultContentType: jsonContentType,
    servers: {
      kafka: {
        host: 'localhost:9092',
        protocol: 'kafka',
        description:
          "A deployment's Kafka cluster (its services' KAFKA_BROKERS); `docker compose up` exposes it on localhost:9092.",
      },
    },
    channels,
    operations,
    components: { messages },
  };
}

export const asyncApiHeader =
  '# Generated from packages/events by `pnpm --filter @gram/relay asyncapi`: do not edit by hand.\n' +
  '# A unit test (services/relay/src/asyncapi.unit.test.ts) fails when this file and the catalogue disagree.\n';

/** The document as the YAML text committed in docs/asyncapi.yaml. */
export function asyncApiYaml(): string {
  return (
    asyncApiHeader +
    stringify(asyncApiDocument(), { aliasDuplicateObjects: false, blockQuote: 'literal', lineWidth: 0 })
  );
}
