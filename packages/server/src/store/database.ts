import { Kysely, type Transaction } from "kysely";
import type { Config } from "../config.js";
import type { Dialect } from "./dialects/dialect.js";
import { POSTGRES, postgresDialect } from "./dialects/postgres.js";
import { sqliteDialect } from "./dialects/sqlite.js";
import { mapDriverError } from "./errors.js";
import { migrateToLatest } from "./migrator.js";
import type { Database } from "./schema.js";

/** A connection or an open transaction: every repository works on either. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** The database handle the rest of the server uses. */
export interface Db {
  kind: "sqlite" | "postgres";
  kysely: Kysely<Database>;
  /** Where the two databases differ (locks, notifications, bulk inserts). */
  dialect: Dialect;
  /** Runs `work` in one transaction; driver errors come out as DomainErrors (unique violation -> CONFLICT). */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** How a connection is opened: the server's main one migrates; a helper thread's only writes. */
export interface OpenOptions {
  /** Bring the schema up to date first (default true). */
  migrate?: boolean;
  /** SQLite: this connection runs the WAL checkpoints (default true). */
  checkpoints?: boolean;
  /** PostgreSQL: the pool's size (default 10). */
  poolSize?: number;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(database: Config["database"], options: OpenOptions = {}): Promise<Db> {
  let kysely: Kysely<Database>;
  let dialect: Dialect = POSTGRES;
  if (database.kind === "sqlite") {
    const sqlite = sqliteDialect(database.path, options.checkpoints ?? true);
    kysely = new Kysely<Database>({ dialect: sqlite.kysely });
    dialect = sqlite.dialect;
  } else kysely = new Kysely<Database>({ dialect: postgresDialect(database.url, options.poolSize).dialect });
  if (options.migrate ?? true) await migrateToLatest(kysely as Kysely<unknown>);
  return {
    kind: database.kind,
    kysely,
    dialect,
    async transaction(work) {
      try {
        return await kysely.transaction().execute(work);
      } catch (error) {
        throw mapDriverError(error);
      }
    },
    async ping() {
      try {
        await kysely.selectFrom("meta").select("key").limit(1).execute();
        return true;
      } catch {
        return false;
      }
    },
    close: () => kysely.destroy(),
  };
}
