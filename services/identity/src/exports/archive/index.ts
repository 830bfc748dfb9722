// An account's archive ("download your data", API.md "Your data"): what the export jobs write and store.
export { type ArchiveSources, type Follower, writeExportArchive } from './archive.js';
export { AccountNotFound } from './exported-items.js';
export { httpFollowersOf, httpMediaFile } from './http-sources.js';
