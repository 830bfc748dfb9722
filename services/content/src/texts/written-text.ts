import { DomainError, maxHashtags, maxMentions } from '@gram/service-kit';

/**
 * A caption, comment or reply as a command carries it: the text and what the handler found in it (service-kit's
 * findHashtags and findMentions) and resolved through identity (texts/mention-directory.ts). Finding and resolving
 * are no decisions; the limits and what is recorded are, so the deciders judge a text by what is here.
 */
export interface WrittenText {
  text: string;
  /** each possible mention of the text, in order, with the live account it names when one does */
  mentions: readonly FoundMention[];
}

export interface WrittenCaption extends WrittenText {
  /** the distinct hashtags of the text, normalized, in order */
  hashtags: readonly string[];
}

/** One `@` that may be a mention (findMentions' `key`), and the live account it named when it was written. */
export interface FoundMention {
  key: string;
  userId?: string;
}

export type TextErrorCode = 'TooManyHashtags' | 'TooManyMentions';
export type TextError = DomainError<TextErrorCode>;

/**
 * What an event records of the text's mentions: the accounts named, distinct (`@ada` and `@ada.` may both name
 * ada), in order of first appearance, and nothing when none is named. A text over the limit is refused, counted
 * by the possible mentions, not the live ones: whether a text is accepted does not tell which names are accounts.
 */
export function recordedMentions(
  written: WrittenText,
  field: 'caption' | 'text',
): { mentions?: string[] } | TextError {
  if (written.mentions.length > maxMentions) {
    return new DomainError(
      'TooManyMentions',
      `a ${field} may mention at most ${maxMentions} accounts`,
      field,
    );
  }
  const accounts = [...new Set(written.mentions.flatMap(({ userId }) => (userId ? [userId] : [])))];
  return accounts.length > 0 ? { mentions: accounts } : {};
}

/** A caption's limits (hashtags, then mentions), and what its event records of its mentions. */
export function recordedCaptionMentions(caption: WrittenCaption): { mentions?: string[] } | TextError {
  if (caption.hashtags.length > maxHashtags) {
    return new DomainError(
      'TooManyHashtags',
      `a caption may hold at most ${maxHashtags} distinct hashtags`,
      'caption',
    );
  }
  return recordedMentions(caption, 'caption');
}
