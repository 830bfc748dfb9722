import type { FoundMention, WrittenCaption, WrittenText } from './written-text.js';

/** A comment's or reply's text as a command carries it, for the deciders' tests: no mention unless given. */
export const text = (written: string, mentions: readonly FoundMention[] = []): WrittenText => ({
  text: written,
  mentions,
});

/** A caption as a command carries it, for the deciders' tests: no hashtag and no mention unless given. */
export const caption = (
  written: string,
  found: { hashtags?: readonly string[]; mentions?: readonly FoundMention[] } = {},
): WrittenCaption => ({ text: written, hashtags: found.hashtags ?? [], mentions: found.mentions ?? [] });
