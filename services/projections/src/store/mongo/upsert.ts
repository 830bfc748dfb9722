import { type Collection, type Document, MongoServerError, type UpdateFilter } from 'mongodb';

/**
 * An upsert by `_id`, tried again when it collides with the insert of a concurrent one: two upserts of a
 * document that does not exist yet may both find nothing and both insert, and the second then fails on the
 * unique `_id` (E11000) though the document is there to update. MongoDB retries that case itself (since 4.2);
 * FerretDB 1.24 does not (a read, then a write: handler/msg_update.go, common/update.go), so it is done here.
 */
export async function upsertById(
  collection: Collection<Document>,
  id: string,
  update: UpdateFilter<Document>,
): Promise<void> {
  try {
    await collection.updateOne({ _id: id as never }, update, { upsert: true });
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
    await collection.updateOne({ _id: id as never }, update, { upsert: true });
  }
}
