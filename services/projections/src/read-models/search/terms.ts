/**
 * How text is searched: folded (decomposed, combining marks dropped, lower-cased), so that `jose`, `JOSÉ` and
 * `José` are one. Lower-casing comes first, as it can itself decompose (`İ` becomes `i` and a combining dot).
 */
export function foldForSearch(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').trim().replace(/\s+/gu, ' ');
}

/** What separates the words of a name: anything but a letter or a digit (spaces, `-`, `'`, `.`, emoji). */
const wordSeparator = /[^\p{L}\p{N}]+/u;

/**
 * The terms an account is found by, each matched by its prefixes: its userName, every word of its name, and
 * its whole name (so that `jose ma` finds `José María`, and `jean-l` finds `Jean-Luc`), all folded. A query
 * matches an account when it is a prefix of one of them.
 */
export function accountTerms(userName: string, name: string): string[] {
  const folded = foldForSearch(name);
  const words = folded.split(wordSeparator).filter((word) => word !== '');
  return [...new Set([foldForSearch(userName), folded, ...words].filter((term) => term !== ''))];
}
