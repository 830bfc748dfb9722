import { definitionOf } from './catalogue.js';

/**
 * An upcaster turns a payload stored at version N into version N + 1. Stored events are never
 * rewritten: readers upcast on the way in, so a stream written years ago reads as today's schema.
 */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** upcasters[type][n] upcasts version n to n + 1 */
const upcasters: Record<string, Record<number, Upcaster>> = {
  PostCreated: {
    // v1 (the first API) named the photo `imageUrl` and left `caption` out when none was given.
    1: ({ imageUrl, caption, ...rest }) => ({ ...rest, photo: imageUrl, caption: caption ?? '' }),
  },
};

export class UnknownEventVersionError extends Error {
  override readonly name = 'UnknownEventVersionError';
}

/** The payload of `type` stored at `version`, upcast to the catalogue's current version. */
export function upcast(type: string, version: number, data: unknown): { version: number; data: unknown } {
  const definition = definitionOf(type);
  if (!definition) return { version, data };
  if (version > definition.version) {
    // A newer writer than this reader: reading it as an older shape could silently drop meaning.
    throw new UnknownEventVersionError(
      `${type} v${version} is newer than this code (v${definition.version})`,
    );
  }
  let current = data as Record<string, unknown>;
  for (let v = version; v < definition.version; v++) {
    const step = upcasters[type]?.[v];
    if (!step) throw new UnknownEventVersionError(`no upcaster for ${type} from v${v} to v${v + 1}`);
    current = step(current);
  }
  return { version: definition.version, data: current };
}
