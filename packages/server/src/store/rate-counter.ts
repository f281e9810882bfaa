import type { Store } from "./store.js";
import { oneAtATime } from "../lib/one-at-a-time.js";

/** A request counted (or not) against a limit. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in this window after this one. */
  remaining: number;
  /** When the window ends (ms since the epoch). */
  resetMs: number;
}

interface Counter {
  /** The window's start, in minutes since the epoch. */
  minute: number;
  /** Every process's count for the window, as the store last said (ours included, up to what we had sent). */
  stored: number;
  /** Counted here since then, not sent yet. */
  local: number;
  /** Sent, and not yet confirmed by the store. */
  sending: number;
}

const MAX_KEYS = 200_000;

/**
 * Fixed-window counters shared by every process through the store. Counting is in memory, on the request path
 * with no I/O; once a second (`syncMs`) each process adds what it counted to the store and reads back the totals, so
 * a limit holds across processes to within about a second of the other processes' traffic.
 */
export function createRateCounter(deps: {
  store: Store;
  /** Prefix of this counter's keys in the store ("tok:", "ip:"). */
  prefix: string;
  windowMs: number;
  now: () => number;
  syncMs?: number;
  onError?: (error: unknown) => void;
}) {
  const { store, prefix, windowMs, now } = deps;
  const windowMinutes = windowMs / 60_000;
  const counters = new Map<string, Counter>();
  const touched = new Set<string>();

  const minuteOf = (ms: number) => Math.floor(ms / windowMs) * windowMinutes;
  const counterOf = (key: string, ms: number): Counter => {
    const minute = minuteOf(ms);
    let c = counters.get(key);
    if (c === undefined || c.minute !== minute) {
      if (c === undefined && counters.size >= MAX_KEYS) counters.delete(counters.keys().next().value ?? "");
      c = { minute, stored: 0, local: 0, sending: 0 };
      counters.set(key, c);
    }
    touched.add(key);
    return c;
  };
  const used = (c: Counter) => c.stored + c.local + c.sending;

  const syncOnce = async (): Promise<void> => {
    if (touched.size === 0) return;
    const current = minuteOf(now());
    const batch: { key: string; c: Counter; sent: number }[] = [];
    for (const key of touched) {
      const c = counters.get(key);
      if (!c) continue;
      if (c.minute < current) {
        counters.delete(key); // a past window: its count no longer decides anything
        continue;
      }
      batch.push({ key, c, sent: c.local });
      c.sending += c.local;
      c.local = 0;
    }
    touched.clear();
    if (batch.length === 0) return;
    try {
      const rows = await store.rateLimits.add(batch.map((b) => ({ key: prefix + b.key, window_minute: b.c.minute, count: b.sent })));
      const totals = new Map(rows.map((r) => [`${r.key}@${r.window_minute}`, Number(r.count)]));
      for (const b of batch) {
        b.c.sending -= b.sent;
        const total = totals.get(`${prefix}${b.key}@${b.c.minute}`);
        if (total !== undefined) b.c.stored = total;
      }
    } catch (error) {
      // Kept for the next round.
      for (const b of batch) {
        b.c.sending -= b.sent;
        b.c.local += b.sent;
        touched.add(b.key);
      }
      deps.onError?.(error);
    }
  };
  /** Sends everything counted so far and reads the totals back (one sync at a time: see one-at-a-time.ts). */
  const syncs = oneAtATime(syncOnce);
  const sync = syncs.run;
  // The timer never queues behind a sync under way: the next tick is soon enough.
  const timer = setInterval(() => {
    if (!syncs.busy()) void sync();
  }, deps.syncMs ?? 1000);
  timer.unref();

  return {
    /** Counts one request for `key` when it is under `limit`; a refused request is not counted. */
    take(key: string, limit: number): RateDecision {
      const ms = now();
      const c = counterOf(key, ms);
      const n = used(c);
      const resetMs = (c.minute + windowMinutes) * 60_000;
      if (n >= limit) return { allowed: false, limit, remaining: 0, resetMs };
      c.local++;
      return { allowed: true, limit, remaining: limit - n - 1, resetMs };
    },
    /** Counts one event for `key`, whatever the count. */
    add(key: string): void {
      counterOf(key, now()).local++;
    },
    /** Takes back one event counted for `key` in this window (never below what this process counted). */
    remove(key: string): void {
      const c = counterOf(key, now());
      if (used(c) > 0) c.local--;
    },
    /** Takes `key`'s count back to zero, here and (at the next sync) in the store. */
    forget(key: string): void {
      const c = counterOf(key, now());
      c.local -= used(c);
    },
    /** Has the next sync read `key`'s total, so that what other processes counted shows here too. */
    watch(key: string): void {
      counterOf(key, now());
    },
    /** Milliseconds until `key` is under `limit` again; 0 when it is now. */
    retryAfterMs(key: string, limit: number): number {
      const c = counters.get(key);
      const ms = now();
      if (c === undefined || c.minute !== minuteOf(ms) || used(c) < limit) return 0;
      return (c.minute + windowMinutes) * 60_000 - ms;
    },
    /** Sends what was counted and reads back the totals (also done every `syncMs`). */
    sync,
    async close(): Promise<void> {
      clearInterval(timer);
      await sync();
    },
  };
}

export type RateCounter = ReturnType<typeof createRateCounter>;
