export { buildMediaApp, type MediaAppDeps, type MediaRoutesOptions, mediaRoutes } from './app.js';
export { type AccountMediaErasureDeps, eraseAccountMedia } from './erasure/account-media.js';
export { diskMediaStorage } from './storage/disk-storage.js';
export {
  immutableCacheControl,
  type MediaStorage,
  type StoredFile,
} from './storage/media-storage.js';
export { type S3MediaStorageOptions, s3MediaStorage } from './storage/s3-storage.js';
export { openMediaStorageFromEnv } from './storage/storage-from-env.js';
export {
  decideMedia,
  evolveMedia,
  initialMediaState,
  type MediaCommand,
  type MediaError,
  type MediaErrorCode,
  type MediaEvent,
  type MediaState,
  mediaDecider,
} from './uploads/media.js';
export { mediaView } from './uploads/media-view.js';
