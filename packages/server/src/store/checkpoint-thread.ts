import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";

// SQLite's WAL checkpoints on a connection and a thread of their own (see checkpointer.ts): copying the WAL into the
// database file, and that file's fsync, never stall the event loop that serves requests.
const port = parentPort;
if (!port) throw new Error("checkpoint-thread.ts runs only as a worker thread");
const { path, everyMs } = workerData as { path: string; everyMs: number };
const database = new SQLite(path);
database.pragma("busy_timeout = 5000");
const timer = setInterval(() => {
  try {
    database.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // SQLITE_BUSY / SQLITE_LOCKED: the next tick tries again
  }
}, everyMs);
port.on("message", (message: unknown) => {
  if (message !== "close") return;
  clearInterval(timer);
  database.close();
  port.postMessage("closed");
});
