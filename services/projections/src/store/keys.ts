/**
 * Ids of edge documents: the stream ids' own keys (like-<postId>_<userId>, follow-<followerId>_<followeeId>,
 * mute-<muterId>_<mutedId>, block-<blockerId>_<blockedId>).
 */
export const likeId = (postId: string, userId: string) => `${postId}_${userId}`;
export const followId = (followerId: string, followeeId: string) => `${followerId}_${followeeId}`;
export const muteId = (muterId: string, mutedId: string) => `${muterId}_${mutedId}`;
export const blockId = (blockerId: string, blockedId: string) => `${blockerId}_${blockedId}`;

/**
 * Sort keys are epoch milliseconds: numbers sort the same in MongoDB, Redis scores and memory. Every timestamp
 * the services write has the form `2025-01-01T00:00:00.000Z` (toISOString), which is read here digit by digit:
 * a rebuild reads one per event, and Date.parse costs several times more. Anything else goes to Date.parse.
 */
export function ms(iso: string): number {
  if (iso.length !== 24 || !isCanonicalIso(iso)) return Date.parse(iso);
  const year = digits(iso, 0, 4);
  const month = digits(iso, 5, 2);
  const day = digits(iso, 8, 2);
  const hours = digits(iso, 11, 2);
  const minutes = digits(iso, 14, 2);
  const seconds = digits(iso, 17, 2);
  // Out-of-range fields would roll over in Date.UTC, and it reads years below 100 as 19xx; Date.parse decides.
  if (
    year < 100 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hours > 23 ||
    minutes > 59 ||
    seconds > 59
  ) {
    return Date.parse(iso);
  }
  // A day past the end of its month (02-30) would roll over too.
  if (day > daysIn(year, month)) return Date.parse(iso);
  return Date.UTC(year, month - 1, day, hours, minutes, seconds, digits(iso, 20, 3));
}

/** days in `month` (1-12) of `year`, Gregorian */
function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, digits where digits go */
function isCanonicalIso(iso: string): boolean {
  for (let i = 0; i < 23; i++) {
    const code = iso.charCodeAt(i);
    const separator = canonicalSeparators[i];
    if (separator === undefined ? code < 48 || code > 57 : code !== separator) return false;
  }
  return iso.charCodeAt(23) === 90;
}

/** position → the separator expected there ('-', 'T', ':', '.') in `YYYY-MM-DDTHH:mm:ss.sss` */
const canonicalSeparators: (number | undefined)[] = Array.from({ length: 23 }, (_, i) =>
  i === 4 || i === 7 ? 45 : i === 10 ? 84 : i === 13 || i === 16 ? 58 : i === 19 ? 46 : undefined,
);

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}
