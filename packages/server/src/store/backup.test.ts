import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { backupSqlite } from "./backup.js";

describe("backupSqlite", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("finishes while another connection writes between its steps: after a restart the rest goes in one step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-backup-"));
    dirs.push(dir);
    const source = join(dir, "live.db");
    const writer = new SQLite(source);
    writer.pragma("journal_mode = WAL");
    writer.exec("create table t (id integer primary key, body text)");
    const insert = writer.prepare("insert into t (body) values (?)");
    writer.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run("x".repeat(1000));
    })();
    let writes = 0;
    const seen: number[] = [];
    const result = await backupSqlite(
      source,
      join(dir, "copy.db"),
      ({ remainingPages }) => {
        seen.push(remainingPages);
        // A write between every two steps, as a busy server makes.
        insert.run(`during ${writes++}`);
      },
      20,
    );
    writer.close();
    expect(result.check).toBe("ok");
    expect(result.restarts).toBeGreaterThanOrEqual(1);
    expect(result.restarts).toBeLessThanOrEqual(2);
    const copy = new SQLite(join(dir, "copy.db"), { readonly: true });
    const rows = (copy.prepare("select count(*) as n from t").get() as { n: number }).n;
    copy.close();
    expect(rows).toBeGreaterThanOrEqual(2000);
    expect(rows).toBeLessThanOrEqual(2000 + writes);
  });

  it("never overwrites a file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-backup-"));
    dirs.push(dir);
    const source = join(dir, "live.db");
    new SQLite(source).close();
    await expect(backupSqlite(source, source)).rejects.toThrow(/exists already/);
    await expect(backupSqlite(join(dir, "none.db"), join(dir, "b.db"))).rejects.toThrow(/no database/);
  });
});
