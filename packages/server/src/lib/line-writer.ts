import { Buffer } from "node:buffer";
import { write as fsWrite } from "node:fs";
import { clearTimeout, setTimeout } from "node:timers";

/** How long a write that met a full pipe (EAGAIN) waits before it tries again. */
const RETRY_MS = 10;
/**
 * How long the first line of a batch waits for others before the write starts, so that one system call (and one trip
 * through libuv's thread pool, about 50 µs of CPU on this project's 2-core test machine whatever the size) is shared
 * by the lines of 20 ms rather than paid by a few lines each. A log line reaches the log some 20 ms after its
 * request. A batch past BATCH_BYTES goes at once.
 */
const BATCH_MS = 20;
const BATCH_BYTES = 64 * 1024;

/**
 * Log lines to a file descriptor (the server's stdout), written asynchronously in batches: the lines of a few
 * milliseconds (BATCH_MS) go out together in one system call.
 * Replaces sonic-boom (pino.destination), which measures the byte length of its whole pending chunk (up to 16 KiB)
 * on every line: about 3 µs of CPU a line, most of what the access line cost on its own. Lines beyond
 * `maxPendingBytes` waiting (a reader that stopped reading) are dropped and counted, never held in memory without end;
 * a broken stdout (EPIPE) drops what is pending and the server goes on. `end()` resolves once every line is written.
 */
export function createLineWriter(fd: number, options: { maxPendingBytes?: number } = {}) {
  const max = options.maxPendingBytes ?? 16 * 1024 * 1024;
  let pending: string[] = [];
  let pendingLength = 0;
  let writing = false;
  let broken = false;
  let dropped = 0;
  let writes = 0;
  let drained: (() => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;

  const settle = () => {
    writing = false;
    const waiting = drained;
    drained = [];
    for (const resolve of waiting) resolve();
  };
  const writeOut = (data: Buffer, offset: number): void => {
    writes++;
    fsWrite(fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) {
        if (error.code === "EAGAIN") {
          setTimeout(() => writeOut(data, offset), RETRY_MS).unref();
          return;
        }
        broken = true;
        dropped += pending.length;
        pending = [];
        pendingLength = 0;
        settle();
        return;
      }
      if (offset + written < data.length) writeOut(data, offset + written);
      else afterWrite();
    });
  };
  /**
   * The lines that came while a write was under way wait out a batch time of their own too, unless they fill a batch
   * or `end()` waits for them. (Written at once, they made a write for every line or two under steady load: a pipe
   * write returns in microseconds, so each batch held what came in those microseconds; 6 µs of CPU a request in
   * `node bench/forward.mjs --cpu-prof`.)
   */
  const afterWrite = (): void => {
    if (pending.length === 0) return settle();
    if (pendingLength >= BATCH_BYTES || drained.length > 0) return next();
    timer = setTimeout(next, BATCH_MS);
    timer.unref();
  };
  const next = (): void => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (pending.length === 0) return settle();
    const data = Buffer.from(pending.length === 1 ? (pending[0] ?? "") : pending.join(""), "utf8");
    pending = [];
    pendingLength = 0;
    writeOut(data, 0);
  };

  return {
    /** Queues one line (with its newline); false when it was dropped. */
    write(line: string): boolean {
      if (broken || pendingLength + line.length > max) {
        dropped++;
        return false;
      }
      pending.push(line);
      pendingLength += line.length;
      if (!writing) {
        writing = true;
        timer = setTimeout(next, BATCH_MS);
        timer.unref();
      } else if (timer && pendingLength >= BATCH_BYTES) next();
      return true;
    },
    /** Lines dropped so far (a full or broken destination). */
    dropped: () => dropped,
    /** System calls made so far (each a write of a batch, or of the rest of one). */
    writes: () => writes,
    /** Resolves once every queued line has been written (or dropped). */
    end(): Promise<void> {
      if (!writing) return Promise.resolve();
      const done = new Promise<void>((resolve) => drained.push(resolve));
      // A batch still waiting for its time goes now.
      if (timer) next();
      return done;
    },
  };
}

export type LineWriter = ReturnType<typeof createLineWriter>;
