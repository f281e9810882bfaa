import { oneAtATime } from "../lib/one-at-a-time.js";
import type { Store } from "../store/store.js";

/**
 * When and from where each token was last used: kept in memory on the request path (zero writes per request) and
 * written in one batch at most `intervalMs` later, and on shutdown.
 */
export function createLastUsed(deps: { store: Store; intervalMs?: number; onError?: (error: unknown) => void }) {
  const { store } = deps;
  // Per request only a number and a string are stored; ISO strings are made when a batch is written.
  let pending = new Map<string, { atMs: number; ip: string }>();
  const seen = new Map<string, { atMs: number; ip: string }>();

  const writeOnce = async (): Promise<void> => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await store.tokens.recordLastUsed([...batch].map(([id, v]) => ({ id, at: new Date(v.atMs).toISOString(), ip: v.ip })));
    } catch (error) {
      // Keep what failed for the next round, unless a newer use replaced it meanwhile.
      for (const [id, v] of batch) if (!pending.has(id)) pending.set(id, v);
      deps.onError?.(error);
    }
  };
  /** Writes what is pending; a caller during a write waits for it, then for its own uses to be written. */
  const flush = oneAtATime(writeOnce).run;
  const timer = setInterval(() => void flush(), deps.intervalMs ?? 1000);
  timer.unref();

  return {
    record(tokenId: string, at: Date | number, ip: string): void {
      const atMs = typeof at === "number" ? at : at.getTime();
      const known = seen.get(tokenId);
      // The common case, a token used again before the next write: update in place, allocate nothing.
      if (known !== undefined && pending.get(tokenId) === known) {
        known.atMs = atMs;
        known.ip = ip;
        return;
      }
      const v = { atMs, ip };
      pending.set(tokenId, v);
      seen.set(tokenId, v);
      if (seen.size > 100_000) seen.delete(seen.keys().next().value ?? "");
    },
    /** The newest use this process knows of that may not be stored yet. */
    latest: (tokenId: string): { at: string; ip: string } | undefined => {
      const v = seen.get(tokenId);
      return v && { at: new Date(v.atMs).toISOString(), ip: v.ip };
    },
    flush,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type LastUsed = ReturnType<typeof createLastUsed>;
