/**
 * Hashtags and mentions in captions, comments and replies, by the rules of API.md ("Finding people and posts").
 * The write side finds them when it decides a text; the read side normalizes a tag asked for in a path with the
 * same function, so `#Café` written and `/tags/CAFÉ` asked are one tag.
 *
 * A hashtag is `#` and then 1-100 Unicode letters, marks, decimal digits or `_`, where the `#` does not follow a
 * letter, mark, digit or `_` (`no#tag` is no tag; in `##x` the second `#` starts `x`). The run of such characters
 * after the `#` is the tag whole: a run over 100 is no tag rather than a cut one. Everything else ends the run
 * (punctuation, spaces, emoji). Tags are compared in NFC, lower case.
 *
 * A mention is `@` and then a userName (3-30 of A-Z, a-z, 0-9, `.` and `_`), where the `@` does not follow a
 * letter, mark, digit, `_` or `.` (`mail@user.example` mentions nobody). A userName may end with a `.`, but a
 * sentence may too: `@ada.` offers `ada.` first and then `ada` (see `MentionCandidate`), and the one that names a
 * live account is the mention.
 */

/** the most distinct hashtags a caption may hold */
export const maxHashtags = 30;
/** the most distinct mentions a caption, comment or reply may hold */
export const maxMentions = 20;

const tagCharacter = String.raw`\p{L}\p{M}\p{Nd}_`;
const hashtagPattern = new RegExp(`(?<![${tagCharacter}])#([${tagCharacter}]+)`, 'gu');
const mentionPattern = /(?<![\p{L}\p{M}\p{Nd}_.])@([A-Za-z0-9._]+)/gu;
const maxTagLength = 100;
const wholeTag = new RegExp(`^[${tagCharacter}]{1,${maxTagLength}}$`, 'u');
const userName = { min: 3, max: 30 };

/** A tag in its stored form: NFC, lower case (lower-casing can decompose, so NFC again after it). */
export function normalizeHashtag(tag: string): string {
  return tag.normalize('NFC').toLowerCase().normalize('NFC');
}

/** Whether `tag` (without its `#`) is a hashtag by the rules above. */
export function isHashtag(tag: string): boolean {
  return wholeTag.test(tag.normalize('NFC'));
}

/** The distinct hashtags of a text, normalized, in order of first appearance. */
export function findHashtags(text: string): string[] {
  // Most texts have no `#` at all, and NFC makes none (only compatibility forms such as ＃ fold to it): they are
  // answered without normalizing them and running the pattern, which cost a rebuild about 1 us a caption, and
  // captions are read by three read models.
  if (!text.includes('#')) return [];
  const found = new Set<string>();
  for (const match of text.normalize('NFC').matchAll(hashtagPattern)) {
    const run = match[1] as string;
    // Length in code points, as a user counts characters (an astral letter is one).
    if ([...run].length > maxTagLength) continue;
    found.add(normalizeHashtag(run));
  }
  return [...found];
}

/**
 * One `@` that may be a mention: the userNames it may name, longest first (`ada.` then `ada` for `@ada.`), each
 * 3-30 characters; the first that names a live account is the mention. `key` is its lower-cased longest form,
 * the one that counts towards the limit.
 */
export interface MentionCandidate {
  key: string;
  userNames: string[];
}

/** The distinct possible mentions of a text (compared case-insensitively), in order of first appearance. */
export function findMentions(text: string): MentionCandidate[] {
  const found = new Map<string, MentionCandidate>();
  for (const match of text.matchAll(mentionPattern)) {
    const run = match[1] as string;
    if (run.length > userName.max) continue;
    const userNames = [run];
    for (
      let trimmed = run.replace(/\.$/, '');
      trimmed !== userNames.at(-1);
      trimmed = trimmed.replace(/\.$/, '')
    ) {
      userNames.push(trimmed);
    }
    const valid = userNames.filter((name) => name.length >= userName.min);
    if (valid.length === 0) continue;
    const key = (valid[0] as string).toLowerCase();
    if (!found.has(key)) found.set(key, { key, userNames: valid });
  }
  return [...found.values()];
}
