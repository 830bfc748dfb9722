import { describe, expect, it } from 'vitest';
import { findHashtags, findMentions, isHashtag, normalizeHashtag } from './text-entities.js';

describe('findHashtags', () => {
  it.each([
    ['a plain tag', 'sun #beach day', ['beach']],
    ['a tag at the very start', '#first', ['first']],
    ['a # inside a word is no tag', 'no#tag', []],
    ['a # after a digit or _ is no tag', '1#one _#two', []],
    ['the second # of ## starts a tag', '##x', ['x']],
    ['an underscore alone is a tag', '#_', ['_']],
    ['digits and underscores belong to the tag', '#2024_summer', ['2024_summer']],
    ['case is folded', '#Beach #BEACH #beach', ['beach']],
    ['composed and upper case accents are one tag', '#café #CAFÉ', ['café']],
    ['a decomposed é is the composed one', '#cafe\u0301', ['café']],
    ['trailing punctuation ends the tag', 'at the #beach, then #sea! and #sky.', ['beach', 'sea', 'sky']],
    ['an emoji ends the tag', '#sun😎 #😎', ['sun']],
    ['a lone # is no tag', 'a # b #', []],
    ['right-to-left scripts are letters', 'שלום #שלום ו#לא #مرحبا', ['שלום', 'مرحبا']],
    ['a right-to-left mark ends the tag', '#abc\u200Fdef', ['abc']],
    ['marks of other scripts belong to the tag', '#हिन्दी', ['हिन्दी']],
    ['order of first appearance, each once', '#b #a #b #c', ['b', 'a', 'c']],
    ['a run of 100 is a tag', `#${'a'.repeat(100)}`, ['a'.repeat(100)]],
    ['a run over 100 is no tag at all', `#${'a'.repeat(101)}`, []],
    ['100 astral letters are 100 characters', `#${'𝒜'.repeat(100)}`, ['𝒜'.repeat(100)]],
    ['a tag after a line break', 'one\n#two', ['two']],
    ['a text without # has none', 'a photo of the beach', []],
    ['a fullwidth ＃ is no #', '＃beach', []],
  ])('%s', (_case, text, tags) => {
    expect(findHashtags(text)).toEqual(tags);
  });
});

describe('normalizeHashtag and isHashtag', () => {
  it('normalizes to NFC lower case, the form findHashtags stores', () => {
    expect(normalizeHashtag('CAFE\u0301')).toBe('café');
    expect(normalizeHashtag('Café')).toBe(findHashtags('#CAFÉ')[0]);
  });

  it.each([
    ['café', true],
    ['_', true],
    ['a'.repeat(100), true],
    ['a'.repeat(101), false],
    ['', false],
    ['#beach', false],
    ['two words', false],
    ['😎', false],
  ])('%s is a hashtag: %s', (tag, expected) => {
    expect(isHashtag(tag)).toBe(expected);
  });
});

describe('findMentions', () => {
  const names = (text: string) => findMentions(text).map((m) => m.userNames);
  it.each([
    ['a plain mention', 'hi @ada!', [['ada']]],
    ['an e-mail address mentions nobody', 'mail@user.example', []],
    ['an @ after a dot or _ mentions nobody', 'x.@ada x_@ada', []],
    ['a trailing dot may end the sentence', 'thanks @ada.', [['ada.', 'ada']]],
    ['dots inside belong to the userName', '@ada.lovelace, hi', [['ada.lovelace']]],
    ['too short is plain text', '@ab', []],
    ['too short once the dot is off', '@ab.', [['ab.']]],
    ['over 30 characters is plain text', `@${'a'.repeat(31)}`, []],
    ['case-insensitive: once, as first written', '@Ada @ada @ADA', [['Ada']]],
    ['right after a line break or bracket', '(@ada)\n@bob', [['ada'], ['bob']]],
    ['a second @ starts the mention', '@@ada', [['ada']]],
    ['non-ASCII ends the userName', '@adaé', [['ada']]],
  ])('%s', (_case, text, expected) => {
    expect(names(text)).toEqual(expected);
  });

  it('keys each mention by its lower-cased longest form', () => {
    expect(findMentions('@Ada. @ADA.').map((m) => m.key)).toEqual(['ada.']);
  });
});
