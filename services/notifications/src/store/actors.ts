import type { NotificationDoc } from './documents.js';

/** What a notification is about: its every field but its actors and their times, which its actors make. */
export type NotificationAbout = Omit<NotificationDoc, 'actors' | 'actorIds' | 'createdAt' | 'updatedAt'>;

/**
 * The notification `current` (undefined: none yet) with `actor` at `at`, or at the time it has with `keepTime`,
 * as a new document. Its actor ids and latest time are derived from the ones it has rather than sorted anew: a
 * like on a post liked by thousands would otherwise sort them all, on every like.
 */
export function withActor(
  current: NotificationDoc | undefined,
  about: NotificationAbout,
  actor: string,
  at: string,
  keepTime: boolean,
): NotificationDoc {
  const { had, time } = actorTime(current, actor, at, keepTime);
  const actors = had === time && current ? current.actors : { ...current?.actors, [actor]: time };
  return {
    ...about,
    actors,
    actorIds: had !== undefined && current ? current.actorIds : withId(current?.actorIds ?? [], actor),
    createdAt: current && current.createdAt < time ? current.createdAt : time,
    updatedAt: current ? updatedAfter(current, had, time, actors) : time,
  };
}

/**
 * The notification `current` without `actor` (undefined once its last actor is gone; `current` itself when the
 * actor was not there), as a new document. Its latest time moves back only when the actor held it.
 */
export function withoutActor(
  current: NotificationDoc | undefined,
  actor: string,
): NotificationDoc | undefined {
  if (!current || !(actor in current.actors)) return current;
  if (current.actorIds.length === 1) return undefined;
  const { [actor]: removed, ...actors } = current.actors;
  return {
    ...current,
    actors,
    actorIds: current.actorIds.filter((id) => id !== actor),
    updatedAt: removed === current.updatedAt ? latest(actors) : current.updatedAt,
  };
}

/** The time `actor` had in `current` (undefined: none), and the time it has once it joins at `at`. */
export function actorTime(
  current: NotificationDoc | undefined,
  actor: string,
  at: string,
  keepTime: boolean,
): { had: string | undefined; time: string } {
  const had = current?.actors[actor];
  return { had, time: keepTime && had !== undefined ? had : at };
}

/** The latest time of a notification whose actor, at `had` before, is now at `time` among `actors`. */
export function updatedAfter(
  current: NotificationDoc,
  had: string | undefined,
  time: string,
  actors: Record<string, string>,
): string {
  if (time >= current.updatedAt) return time;
  return had === current.updatedAt ? latest(actors) : current.updatedAt;
}

/** The latest of the actors' times (ISO 8601 UTC times: the latest is the greatest string). */
export function latest(actors: Record<string, string>): string {
  let found = '';
  for (const actor in actors) if ((actors[actor] as string) > found) found = actors[actor] as string;
  return found;
}

/** Where `id` goes in `ids` (sorted, as Array.prototype.sort orders strings). */
export function placeOf(ids: readonly string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ids[mid] as string) < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** `ids` (sorted, without `id`) with `id` in its place, as a new list. */
function withId(ids: readonly string[], id: string): string[] {
  const at = placeOf(ids, id);
  return [...ids.slice(0, at), id, ...ids.slice(at)];
}
