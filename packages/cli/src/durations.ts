import { UsageError } from "./failure.js";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A time from an ISO string or a duration from now ("90d", "12h", "30m"), as ISO 8601; `flag` names it in errors. */
export function timeFrom(value: string, flag: string, now = Date.now()): string {
  const duration = /^(\d{1,6})([smhdw])$/.exec(value);
  if (duration) return new Date(now + Number(duration[1]) * (UNITS[duration[2] ?? "s"] ?? 0)).toISOString();
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at))
    throw new UsageError(`${flag}: give an ISO time or a duration like 90d, 12h, 30m`);
  return new Date(at).toISOString();
}
