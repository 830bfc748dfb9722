import { findHashtags, findMentions, maxMentions } from '@gram/service-kit';
import type { MentionDirectory } from './mention-directory.js';
import type { FoundMention, WrittenCaption, WrittenText } from './written-text.js';

/** A comment's or reply's text as its command carries it: its possible mentions, resolved. */
export async function readText(directory: MentionDirectory, text: string): Promise<WrittenText> {
  return { text, mentions: await resolveMentions(directory, text) };
}

/** A caption as its command carries it: its hashtags and its possible mentions, resolved. */
export async function readCaption(directory: MentionDirectory, caption: string): Promise<WrittenCaption> {
  return { ...(await readText(directory, caption)), hashtags: findHashtags(caption) };
}

/**
 * Each possible mention with the first of its userNames that names a live account (`@ada.`: `ada.`, else `ada`),
 * in one call for the whole text. No call for a text without any, nor for one over the limit, which the deciders
 * refuse whatever it names.
 */
async function resolveMentions(directory: MentionDirectory, text: string): Promise<FoundMention[]> {
  const candidates = findMentions(text);
  if (candidates.length === 0 || candidates.length > maxMentions)
    return candidates.map(({ key }) => ({ key }));
  const accounts = await directory.accountsNamed(candidates.flatMap(({ userNames }) => userNames));
  const byName = new Map(accounts.map(({ userName, userId }) => [userName.toLowerCase(), userId]));
  return candidates.map(({ key, userNames }) => {
    const userId = userNames.map((name) => byName.get(name.toLowerCase())).find((id) => id !== undefined);
    return userId ? { key, userId } : { key };
  });
}
