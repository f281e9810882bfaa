import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver } from "kysely";
import type { BulkInsert, Dialect, DirectWrites } from "./dialect.js";

/**
 * Transactions that take the write lock when they begin (`begin immediate`), waiting for it under busy_timeout.
 * A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another connection (the
 * audit writer thread's) committed in between, because its snapshot is stale; an immediate one never does.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    };
    return driver;
  }
}

/**
 * The embedded dialect: one file, WAL, foreign keys on, writers wait instead of failing. `checkpoints`: this
 * connection moves the WAL into the database file once a second (one connection per process does; the audit
 * writer's thread, where there is one, so that the copy and its fsync never stall the event loop).
 */
export function sqliteDialect(path: string, checkpoints = true): { kysely: SqliteDialect; dialect: Dialect } {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  // Checkpoints move off the write path: not inside the commit of an audit batch, but once a second on a timer.
  database.pragma("wal_autocheckpoint = 0");
  const timer = setInterval(() => {
    // Never inside a transaction of ours; a busy or locked database just waits for the next tick.
    if (!database.open || database.inTransaction) return;
    try {
      database.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // SQLITE_BUSY / SQLITE_LOCKED: the next tick tries again
    }
  }, 1000);
  timer.unref();
  if (!checkpoints) clearInterval(timer);
  // Kysely prepares every query anew, and SQLite's prepare costs more than running these small queries: reuse them.
  const statements = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = database.prepare(sql);
      if (statements.size >= 500) statements.delete(statements.keys().next().value ?? "");
      statements.set(sql, statement);
    }
    return statement;
  };
  // Kysely compiles a many-row insert slowly; one prepared single-row insert run per row, on the same connection
  // and so inside the caller's open transaction, writes hundreds of thousands of rows a second.
  const bulkInsert: BulkInsert = (table, rows) => {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const statement = prepare(
      `insert into "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) values (${columns.map(() => "?").join(", ")})`,
    );
    const values: unknown[] = new Array(columns.length);
    for (const row of rows) {
      const r = row as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) values[i] = r[columns[i] as string];
      statement.run(values);
    }
  };
  const inTransaction = database.transaction((fn: () => void) => fn());
  const direct: DirectWrites = {
    transaction(fn) {
      if (database.inTransaction) return false;
      inTransaction.immediate(fn);
      return true;
    },
    run: (sql, params) => void prepare(sql).run(params),
    get: <T>(sql: string, params: readonly unknown[]) => prepare(sql).get(params) as T | undefined,
  };
  return {
    kysely: new ImmediateSqliteDialect({
      database: {
        prepare,
        close: () => {
          clearInterval(timer);
          database.close();
        },
      },
    }),
    dialect: {
      kind: "sqlite",
      forUpdate: (query) => query,
      forUpdateSkipLocked: (query) => query,
      lockRow: () => Promise.resolve(),
      advisoryLock: () => Promise.resolve(),
      notify: () => Promise.resolve(),
      bulkInsert,
      direct,
    },
  };
}

/** SQLite's unique and primary key violations. */
export function isSqliteUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** SQLite's foreign key violations. */
export function isSqliteForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}
