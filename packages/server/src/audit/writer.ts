import { Worker } from "node:worker_threads";
import type { Config } from "../config.js";
import type { Db } from "../store/database.js";
import type { Store } from "../store/store.js";
import type { AuditDraft } from "./chain.js";
import { createAuditRepository } from "./repository.js";

/** Where the audit buffer's batches go: appended to their feeds' chains, in one transaction per batch. */
export interface AuditWriter {
  /** Resolves once the batch has committed; rejects (nothing written) when it could not. */
  write(batch: AuditDraft[]): Promise<void>;
  close(): Promise<void>;
  /** "thread" when batches are hashed and written by a worker thread with a connection of its own. */
  readonly mode: "inline" | "thread";
}

/** Messages between the server and its writer thread. */
/**
 * A batch travels as the drafts themselves (a structured clone): measured on an idle machine, about 1.6 µs per
 * event on the event loop, where JSON text (stringify, then copy or encode) costs 5 to 7 µs.
 */
export type WriterRequest = { id: number; batch: AuditDraft[] } | { id: number; close: true };
export type WriterReply = { id: number; error?: string };

/**
 * Appends a batch in one transaction of `db`: on SQLite synchronously, as prepared statements, when the connection
 * is free (the hot path); otherwise in a transaction of Kysely's, straight on the database, not the store's (a batch
 * publishes no change event, and the store's would build every repository for it).
 */
export async function appendBatch(db: Db, batch: AuditDraft[]): Promise<void> {
  if (createAuditRepository(db.kysely, db.dialect).appendNow(batch)) return;
  return db.transaction((trx) => createAuditRepository(trx, db.dialect).append(batch));
}

/** Writes on the caller's own store, on the event loop. */
export function inlineWriter(store: Store): AuditWriter {
  const { db } = store;
  return {
    mode: "inline",
    write: (batch) => appendBatch(db, batch),
    close: () => Promise.resolve(),
  };
}

/**
 * Writes in a worker thread: hashing the chain and the inserts (the bulk of an event's cost) leave the event loop
 * that serves requests. The thread opens its own connection (SQLite: same file, WAL; PostgreSQL: a pool of two),
 * and on SQLite runs the WAL checkpoints too. A thread that dies fails its pending batches (the buffer keeps them and
 * retries) and is started anew by the next write.
 */
function threadWriter(database: Config["database"]): AuditWriter {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const start = (): Worker => {
    const w = new Worker(new URL("./writer-thread.js", import.meta.url), { workerData: { database } });
    w.unref(); // never what keeps a process alive: close() is what ends it
    w.on("message", (reply: WriterReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.error === undefined) p.resolve();
      else p.reject(new Error(`audit writer: ${reply.error}`));
    });
    w.on("error", (error) => {
      if (worker === w) worker = null;
      failAll(error);
    });
    w.on("exit", (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`audit writer thread exited (${code})`));
    });
    return w;
  };
  const send = (message: { batch: AuditDraft[] } | { close: true }) =>
    new Promise<void>((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });

  // Started now, so that the first batch does not wait for the thread to load.
  worker = start();
  return {
    mode: "thread",
    write: (batch) => send({ batch }),
    async close() {
      if (!worker) return;
      const w = worker;
      await send({ close: true }).catch(() => undefined);
      await w.terminate();
      worker = null;
    },
  };
}

/**
 * A writer thread where the build allows one: the compiled server (a worker cannot load TypeScript sources, as the
 * test runner serves them) on a database other threads can open. Inline otherwise.
 */
export function usesWriterThread(config: Config): boolean {
  const compiled = import.meta.url.endsWith(".js");
  const shareable = config.database.kind === "postgres" || config.database.path !== ":memory:";
  return compiled && shareable && config.audit.writerThread;
}

export function createAuditWriter(config: Config, store: Store): AuditWriter {
  return usesWriterThread(config) ? threadWriter(config.database) : inlineWriter(store);
}
