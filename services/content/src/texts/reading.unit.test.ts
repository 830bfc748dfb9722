import { describe, expect, it } from 'vitest';
import type { MentionDirectory } from './mention-directory.js';
import { readCaption, readText } from './reading.js';

const ada = '01900000-0000-7000-8000-0000000000ad';
const adaDot = '01900000-0000-7000-8000-0000000000ae';
const grace = '01900000-0000-7000-8000-0000000000ce';

/** A directory of the given live accounts (userName: id), which remembers what it was asked. */
function directoryOf(accounts: Record<string, string>) {
  const asked: string[][] = [];
  const directory: MentionDirectory = {
    async accountsNamed(userNames) {
      asked.push([...userNames]);
      return userNames.flatMap((userName) => {
        const userId = accounts[userName.toLowerCase()];
        return userId ? [{ userName, userId }] : [];
      });
    },
  };
  return { directory, asked };
}

describe('reading a text for its command', () => {
  it('asks the directory once for every name the possible mentions offer, and gives each the account it names', async () => {
    const { directory, asked } = directoryOf({ ada, grace });
    const written = await readText(directory, 'hi @Grace, @nobody and @ada.');
    expect(asked).toEqual([['Grace', 'nobody', 'ada.', 'ada']]);
    expect(written).toEqual({
      text: 'hi @Grace, @nobody and @ada.',
      mentions: [{ key: 'grace', userId: grace }, { key: 'nobody' }, { key: 'ada.', userId: ada }],
    });
  });

  it('prefers the longest name that is an account: `@ada.` mentions `ada.` when both exist', async () => {
    const { directory } = directoryOf({ ada, 'ada.': adaDot });
    expect((await readText(directory, '@ada.')).mentions).toEqual([{ key: 'ada.', userId: adaDot }]);
  });

  it('does not ask the directory about a text without mentions, nor about one over the limit', async () => {
    const { directory, asked } = directoryOf({ ada });
    expect(await readText(directory, 'no one here, mail@ada.example')).toEqual({
      text: 'no one here, mail@ada.example',
      mentions: [],
    });
    const crowd = Array.from({ length: 21 }, (_, i) => `@name${i}`).join(' ');
    expect((await readText(directory, crowd)).mentions).toHaveLength(21);
    expect(asked).toEqual([]);
  });

  it("reads a caption's hashtags beside its mentions", async () => {
    const { directory } = directoryOf({ ada });
    expect(await readCaption(directory, '#Café with @ada #café #sun')).toEqual({
      text: '#Café with @ada #café #sun',
      hashtags: ['café', 'sun'],
      mentions: [{ key: 'ada', userId: ada }],
    });
  });
});
