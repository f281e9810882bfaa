import { resolve } from "node:path";
import type { Config } from "./config.js";
import { backupSqlite, type BackupProgress } from "./store/backup.js";

/**
 * `latchkey-server backup <file>`: an online backup of the SQLite database into a new file, while the server keeps
 * serving, with progress on stderr. PostgreSQL is backed up with its own tools (README "Backups": pg_dump). Either
 * way the master key must be kept beside the backup: without it the signing keys in the database cannot be read.
 */
export async function backup(
  config: Config,
  file: string | undefined,
  write: (line: string) => void,
  fail: (line: string) => void,
): Promise<number> {
  if (config.database.kind !== "sqlite") {
    fail("latchkey: backup copies a SQLite database; for PostgreSQL use pg_dump (README: Backups)\n");
    return 2;
  }
  if (!file) {
    fail("latchkey: usage: backup <file> (a new file: never overwritten)\n");
    return 2;
  }
  const destination = resolve(file);
  let shown = -1;
  const show = ({ totalPages, remainingPages, restarts }: BackupProgress) => {
    const percent = totalPages === 0 ? 100 : Math.floor((100 * (totalPages - remainingPages)) / totalPages);
    if (percent === shown) return;
    shown = percent;
    write(`backup: ${percent}% (${totalPages - remainingPages}/${totalPages} pages${restarts > 0 ? `, restarted ${restarts}x` : ""})\n`);
  };
  const result = await backupSqlite(config.database.path, destination, show);
  // SQLite reports the steps before the last one: the end is said here.
  show({ totalPages: result.totalPages, remainingPages: 0, restarts: result.restarts });
  if (result.check !== "ok") {
    fail(`latchkey: the copy at ${destination} failed its check: ${result.check}\n`);
    return 1;
  }
  write(
    `Backed up ${config.database.path} to ${destination} (${result.totalPages} pages, check ok).\n` +
      `Keep the master key beside it (${resolve(config.dataDir, "master.key")}, or LATCHKEY_MASTER_KEY): without it the backup cannot be used.\n`,
  );
  return 0;
}
