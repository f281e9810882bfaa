/**
 * End to end: the built `latchkey` binary's device flow (RFC 8628) against a real server process on SQLite.
 * `login --device` and `elevate` print a code; a signed-in person approves it through the API (as the console's
 * device page does); the CLI, polling at the server's interval, saves the token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliUser, type CliUser } from "./cli-support.js";
import { Api, ensureBuilt, freePort, startServer, type ServerProcess } from "./support.js";

const PUBLIC_URL = "http://latchkey.e2e.test";
const CODE = /code ([B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4})/;

beforeAll(() => ensureBuilt(), 300_000);

describe("device login and elevation with the latchkey CLI", { timeout: 90_000 }, () => {
  let server: ServerProcess | undefined;
  let owner: Api;
  let user: CliUser;

  beforeAll(async () => {
    server = await startServer({ name: "device", port: await freePort(), publicUrl: PUBLIC_URL });
    owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Ops" });
    user = cliUser();
  }, 60_000);
  afterAll(async () => {
    user?.cleanup();
    await server?.stop();
  }, 20_000);

  it("logs in with --device: prints the page and code, polls until a person approves, saves the context", async () => {
    const login = user.spawn(["login", "--device", "--host", server!.url]);
    const [, code] = await login.waitFor(CODE);
    expect(login.stderr()).toContain(`${PUBLIC_URL}/device?user_code=${code!}`);
    const approved = await owner.request("POST", "/v1/oauth/device/approve", {
      userCode: code,
      teamId: "ops",
      roleId: "default",
      name: "build box",
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const result = await login.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/context 'ops' is now in use/);
    const whoami = await user.run(["whoami", "-o", "json"]);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ entityType: "team", entityId: "ops", role: { id: "default" } });
  });

  it("ends a device login with exit 1 when the person denies it", async () => {
    const login = user.spawn(["login", "--device", "--host", server!.url]);
    const [, code] = await login.waitFor(CODE);
    expect((await owner.request("POST", "/v1/oauth/device/deny", { userCode: code })).status).toBe(200);
    const result = await login.done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/denied/);
  });

  it("elevates for 15 minutes with a reason that shows in the token list and the audit log", async () => {
    const run = user.spawn([
      "elevate",
      "--role",
      "admin",
      "--for",
      "15m",
      "--reason",
      "rotate the deploy key",
      "--no-browser",
      "--host",
      server!.url,
    ]);
    const [, code] = await run.waitFor(CODE);
    const info = await owner.ok<{ requestedRole: string; reason: string }>("POST", "/v1/oauth/device/lookup", { userCode: code });
    expect(info).toMatchObject({ requestedRole: "admin", requestedLifetimeSeconds: 900, reason: "rotate the deploy key" });
    await owner.ok("POST", "/v1/oauth/device/approve", {
      userCode: code,
      teamId: "ops",
      roleId: "admin",
      name: "elevation",
      lifetimeSeconds: 3600,
    });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/context 'elevated-admin' is now in use/);
    const whoami = JSON.parse((await user.run(["whoami", "-o", "json"])).stdout) as { role: { id: string }; expiresAt: string };
    expect(whoami.role.id).toBe("admin");
    expect(Date.parse(whoami.expiresAt) - Date.now()).toBeLessThanOrEqual(900_000);
    const list = await user.run([
      "tokens",
      "get",
      (JSON.parse((await user.run(["whoami", "-o", "json"])).stdout) as { id: string }).id,
      "-o",
      "json",
    ]);
    expect(JSON.parse(list.stdout)).toMatchObject({ description: "Elevation for 15 min: rotate the deploy key" });
    const audit = await owner.ok<{ auditLogs: { eventType: string; details: { after?: { description?: string } } }[] }>(
      "GET",
      "/v1/teams/ops/audit-logs?per_page=100",
    );
    const event = audit.auditLogs.find((e) => e.eventType === "apiTokens.create" && e.details.after?.description?.includes("deploy key"));
    expect(event?.details.after?.description).toBe("Elevation for 15 min: rotate the deploy key");
    const tooLong = await user.run(["elevate", "--role", "admin", "--for", "2h", "--reason", "x", "--host", server!.url]);
    expect(tooLong.code).toBe(2);
  });

  it("manages trust policies with the GitHub Actions preset", async () => {
    const created = await user.run([
      "trust-policies",
      "create",
      "--team",
      "ops",
      "--name",
      "deploy",
      "--github",
      "acme/api",
      "--condition",
      "ref=refs/heads/main",
      "--role",
      "default",
      "-o",
      "json",
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      issuer: "https://token.actions.githubusercontent.com",
      audience: "https://github.com/acme",
      conditions: { repository: "acme/api", ref: "refs/heads/main" },
      maxLifetimeSeconds: 900,
    });
    const list = await user.run(["trust-policies", "list", "--team", "ops"]);
    expect(list.stdout).toContain("repository=acme/api");
    expect(list.stdout).toContain("ref=refs/heads/main");
  });
});
