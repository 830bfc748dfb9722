import { describe, expect, it } from 'vitest';
import { fromKafkaRecord, MalformedMessageError, toKafkaRecord } from './cloudevents.js';
import type { EventMessage } from './messages.js';

const liked: EventMessage = {
  id: '01890a5d-ac96-774b-bcce-b302099a8059',
  type: 'PostLiked',
  version: 1,
  streamId: 'like-01890a5d-ac96-774b-bcce-b302099a8058_01890a5d-ac96-774b-bcce-b302099a8057',
  streamRevision: 2,
  position: 1234,
  time: '2026-11-24T10:00:00.000Z',
  data: {
    postId: '01890a5d-ac96-774b-bcce-b302099a8058',
    userId: '01890a5d-ac96-774b-bcce-b302099a8057',
    postAuthorId: '01890a5d-ac96-774b-bcce-b302099a8057',
    likedAt: '2026-11-24T10:00:00.000Z',
  },
};

describe('CloudEvents Kafka binding (binary mode)', () => {
  it('puts the attributes in ce_* headers, the payload as JSON value and the stream id as key', () => {
    const record = toKafkaRecord(liked);
    expect(record.key).toBe(liked.streamId);
    expect(JSON.parse(record.value)).toEqual(liked.data);
    expect(record.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: liked.id,
      ce_source: '/gram/content',
      ce_type: 'PostLiked',
      ce_time: '2026-11-24T10:00:00.000Z',
      ce_dataschema: 'urn:gram:event:PostLiked:v1',
      'content-type': 'application/json',
      ce_eventversion: '1',
      ce_streamid: liked.streamId,
      ce_streamrevision: '2',
      ce_position: '1234',
    });
  });

  it('reads back what it wrote, headers as bytes as Kafka delivers them', () => {
    const record = toKafkaRecord(liked);
    const delivered = {
      value: Buffer.from(record.value),
      headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)])),
    };
    expect(fromKafkaRecord(delivered)).toEqual(liked);
  });

  it('refuses a message that is not one of our CloudEvents', () => {
    const { headers, value } = toKafkaRecord(liked);
    const without = (name: string) => ({ value, headers: { ...headers, [name]: undefined } });
    expect(() => fromKafkaRecord(without('ce_id'))).toThrow(MalformedMessageError);
    expect(() => fromKafkaRecord(without('ce_streamrevision'))).toThrow(MalformedMessageError);
    expect(() => fromKafkaRecord({ value, headers: { ...headers, ce_specversion: '0.3' } })).toThrow(
      MalformedMessageError,
    );
    expect(() => fromKafkaRecord({ value, headers: { ...headers, ce_position: '-1' } })).toThrow(
      MalformedMessageError,
    );
    expect(() => fromKafkaRecord({ value: '{not json', headers })).toThrow(MalformedMessageError);
    expect(() => fromKafkaRecord({ value: null, headers })).toThrow(MalformedMessageError);
  });
});
