import { countedTypes } from './contract.js';

export type Metric = (typeof countedTypes)[keyof typeof countedTypes];

export interface HourRow {
  /** the hour's start, ISO 8601 UTC, e.g. `2026-11-24T10:00:00.000Z` */
  hour: string;
  posts: number;
  likes: number;
  follows: number;
}

/** The attributes of one message that counting needs (from its CloudEvents headers). */
export interface CountedEvent {
  type: string;
  /** ce_time: when the event was recorded */
  time: string;
  streamId: string;
  streamRevision: number;
}

/**
 * Posts published, likes given and follows started per hour of the time the events were recorded.
 *
 * The topics are delivered at least once (the contract says so), so a message can come twice. Within a stream,
 * events arrive in revision order, so "a revision not above the highest one already counted for its stream" is
 * exactly "already counted": remembering one number per stream dedupes without remembering every event id.
 * Gross counts: an unlike or unfollow does not take anything back here.
 */
export class HourlyCounts {
  private readonly rows = new Map<string, HourRow>();
  private readonly highestRevision = new Map<string, number>();

  /** true when the event was counted, false when it is not counted here or was a redelivery */
  record(event: CountedEvent): boolean {
    const metric = (countedTypes as Record<string, Metric | undefined>)[event.type];
    if (!metric) return false;
    const highest = this.highestRevision.get(event.streamId);
    if (highest !== undefined && event.streamRevision <= highest) return false;
    this.highestRevision.set(event.streamId, event.streamRevision);
    const hour = hourOf(event.time);
    let row = this.rows.get(hour);
    if (!row) {
      row = { hour, posts: 0, likes: 0, follows: 0 };
      this.rows.set(hour, row);
    }
    row[metric]++;
    return true;
  }

  /** One row per hour that had any counted event, oldest first. */
  table(): HourRow[] {
    return [...this.rows.values()].sort((a, b) => a.hour.localeCompare(b.hour)).map((row) => ({ ...row }));
  }
}

function hourOf(time: string): string {
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) throw new Error(`ce_time is not a timestamp: ${time}`);
  date.setUTCMinutes(0, 0, 0);
  return date.toISOString();
}
