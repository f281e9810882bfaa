import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import * as foundation from "./migrations/001-foundation.js";
import * as tokens from "./migrations/002-tokens.js";
import * as audit from "./migrations/003-audit.js";
import * as listIndexes from "./migrations/004-list-indexes.js";
import * as rateLimits from "./migrations/005-rate-limits.js";
import * as cliLogins from "./migrations/006-cli-logins.js";

const MIGRATIONS: Record<string, Migration> = {
  "001-foundation": foundation,
  "002-tokens": tokens,
  "003-audit": audit,
  "004-list-indexes": listIndexes,
  "005-rate-limits": rateLimits,
  "006-cli-logins": cliLogins,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Applies every migration not yet applied; safe to call from many processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
  }
}
