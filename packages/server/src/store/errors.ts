import { DomainError } from "@latchkey/core";
import { isPostgresForeignKeyViolation, isPostgresUniqueViolation } from "./dialects/postgres.js";
import { isSqliteForeignKeyViolation, isSqliteUniqueViolation } from "./dialects/sqlite.js";

/** Turns a driver error into the error code it means; anything else passes through unchanged. */
export function mapDriverError(error: unknown, what = "record"): unknown {
  if (isSqliteUniqueViolation(error) || isPostgresUniqueViolation(error)) {
    return new DomainError("CONFLICT", `a ${what} with that id already exists`);
  }
  if (isSqliteForeignKeyViolation(error) || isPostgresForeignKeyViolation(error)) {
    return new DomainError("NOT_FOUND", `a ${what} refers to something that does not exist`);
  }
  return error;
}
