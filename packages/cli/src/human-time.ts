const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether a string is an ISO 8601 time as the API writes them. */
export const isIsoTime = (value: string): boolean => ISO.test(value) && !Number.isNaN(Date.parse(value));

const STEPS: [limitMs: number, unitMs: number, unit: string][] = [
  [60_000, 1_000, "second"],
  [3_600_000, 60_000, "minute"],
  [86_400_000, 3_600_000, "hour"],
  [60 * 86_400_000, 86_400_000, "day"],
  [730 * 86_400_000, 30 * 86_400_000, "month"],
  [Infinity, 365 * 86_400_000, "year"],
];

/** "in 30 days", "5 minutes ago", "just now": how a person reads a time on a terminal. */
export function humanTime(iso: string, nowMs: number): string {
  const delta = Date.parse(iso) - nowMs;
  const size = Math.abs(delta);
  if (size < 5_000) return "just now";
  const [, unitMs, unit] = STEPS.find(([limit]) => size < limit) ?? STEPS[STEPS.length - 1]!;
  const n = Math.round(size / unitMs);
  const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return delta > 0 ? `in ${text}` : `${text} ago`;
}
