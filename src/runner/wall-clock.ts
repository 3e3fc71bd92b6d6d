/**
 * Reset times as the agent CLIs print them for people — "9:25pm (UTC)", "Dec 3, 9am
 * (Europe/Paris)", "Dec 2nd, 2026 1:15 AM" — turned into instants. A time is read in the zone
 * it names, else in this machine's zone (where the CLI printed it); without a date it is the
 * next such moment (the minute under way counts), with a date but no year the next such date. The patterns that
 * find these times in a CLI's messages live in that CLI's adapter.
 */
export interface WallTime {
  /** 0 = January; absent: the next such time of day. */
  month?: number;
  day?: number;
  year?: number;
  /** 0–23 */
  hour: number;
  minute: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_MS = 86_400_000;

/** A month's short name (Jan, dec, …) as 0–11, or undefined. */
export function monthIndex(name: string): number | undefined {
  const index = MONTHS.indexOf(name.slice(0, 3).toLowerCase());
  return index < 0 ? undefined : index;
}

/** A 12-hour clock reading as 0–23. */
export function hour24(hour: number, meridiem: string): number {
  return (hour % 12) + (meridiem.toLowerCase().startsWith('p') ? 12 : 0);
}

/**
 * A reset printed to the minute: it falls somewhere within that minute, so it has surely passed
 * at the minute's end.
 */
export function endOfMinute(date: Date): Date {
  return new Date(date.getTime() + 60_000);
}

/** The instant of a wall-clock time in `zone` (an IANA name; null: this machine's), or null for an unknown zone. */
export function wallTimeToInstant(wall: WallTime, zone: string | null, now: Date): Date | null {
  const tz = zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    return null;
  }
  const today = partsOf(format, now.getTime());
  const at = (year: number, month: number, day: number) => zonedToUtc(format, year, month, day, wall.hour, wall.minute);
  if (wall.month === undefined || wall.day === undefined) {
    let instant = at(today.year, today.month, today.day);
    // The minute printed may still be under way: only a time a whole minute past is tomorrow's.
    if (instant + 60_000 <= now.getTime()) instant = at(today.year, today.month, today.day + 1);
    return new Date(instant);
  }
  let instant = at(wall.year ?? today.year, wall.month, wall.day);
  if (wall.year === undefined && instant < now.getTime() - DAY_MS) instant = at(today.year + 1, wall.month, wall.day);
  return new Date(instant);
}

function partsOf(format: Intl.DateTimeFormat, time: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(format.formatToParts(new Date(time)).map((part) => [part.type, part.value]));
  return { year: Number(parts.year), month: Number(parts.month) - 1, day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** How far the zone's wall clock is ahead of UTC at `time`, in ms. */
function offsetAt(format: Intl.DateTimeFormat, time: number): number {
  const p = partsOf(format, time);
  return Date.UTC(p.year, p.month, p.day, p.hour, p.minute, p.second) - Math.floor(time / 1000) * 1000;
}

/** The UTC instant whose wall time in the zone is the given one (Date.UTC rolls day overflow over). */
function zonedToUtc(format: Intl.DateTimeFormat, year: number, month: number, day: number, hour: number, minute: number): number {
  const guess = Date.UTC(year, month, day, hour, minute);
  const first = guess - offsetAt(format, guess);
  const second = guess - offsetAt(format, first);
  return second;
}
