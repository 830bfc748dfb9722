import { join } from 'node:path';
import { diskMediaStorage } from './disk-storage.js';
import type { MediaStorage } from './media-storage.js';
import { s3MediaStorage } from './s3-storage.js';

/**
 * S3_ENDPOINT (with S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET default `gram-media`, S3_REGION) selects the
 * object store of the distributed mode; without it, files go under `<DATA_DIR>/media` (embedded mode).
 */
export async function openMediaStorageFromEnv(env: NodeJS.ProcessEnv): Promise<MediaStorage> {
  if (env.S3_ENDPOINT) {
    const accessKeyId = env.S3_ACCESS_KEY;
    const secretAccessKey = env.S3_SECRET_KEY;
    if (!accessKeyId || !secretAccessKey)
      throw new Error('S3_ENDPOINT is set: set S3_ACCESS_KEY and S3_SECRET_KEY too');
    return s3MediaStorage({
      endpoint: env.S3_ENDPOINT,
      bucket: env.S3_BUCKET ?? 'gram-media',
      accessKeyId,
      secretAccessKey,
      ...(env.S3_REGION ? { region: env.S3_REGION } : {}),
    });
  }
  return diskMediaStorage(join(env.DATA_DIR ?? './data', 'media'));
}
