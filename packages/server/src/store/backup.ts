import { existsSync } from "node:fs";
import SQLite from "better-sqlite3";

/** How far a backup has got: pages copied of the database's pages (they restart when the source changes). */
export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
  /** How many times SQLite started the copy again because the server wrote meanwhile. */
  restarts: number;
}

/** Pages copied a step: between steps the server may write (WAL: a reader never blocks it). */
const STEP_PAGES = 2048;

/**
 * An online backup of a SQLite database while a server serves from it (SQLite's backup API through better-sqlite3):
 * a consistent copy of the database as committed, WAL included, into `destination`, which must not exist yet. A
 * write by the server between two steps makes SQLite start the copy again; after a restart the rest is copied in one
 * step (one read transaction, which does not block the server's writes). The copy is then checked
 * (`PRAGMA quick_check`).
 */
export async function backupSqlite(
  source: string,
  destination: string,
  onProgress: (progress: BackupProgress) => void = () => undefined,
  stepPages = STEP_PAGES,
): Promise<{ totalPages: number; restarts: number; check: string }> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  if (existsSync(destination)) throw new Error(`${destination} exists already; a backup never overwrites a file`);
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    let restarts = 0;
    let last = Number.POSITIVE_INFINITY;
    let whole = false;
    const result = await db.backup(destination, {
      progress({ totalPages, remainingPages }) {
        if (remainingPages > last) {
          restarts++;
          whole = true;
        }
        last = remainingPages;
        onProgress({ totalPages, remainingPages, restarts });
        return whole ? Math.max(totalPages, 1) : stepPages;
      },
    });
    const copy = new SQLite(destination, { readonly: true, fileMustExist: true });
    let check: string;
    try {
      check = String(copy.pragma("quick_check", { simple: true }));
    } finally {
      copy.close();
    }
    return { totalPages: result.totalPages, restarts, check };
  } finally {
    db.close();
  }
}
