import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, ensureBuilt, freePort, startServer, type E2eDatabase, type ServerProcess } from "./support.js";

const postgresUrl = inject("postgresUrl");

beforeAll(() => ensureBuilt(), 300_000);

// Processes of one deployment often start at the same moment on an empty database: exactly one of them creates the
// bootstrap owner and the first signing key; none of them fails.
for (const adminUrl of postgresUrl ? [postgresUrl] : ["sqlite"]) {
  describe(`processes started at the same moment (${adminUrl === "sqlite" ? "SQLite, one process" : "PostgreSQL"})`, () => {
    let db: E2eDatabase | undefined;
    const servers: ServerProcess[] = [];

    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await db?.drop();
    }, 30_000);

    it("all become ready, with one owner and one active signing key between them", async () => {
      if (adminUrl === "sqlite") {
        servers.push(await startServer({ name: "solo", port: await freePort(), publicUrl: "http://latchkey.e2e" }));
        expect((await fetch(`${servers[0]?.url}/readyz`)).status).toBe(200);
        return;
      }
      db = await createDatabase(adminUrl);
      const masterKey = randomBytes(32).toString("base64");
      const ports = [await freePort(), await freePort(), await freePort()];
      const started = await Promise.allSettled(
        ports.map((port, i) => startServer({ name: `P${i}`, port, databaseUrl: db!.url, masterKey, publicUrl: "http://latchkey.e2e" })),
      );
      for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
      expect(started.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      const { Client } = (await import("pg")).default;
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        expect((await client.query("select count(*)::int as n from users")).rows[0]).toEqual({ n: 1 });
        expect((await client.query("select count(*)::int as n from signing_keys where retired_at is null")).rows[0]).toEqual({ n: 1 });
      } finally {
        await client.end();
      }
    }, 120_000);
  });
}
