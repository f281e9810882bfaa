import { parentPort, workerData } from "node:worker_threads";
import type { Config } from "../config.js";
import { openDatabase } from "../store/database.js";
import { appendBatch, type WriterReply, type WriterRequest } from "./writer.js";

// The audit writer thread (see writer.ts): one batch at a time, in the order they come, each in one transaction.
const port = parentPort;
if (!port) throw new Error("writer-thread.ts runs only as a worker thread");
const { database } = workerData as { database: Config["database"] };
const opened = openDatabase(database, { migrate: false, checkpoints: true, poolSize: 2 });

let queue = Promise.resolve();
port.on("message", (message: WriterRequest) => {
  queue = queue.then(async () => {
    const reply: WriterReply = { id: message.id };
    try {
      const db = await opened;
      if ("close" in message) await db.close();
      else await appendBatch(db, message.batch);
    } catch (error) {
      reply.error = error instanceof Error ? error.message : String(error);
    }
    port.postMessage(reply);
  });
});
