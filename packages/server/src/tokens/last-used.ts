import type { Store } from "../store/store.js";

/**
 * When and from where each token was last used: kept in memory on the request path (zero writes per request) and
 * written in one batch at most `intervalMs` later, and on shutdown.
 */
export function createLastUsed(deps: { store: Store; intervalMs?: number; onError?: (error: unknown) => void }) {
  const { store } = deps;
  let pending = new Map<string, { at: string; ip: string }>();
  const seen = new Map<string, { at: string; ip: string }>();

  const flush = async (): Promise<void> => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await store.tokens.recordLastUsed([...batch].map(([id, v]) => ({ id, ...v })));
    } catch (error) {
      // Keep what failed for the next round, unless a newer use replaced it meanwhile.
      for (const [id, v] of batch) if (!pending.has(id)) pending.set(id, v);
      deps.onError?.(error);
    }
  };
  const timer = setInterval(() => void flush(), deps.intervalMs ?? 1000);
  timer.unref();

  return {
    record(tokenId: string, at: Date, ip: string): void {
      const v = { at: at.toISOString(), ip };
      pending.set(tokenId, v);
      seen.set(tokenId, v);
      if (seen.size > 100_000) seen.delete(seen.keys().next().value ?? "");
    },
    /** The newest use this process knows of that may not be stored yet. */
    latest: (tokenId: string) => seen.get(tokenId),
    flush,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type LastUsed = ReturnType<typeof createLastUsed>;
