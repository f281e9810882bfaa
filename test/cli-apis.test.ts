import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The CLI's commands in-process (not the built binary: see e2e/cli.test.ts) against the server's own test harness on
// a real port, over real HTTP. Here rather than in packages/cli, whose sources may not import the server.
import { startHarness, type Harness } from "../packages/server/src/test-support/harness.js";
import { buildProgram } from "../packages/cli/src/program.js";

describe("latchkey apis against a listening server", () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  let home: string;

  beforeAll(async () => {
    h = await startHarness("sqlite");
    const host = await h.app.listen({ port: 0, host: "127.0.0.1" });
    await h.owner.ok("POST", "/v1/teams", { name: "Cli" });
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/cli/tokens", { name: "cli", roleId: "owner" });
    home = mkdtempSync(join(tmpdir(), "latchkey-apis-"));
    env = { LATCHKEY_TOKEN: token, LATCHKEY_HOST: host, XDG_CONFIG_HOME: home };
  });
  afterAll(async () => {
    await h.close();
    rmSync(home, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    let out = "";
    let err = "";
    const program = buildProgram(env, { out: (s) => (out += s), err: (s) => (err += s) });
    await program.parseAsync(["node", "latchkey", ...args]);
    return { out, err };
  };
  const json = async <T>(...args: string[]) => JSON.parse((await run(...args, "-o", "json")).out) as T;

  it("creates, lists, edits and deletes an API; roles grant its permissions by full name", async () => {
    const created = await json<{ id: string; permissions: { id: string; sensitive: boolean }[] }>(
      "apis",
      "create",
      "Billing",
      "--permission",
      "invoices.read,invoices.write",
      "--sensitive",
      "refunds",
    );
    expect(created.id).toBe("billing");
    expect(created.permissions).toEqual([
      { id: "invoices.read", description: "", sensitive: false },
      { id: "invoices.write", description: "", sensitive: false },
      { id: "refunds", description: "", sensitive: true },
    ]);
    expect((await run("apis", "list")).out).toMatch(/billing\s+Billing\s+3/);
    expect((await run("apis", "get", "billing")).out).toContain("billing:refunds (sensitive)");

    await run("roles", "create", "Biller", "--permission", "team.read,billing:invoices.read,billing:invoices.write");
    const role = await json<{ permissions: { apiScope: string[] } }>("roles", "get", "biller");
    expect(role.permissions.apiScope).toEqual(["billing:invoices.read", "billing:invoices.write"]);

    const edited = await json<{ permissions: { id: string }[] }>(
      "apis",
      "update",
      "billing",
      "--add-permission",
      "payments.read",
      "--remove-permission",
      "invoices.write",
      "--yes",
    );
    expect(edited.permissions.map((p) => p.id)).toEqual(["invoices.read", "refunds", "payments.read"]);
    expect((await json<{ permissions: { apiScope: string[] } }>("roles", "get", "biller")).permissions.apiScope).toEqual([
      "billing:invoices.read",
    ]);

    await run("apis", "delete", "billing", "--yes");
    expect(await json<unknown[]>("apis", "list")).toEqual([]);
    expect((await json<{ permissions: { apiScope: string[] } }>("roles", "get", "biller")).permissions.apiScope).toEqual([]);
  });

  it("a refused call fails with the server's message", async () => {
    await expect(run("apis", "get", "ghost")).rejects.toThrow(/not found/);
  });
});
