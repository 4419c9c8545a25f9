/** The import wizard's numbers and times in the operator's words (issue 17): local times to the minute, whole seconds, counted nouns. */

/** An ISO time as the operator's local date and time, to the minute; the text itself when it is not a time. */
export function localTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return time.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** An ISO time as the local date alone. */
export function localDate(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : time.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A duration in whole seconds, minutes and hours: "under a second", "12 seconds", "3 min 5 s", "1 h 2 min". */
export function duration(seconds: number): string {
  if (seconds < 1) return 'under a second';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} second${whole === 1 ? '' : 's'}`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

/** "1 image", "2 images". */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
