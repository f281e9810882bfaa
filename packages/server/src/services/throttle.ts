import { DomainError } from "@latchkey/core";
import type { Store } from "../store/store.js";
import { createRateCounter } from "./rate-counter.js";

/** Failures per key in a sliding window, in this process's memory. */
function slidingWindow(options: { max: number; windowMs: number; now: () => number }) {
  const { now } = options;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = now() - options.windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
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

/**
 * Failed password checks per key (an account, an address): a key with `max` failures within `windowMs` waits.
 * Exact within this process (a sliding window in memory); across processes through the store's shared counters
 * (rate-counter.ts: fixed windows, synced once a second; a key checked here has its total read back at the next
 * sync). A key waits when either says so.
 */
export function createThrottle(deps: { store: Store; max: number; windowMs: number; now: () => Date; onError?: (error: unknown) => void }) {
  const nowMs = () => deps.now().getTime();
  const local = slidingWindow({ max: deps.max, windowMs: deps.windowMs, now: nowMs });
  const shared = createRateCounter({
    store: deps.store,
    prefix: "pw:",
    windowMs: deps.windowMs,
    now: nowMs,
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  return {
    /** Milliseconds until `key` may try again; 0 when it may now. */
    retryAfterMs(key: string): number {
      shared.watch(key);
      return Math.max(local.retryAfterMs(key), shared.retryAfterMs(key, deps.max));
    },
    fail(key: string): void {
      local.fail(key);
      shared.add(key);
    },
    reset(key: string): void {
      local.reset(key);
      shared.forget(key);
    },
    sync: () => shared.sync(),
    close: () => shared.close(),
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
