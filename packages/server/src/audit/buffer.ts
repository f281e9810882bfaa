import type { AuditDraft } from "./chain.js";
import type { AuditWriter } from "./writer.js";

/** Someone waiting for an event to commit (`commit`): settled by the write that holds it. */
interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Request events on their way to the store: bounded, written in batches (every `intervalMs` or `batchSize` events,
 * and on shutdown). A request takes a place before it is served; when the store cannot take events and every place
 * is taken, `reserve` says no and the request is refused with 503 rather than served unaudited.
 *
 * Group commit (`commit`): an event whose reply waits for it starts a write at the next turn of the event loop (no
 * timer), or, when a write is running, goes in the one that follows it; every event queued by then shares that
 * write, and each waiter is settled when its write has committed (or failed).
 */
export function createAuditBuffer(deps: {
  writer: AuditWriter;
  max: number;
  batchSize?: number;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}) {
  const { writer, max } = deps;
  const batchSize = deps.batchSize ?? 500;
  let queue: AuditDraft[] = [];
  // Parallel to `queue` while any event waits for its commit (empty otherwise: the buffered path never touches it).
  let waiters: (Waiter | undefined)[] = [];
  let waiting = 0;
  let reserved = 0;
  let writing: Promise<void> | null = null;
  let scheduled = false;
  let failing = false;
  // Writes that held waiting events (group commits): how many, their events, the largest, and their time.
  const groups = { writes: 0, events: 0, largest: 0, ms: 0 };

  const writeOnce = async (): Promise<void> => {
    const batch = queue.slice(0, batchSize);
    if (batch.length === 0) return;
    const held = waiting > 0 ? waiters.slice(0, batch.length) : [];
    const started = held.length > 0 ? performance.now() : 0;
    try {
      await writer.write(batch);
      queue = queue.slice(batch.length);
      if (waiters.length > 0) waiters = waiters.slice(batch.length);
      failing = false;
    } catch (error) {
      failing = true;
      deps.onError?.(error);
      // The events stay queued for the next round; their replies are not held until then.
      for (let i = 0; i < held.length; i++) waiters[i] = undefined;
      settle(held, error);
      throw error;
    }
    if (held.length > 0) {
      groups.writes++;
      groups.events += batch.length;
      groups.largest = Math.max(groups.largest, batch.length);
      groups.ms += performance.now() - started;
    }
    settle(held);
  };

  const settle = (held: (Waiter | undefined)[], error?: unknown): void => {
    for (const w of held) {
      if (!w) continue;
      waiting--;
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
    if (waiting === 0) waiters = [];
  };

  const drain = async (): Promise<void> => {
    try {
      while (queue.length > 0) await writeOnce();
    } catch {
      // kept in the queue for the next round; `failing` tells the health of the store
    }
  };
  /** Writes everything queued; one writer at a time, and callers during a write wait for it. */
  const flush = (): Promise<void> => {
    if (!writing) {
      writing = drain().finally(() => {
        writing = null;
        // An event that came as the last write ended: its reply waits, so it goes now, not at the timer.
        if (waiting > 0) schedule();
      });
    }
    return writing;
  };
  const kick = () => {
    scheduled = false;
    void flush();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(kick);
  };

  const timer = setInterval(() => void flush(), deps.intervalMs ?? 250);
  timer.unref();

  return {
    /** Takes a place for one event; false when the buffer is full. */
    reserve(): boolean {
      if (queue.length + reserved >= max) return false;
      reserved++;
      return true;
    },
    /** Fills a reserved place. */
    record(draft: AuditDraft): void {
      if (reserved > 0) reserved--;
      queue.push(draft);
      if (queue.length >= batchSize) void flush();
    },
    /**
     * Fills a reserved place and resolves once the event has committed, with the events queued alongside it (group
     * commit); rejects when its write failed (the event stays queued and is written by a later round).
     */
    commit(draft: AuditDraft): Promise<void> {
      if (reserved > 0) reserved--;
      return new Promise<void>((resolve, reject) => {
        while (waiters.length < queue.length) waiters.push(undefined);
        queue.push(draft);
        waiters.push({ resolve, reject });
        waiting++;
        // A running write is followed by the next at once (`drain`); otherwise the next turn of the event loop.
        if (!writing) schedule();
      });
    },
    /** Adds an event that had no reservation (a refused authentication), if there is room. */
    offer(draft: AuditDraft): boolean {
      if (queue.length + reserved >= max) return false;
      queue.push(draft);
      return true;
    },
    flush,
    pending: () => queue.length,
    failing: () => failing,
    /** Group commits so far: writes, events in them, the largest, and the time spent writing them. */
    groups: () => ({ ...groups }),
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
      await writer.close();
    },
  };
}

export type AuditBuffer = ReturnType<typeof createAuditBuffer>;
