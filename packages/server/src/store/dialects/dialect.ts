import type { Kysely } from "kysely";
import type { Database } from "../schema.js";

/** Rows written straight through a prepared statement, for bulk appends on the hot path (the audit log). */
export type BulkInsert = <T extends object>(table: string, rows: readonly T[]) => void;

/**
 * SQLite only: statements run straight on the connection, each prepared once, for the audit log's hot path (Kysely
 * compiles every query anew and goes through promises: about five times the CPU for the same statements).
 */
export interface DirectWrites {
  /**
   * Runs `fn` as one `begin immediate` transaction, synchronously. False, with nothing run, when a transaction is
   * already open on the connection (one of Kysely's, awaiting something): the caller then takes Kysely's path.
   */
  transaction(fn: () => void): boolean;
  run(sql: string, params: readonly unknown[]): void;
  get<T>(sql: string, params: readonly unknown[]): T | undefined;
}

/**
 * Every place SQLite and PostgreSQL differ, in one object per database: repositories ask it instead of testing which
 * database they are on. (A transaction is a Kysely too, so each method works inside one or on the pool.)
 */
export interface Dialect {
  kind: "sqlite" | "postgres";
  /**
   * Locks the rows `query` reads until the transaction ends: `for update` on PostgreSQL; SQLite needs nothing, as
   * its write transactions (begun immediate) already run one at a time.
   */
  forUpdate<Q extends { forUpdate(): Q }>(query: Q): Q;
  /**
   * Locks the rows `query` reads, passing over rows another transaction holds (`for update skip locked`), so that
   * many workers claim disjoint rows; SQLite's single writer needs nothing.
   */
  forUpdateSkipLocked<Q extends { forUpdate(): Q; skipLocked(): Q }>(query: Q): Q;
  /** Holds a team's or organisation's row until the transaction ends (no query at all on SQLite, for the same reason). */
  lockRow(ex: Kysely<Database>, table: "teams" | "orgs", id: string): Promise<void>;
  /** Serialises one-time work across processes until the transaction ends (a no-op where one process writes). */
  advisoryLock(ex: Kysely<Database>, name: string): Promise<void>;
  /** Tells other processes of a change, when it commits; SQLite has no other process to tell. */
  notify(ex: Kysely<Database>, channel: string, payload: string): Promise<void>;
  /** SQLite only: a fast many-row insert on the one connection (null: Kysely's insert is used). */
  bulkInsert: BulkInsert | null;
  /** SQLite only: synchronous prepared statements and transactions on the connection (null on PostgreSQL). */
  direct: DirectWrites | null;
}
