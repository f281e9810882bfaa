import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Api, createDatabase, ensureBuilt, freePort, startServer, type E2eDatabase, type ServerProcess } from "./support.js";

const postgresUrl = inject("postgresUrl");

beforeAll(() => ensureBuilt(), 300_000);

// Issue 21.1: tokens are bound to the installation's issuer, fixed at first start, not to the address of the day.
for (const kind of postgresUrl ? (["sqlite", "postgres"] as const) : (["sqlite"] as const)) {
  describe(`a real server moved to another port and public URL (${kind})`, () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-e2e-move-"));
    const masterKey = randomBytes(32).toString("base64");
    let db: E2eDatabase | undefined;
    let server: ServerProcess | undefined;
    let databaseUrl = `sqlite:${join(dir, "latchkey.db")}`;

    afterAll(async () => {
      await server?.stop();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const start = async (name: string, publicUrl: (port: number) => string, env: Record<string, string> = {}) => {
      await server?.stop();
      const port = await freePort();
      server = await startServer({ name, port, databaseUrl, masterKey, publicUrl: publicUrl(port), env });
      return server;
    };

    it("keeps every token valid; a changed LATCHKEY_ISSUER refuses them, naming the issuer", async () => {
      if (kind === "postgres") {
        db = await createDatabase(postgresUrl ?? "");
        databaseUrl = db.url;
      }
      const first = await start("first", (port) => `http://localhost:${port}`);
      const owner = await Api.signIn(first.url);
      await owner.ok("POST", "/v1/teams", { name: "Platform" });
      const { token } = await owner.ok<{ token: string }>("POST", "/v1/teams/platform/tokens", { name: "ci", roleId: "owner" });
      expect((await owner.bearer(token).request("GET", "/v1/auth")).status).toBe(200);

      // Another port, and a public URL behind a domain.
      const moved = await start("moved", () => "https://latchkey.example.com");
      const again = new Api(moved.url, { bearer: token });
      expect((await again.request("GET", "/v1/auth")).status).toBe(200);
      expect((await again.request("GET", "/v1/teams/platform/projects")).status).toBe(200);

      // The operator sets another issuer: the old token is refused and says why.
      const reissued = await start("reissued", (port) => `http://localhost:${port}`, { LATCHKEY_ISSUER: "https://id.example.com" });
      const refused = await new Api(reissued.url, { bearer: token }).request("GET", "/v1/auth");
      expect(refused.status).toBe(401);
      expect(refused.body.error?.code).toBe("TOKEN_INVALID");
      expect(refused.body.error?.message).toContain("issued for issuer http://localhost:");
      expect(refused.body.error?.details).toMatchObject({ reason: "issuer", expected: "https://id.example.com" });
    }, 120_000);
  });
}
