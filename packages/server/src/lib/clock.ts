/**
 * The one clock every service reads: `now()` as a Date, `ms()` as a number (the hot path's, with no Date made per
 * call). Tests pass their own `now` (test-support/clock.ts) to move time instead of waiting for it.
 */
export interface Clock {
  now: () => Date;
  ms: () => number;
}

export function createClock(now?: () => Date): Clock {
  if (!now) return { now: () => new Date(), ms: Date.now };
  return { now, ms: () => now().getTime() };
}
