import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

export type DialectName = "sqlite" | "postgres";

/** The dialects this run tests: SQLite always, PostgreSQL when the global setup found it. */
export function dialects(): DialectName[] {
  return inject("postgresUrl") ? ["sqlite", "postgres"] : ["sqlite"];
}

/** A fresh, empty database of one dialect: a temporary SQLite file, or a new PostgreSQL database dropped afterwards. */
export async function freshDatabase(kind: DialectName): Promise<{ url: string; dataDir: string; drop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-test-"));
  if (kind === "sqlite") {
    return {
      url: `sqlite:${join(dataDir, "latchkey.db")}`,
      dataDir,
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const admin = inject("postgresUrl");
  if (!admin) throw new Error("PostgreSQL is not available in this run");
  const name = `latchkey_test_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
