import { DomainError } from "@latchkey/core";

/** Counts failures per key in a sliding window and says how long a key must wait once it has too many. */
export function createThrottle(options: { max: number; windowMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = now() - options.windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    /** Milliseconds until `key` may try again; 0 when it may now. */
    retryAfterMs(key: string): number {
      const list = recent(key);
      if (list.length < options.max) return 0;
      return Math.max(1, (list[list.length - options.max] ?? now()) + options.windowMs - now());
    },
    fail(key: string): void {
      const list = recent(key);
      list.push(now());
      failures.set(key, list);
      // Bounded memory under a flood of distinct keys: forget the oldest entries.
      if (failures.size > 100_000) failures.delete(failures.keys().next().value ?? "");
    },
    reset(key: string): void {
      failures.delete(key);
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

/** Throws 429 while any of `keys` must wait: every check of a password (sign-in, invitation, change) shares one throttle. */
export function assertNotThrottled(throttle: Throttle, keys: string[]): void {
  const wait = Math.max(...keys.map((k) => throttle.retryAfterMs(k)));
  if (wait > 0) {
    throw new DomainError("RATE_LIMITED", "too many failed attempts; try again later", { retryAfterSeconds: Math.ceil(wait / 1000) });
  }
}
