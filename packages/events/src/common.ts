import { type TSchema, Type } from '@sinclair/typebox';

/** UUIDv7 (or any UUID: ids issued before v7 stay readable). */
export const Id = (description?: string) =>
  Type.String({
    format: 'uuid',
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    ...(description ? { description } : {}),
  });

export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

export const HttpUrl = (description?: string) =>
  Type.String({
    format: 'uri',
    maxLength: 2048,
    pattern: '^https?://',
    ...(description ? { description } : {}),
  });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
