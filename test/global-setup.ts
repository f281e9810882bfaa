import type {} from "vitest";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

// PostgreSQL tests run whenever the server answers; in CI (CI=true) a server that does not answer is a failure.
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env["LATCHKEY_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    project.provide("postgresUrl", url);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (process.env["CI"] === "true") throw new Error(`PostgreSQL tests are required in CI but ${url} does not answer: ${why}`);
    process.stdout.write(`PostgreSQL tests skipped: ${url} does not answer (${why}); set LATCHKEY_TEST_POSTGRES_URL to run them.\n`);
    project.provide("postgresUrl", null);
  } finally {
    await client.end().catch(() => undefined);
  }
}
