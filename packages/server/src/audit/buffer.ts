import type { AuditDraft } from "./chain.js";
import type { AuditWriter } from "./writer.js";

/**
 * Request events on their way to the store: bounded, written in batches (every `intervalMs` or `batchSize` events,
 * and on shutdown). A request takes a place before it is served; when the store cannot take events and every place
 * is taken, `reserve` says no and the request is refused with 503 rather than served unaudited.
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
  let reserved = 0;
  let writing: Promise<void> | null = null;
  let failing = false;

  const writeOnce = async (): Promise<void> => {
    const batch = queue.slice(0, batchSize);
    if (batch.length === 0) return;
    try {
      await writer.write(batch);
      queue = queue.slice(batch.length);
      failing = false;
    } catch (error) {
      failing = true;
      deps.onError?.(error);
      throw error;
    }
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
      });
    }
    return writing;
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
    /** Adds an event that had no reservation (a refused authentication), if there is room. */
    offer(draft: AuditDraft): boolean {
      if (queue.length + reserved >= max) return false;
      queue.push(draft);
      return true;
    },
    flush,
    pending: () => queue.length,
    failing: () => failing,
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
      await writer.close();
    },
  };
}

export type AuditBuffer = ReturnType<typeof createAuditBuffer>;
