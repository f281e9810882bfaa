import { Worker } from "node:worker_threads";
import type { Config } from "../config.js";

/** SQLite's checkpoints in a thread of their own; `close` stops it. */
export interface Checkpointer {
  close(): Promise<void>;
}

/**
 * Whether SQLite's WAL checkpoints run in a thread of their own: on a database file, in the compiled server (a worker
 * cannot load the TypeScript sources the test runner serves), when no audit writer thread runs them already.
 */
export function usesCheckpointThread(config: Config, writerThread: boolean): boolean {
  const compiled = import.meta.url.endsWith(".js");
  return compiled && !writerThread && config.database.kind === "sqlite" && config.database.path !== ":memory:";
}

/**
 * Starts the checkpoint thread on the database file at `path`: once every `everyMs`, a passive checkpoint (it never
 * waits for writers). A thread that dies is started again, so that the WAL never grows without end.
 */
export function startCheckpointer(path: string, everyMs = 1000): Checkpointer {
  let closing = false;
  let worker: Worker;
  const start = () => {
    worker = new Worker(new URL("./checkpoint-thread.js", import.meta.url), { workerData: { path, everyMs } });
    worker.unref(); // never what keeps a process alive
    worker.on("error", () => undefined); // followed by "exit", which starts a new one
    worker.once("exit", () => {
      if (!closing) setTimeout(start, everyMs).unref();
    });
  };
  start();
  return {
    async close() {
      closing = true;
      const w = worker;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        w.once("message", () => {
          clearTimeout(timer);
          resolve();
        });
        w.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        w.postMessage("close");
      });
      await w.terminate();
    },
  };
}
