// What the vitest global setup hands to tests through `provide`/`inject`. A key is absent when its server was
// not started (left out of TEST_SERVERS, or unavailable outside CI). Test files read them with `injectServer`
// from '@gram/test-servers/inject', which also brings this augmentation into their compilation.
// Importing vitest's types makes TypeScript resolve the module this augments; without it tsc reports it missing.
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://host:port` */
    redisUrl?: string;
    /** Bootstrap brokers, `host:port` each. */
    kafkaBrokers?: string[];
    /** `mongodb://host:port/`, no database: each test picks its own. */
    mongoUrl?: string;
    /** `http://host:port` of an S3-compatible store (MinIO), path-style */
    s3Url?: string;
    s3Credentials?: { accessKey: string; secretKey: string };
  }
}
