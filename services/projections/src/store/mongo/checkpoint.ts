import type { Collection, Document } from 'mongodb';
import type { CheckpointStore } from '../document-store.js';
import { upsertById } from './upsert.js';

/** The checkpoint of one generation: a document whose position only grows (`$max`), so a late write is harmless. */
export class MongoCheckpoint implements CheckpointStore {
  constructor(private readonly collection: Collection<Document>) {}

  async position(): Promise<number> {
    const doc = await this.collection.findOne({ _id: 'projections' as never });
    return typeof doc?.position === 'number' ? doc.position : 0;
  }

  async advance(position: number): Promise<void> {
    await upsertById(this.collection, 'projections', { $max: { position } });
  }
}
