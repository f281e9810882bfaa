import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import * as foundation from "./migrations/001-foundation.js";
import * as tokens from "./migrations/002-tokens.js";
import * as audit from "./migrations/003-audit.js";
import * as listIndexes from "./migrations/004-list-indexes.js";
import * as rateLimits from "./migrations/005-rate-limits.js";
import * as cliLogins from "./migrations/006-cli-logins.js";
import * as auditSegments from "./migrations/007-audit-segments.js";
import * as auditReads from "./migrations/008-audit-reads.js";
import * as invitations from "./migrations/009-invitations.js";
import * as ratelimitPermission from "./migrations/010-ratelimit-permission.js";
import * as apis from "./migrations/011-apis.js";
import * as tokenGuards from "./migrations/012-token-guards.js";
import * as federation from "./migrations/013-federation.js";
import * as projectFields from "./migrations/016-project-fields.js";
import * as cliLoginPairingCode from "./migrations/014-cli-login-pairing-code.js";
import * as webhooks from "./migrations/017-webhooks.js";
import * as builtInRoleGrants from "./migrations/018-built-in-role-grants.js";

const MIGRATIONS: Record<string, Migration> = {
  "001-foundation": foundation,
  "002-tokens": tokens,
  "003-audit": audit,
  "004-list-indexes": listIndexes,
  "005-rate-limits": rateLimits,
  "006-cli-logins": cliLogins,
  "007-audit-segments": auditSegments,
  "008-audit-reads": auditReads,
  "009-invitations": invitations,
  "010-ratelimit-permission": ratelimitPermission,
  "011-apis": apis,
  "012-token-guards": tokenGuards,
  "013-federation": federation,
  "016-project-fields": projectFields,
  "014-cli-login-pairing-code": cliLoginPairingCode,
  "017-webhooks": webhooks,
  "018-built-in-role-grants": builtInRoleGrants,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Kysely's migrator over our migrations (the tests take the newest one down and up again with it). */
export const migrator = (db: Kysely<unknown>): Migrator => new Migrator({ db, provider });

/** Applies every migration not yet applied; safe to call from many processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, { cause: error });
  }
}
