import { DomainError } from "@latchkey/core";
import type { Store } from "../store/store.js";
import { createRateCounter } from "../store/rate-counter.js";

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
    fail(key: string): number {
      const list = recent(key);
      const at = now();
      list.push(at);
      failures.set(key, list);
      // Bounded memory under a flood of distinct keys: forget the oldest entries.
      if (failures.size > 100_000) failures.delete(failures.keys().next().value ?? "");
      return at;
    },
    /** Takes back one failure counted at `at` (an attempt that turned out to succeed). */
    undo(key: string, at: number): void {
      const list = failures.get(key);
      const i = list?.lastIndexOf(at) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    },
    reset(key: string): void {
      failures.delete(key);
    },
  };
}

/** An attempt counted against its keys before the slow check; see `Throttle.begin`. */
export interface Attempt {
  keys: string[];
  at: number;
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
  /** Milliseconds until `key` may try again; 0 when it may now. */
  const retryAfterMs = (key: string): number => {
    shared.watch(key);
    return Math.max(local.retryAfterMs(key), shared.retryAfterMs(key, deps.max));
  };
  return {
    retryAfterMs,
    /**
     * Counts an attempt against every key before the password is checked (throws 429 when any key must wait). The
     * check takes tens of milliseconds: were the attempt counted after it, a parallel burst would pass the check
     * together and every guess in it would be tried. An attempt that succeeds is taken back (`succeeded`).
     */
    begin(keys: string[]): Attempt {
      const wait = Math.max(...keys.map(retryAfterMs));
      if (wait > 0) {
        throw new DomainError("RATE_LIMITED", "too many failed attempts; try again later", { retryAfterSeconds: Math.ceil(wait / 1000) });
      }
      let at = 0;
      for (const key of keys) {
        at = local.fail(key);
        shared.add(key);
      }
      return { keys, at };
    },
    /** The attempt succeeded: its first key (the account) starts afresh, and the others no longer count it. */
    succeeded(attempt: Attempt): void {
      const [account, ...others] = attempt.keys;
      if (account !== undefined) {
        local.reset(account);
        shared.forget(account);
      }
      for (const key of others) {
        local.undo(key, attempt.at);
        shared.remove(key);
      }
    },
    sync: () => shared.sync(),
    close: () => shared.close(),
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
