/**
 * End to end: the built `latchkey` binary against real server processes.
 *
 * - SQLite, one process: browser login (--no-browser, approved through the API with an organisation role), whoami,
 *   projects of two teams, a forbidden command, LATCHKEY_TOKEN, --token, secrets printed once, confirmations, contexts.
 * - A client speaking the WebSocket protocol byte for byte as API.md gives it.
 * - PostgreSQL, two processes (when the global setup found PostgreSQL): the CLI waits on A, the approval goes to B.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { cliUser, sessionTokenIn, type CliUser } from "./cli-support.js";
import { Api, createDatabase, ensureBuilt, freePort, startServer, type E2eDatabase, type ServerProcess } from "./support.js";

const PUBLIC_URL = "http://latchkey.e2e.test";
const LOGIN_PAGE = /Open this page to approve the login:\n\s+(\S+)/;
const postgresUrl = inject("postgresUrl");

/** Creates organisation acme with teams alpha and beta, each with one project. */
async function seed(owner: Api): Promise<void> {
  await owner.ok("POST", "/v1/orgs", { name: "Acme" });
  for (const team of ["Alpha", "Beta"]) {
    await owner.ok("POST", "/v1/orgs/acme/teams", { name: team });
    await owner.ok("POST", `/v1/teams/${team.toLowerCase()}/projects`, { name: `${team} Web` });
  }
}

/** Runs `latchkey login --no-browser` against `host`, approves the printed page through `approver`, and waits for it. */
async function loginThroughBrowser(user: CliUser, host: string, approver: Api, approval: Record<string, unknown>, args: string[] = []) {
  const login = user.spawn(["login", "--host", host, "--no-browser", ...args]);
  const [, page] = await login.waitFor(LOGIN_PAGE);
  expect(page!.startsWith(`${PUBLIC_URL}/cli-login?sessionToken=`)).toBe(true);
  const approved = await approver.request("POST", "/v1/cli-login/approve", {
    sessionToken: sessionTokenIn(page!),
    name: "e2e laptop",
    ...approval,
  });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  const result = await login.done;
  expect(result.code, result.stderr).toBe(0);
  return result;
}

beforeAll(() => ensureBuilt(), 300_000);

// Each test runs the CLI a dozen times or so: a node process each, on a machine that may be busy.
describe("the latchkey CLI against one server on SQLite", { timeout: 90_000 }, () => {
  let server: ServerProcess | undefined;
  let owner: Api;
  let user: CliUser;

  beforeAll(async () => {
    server = await startServer({ name: "cli", port: await freePort(), publicUrl: PUBLIC_URL });
    owner = await Api.signIn(server.url);
    await seed(owner);
    user = cliUser();
  }, 60_000);
  afterAll(async () => {
    user?.cleanup();
    await server?.stop();
  }, 20_000);

  it("logs in through the browser with an organisation role and reaches both teams' projects", async () => {
    const login = await loginThroughBrowser(user, server!.url, owner, { orgId: "acme", roleId: "member" });
    expect(login.stderr).toMatch(/context 'acme' is now in use/);
    expect(login.stdout).toBe("");

    const mode = statSync(user.configFile).mode & 0o777;
    expect(mode).toBe(0o600);
    const saved = JSON.parse(readFileSync(user.configFile, "utf8")) as { current: string; contexts: Record<string, { token: string }> };
    expect(saved.current).toBe("acme");
    const token = saved.contexts["acme"]!.token;
    expect(token.split(".")).toHaveLength(3);

    const whoami = await user.run(["whoami", "-o", "json"]);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ tokenKind: "api", entityType: "org", entityId: "acme", role: { id: "member" } });

    for (const team of ["alpha", "beta"]) {
      const list = await user.run(["projects", "list", "--team", team, "-o", "json"]);
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as { id: string }[]).map((p) => p.id)).toEqual([`${team}-web`]);
    }
    const table = await user.run(["projects", "list", "--team", "beta"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+DESCRIPTION\s+CREATED\n/);
    expect(table.stdout).toContain("beta-web");

    // An organisation token names the team of a project: without --team it is a usage error.
    const noTeam = await user.run(["projects", "list"]);
    expect(noTeam.code).toBe(2);
    expect(noTeam.stderr).toMatch(/--team/);

    // The token never shows up where it should not.
    const contexts = await user.run(["context", "list"]);
    expect(contexts.code).toBe(0);
    expect(contexts.stdout).toMatch(/\*\s+acme\s+http:\/\/127\.0\.0\.1:\d+\s+org acme/);
    for (const output of [whoami, contexts, login, table]) expect(output.stdout + output.stderr).not.toContain(token);
  });

  it("exits 1 with the API's message when the role does not allow the command", async () => {
    const forbidden = await user.run(["projects", "create", "Gamma", "--team", "alpha"]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^latchkey: missing permission project\.create \[request req_/);
    expect(forbidden.stdout).toBe("");
    const projects = await owner.ok<{ projects: { id: string }[] }>("GET", "/v1/teams/alpha/projects");
    expect(projects.projects.map((p) => p.id)).not.toContain("gamma");
  });

  it("lets LATCHKEY_TOKEN and LATCHKEY_HOST override the saved context", async () => {
    const minted = await owner.ok<{ token: string }>("POST", "/v1/teams/beta/tokens", { name: "ci", roleId: "owner" });
    const env = { LATCHKEY_TOKEN: minted.token };
    const whoami = await user.run(["whoami", "-o", "json"], { env });
    expect(JSON.parse(whoami.stdout)).toMatchObject({ entityType: "team", entityId: "beta", role: { id: "owner" } });
    // Its team is implied: no --team needed, and this team token may create what the org "member" token may not.
    const created = await user.run(["projects", "create", "Beta Api", "-o", "json"], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: "beta-api" });

    const bad = await user.run(["whoami"], { env: { LATCHKEY_TOKEN: "not-a-token" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^latchkey: /);
    const nowhere = await user.run(["whoami"], { env: { LATCHKEY_HOST: "http://127.0.0.1:1" } });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
    // The saved context is untouched.
    expect((await user.run(["whoami", "-o", "json"])).stdout).toContain('"entityId": "acme"');
  });

  it("prints a new token's secret once, on stdout only, and asks before revoking", async () => {
    const admin = await owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "admin", roleId: "owner" });
    const env = { LATCHKEY_TOKEN: admin.token };

    const json = await user.run(["tokens", "create", "--name", "deploy", "--role", "default", "--expires", "30d", "-o", "json"], { env });
    expect(json.code, json.stderr).toBe(0);
    const created = JSON.parse(json.stdout) as { token: string; apiToken: { id: string; expiresAt: string } };
    expect(created.token.split(".")).toHaveLength(3);
    expect(json.stdout.split(created.token)).toHaveLength(2);
    expect(json.stderr).not.toContain(created.token);
    expect(Date.parse(created.apiToken.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const table = await user.run(["tokens", "create", "--name", "deploy 2", "--role", "default"], { env });
    const secret = /Token \(shown once; store it now\):\n(\S+)\n/.exec(table.stdout)?.[1] ?? "";
    expect(secret.split(".")).toHaveLength(3);
    expect(table.stdout.split(secret)).toHaveLength(2);
    expect(table.stderr).not.toContain(secret);
    expect((await new Api(server!.url).bearer(secret).request("GET", "/v1/login")).status).toBe(200);

    const listed = await user.run(["tokens", "list", "-o", "yaml"], { env });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`id: ${created.apiToken.id}`);
    for (const s of [created.token, secret, admin.token]) expect(listed.stdout).not.toContain(s);
    const got = await user.run(["tokens", "get", created.apiToken.id], { env });
    expect(got.stdout).toMatch(/ROLE\s+default \(team\)/);

    const rotated = await user.run(["tokens", "rotate", created.apiToken.id, "--yes", "-o", "json"], { env });
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = (JSON.parse(rotated.stdout) as { token: string }).token;
    expect(fresh).not.toBe(created.token);
    expect((await new Api(server!.url).bearer(created.token).request("GET", "/v1/login")).status).toBe(401);

    // No terminal to ask on and no --yes: refused as a usage error, nothing revoked.
    const unconfirmed = await user.run(["tokens", "revoke", created.apiToken.id], { env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    expect((await new Api(server!.url).bearer(fresh).request("GET", "/v1/login")).status).toBe(200);
    const revoked = await user.run(["tokens", "revoke", created.apiToken.id, "--yes", "-o", "json"], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: created.apiToken.id, revoked: true });
    expect((await new Api(server!.url).bearer(fresh).request("GET", "/v1/login")).status).toBe(401);
  });

  it("manages roles and members, and lists the audit log", async () => {
    const admin = await owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "admin 2", roleId: "owner" });
    const env = { LATCHKEY_TOKEN: admin.token };
    const role = await user.run(["roles", "create", "Reader", "--permission", "team.read,project.read", "-o", "json"], { env });
    expect(role.code, role.stderr).toBe(0);
    expect(JSON.parse(role.stdout)).toMatchObject({
      id: "reader",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
    });
    const updated = await user.run(["roles", "update", "reader", "--description", "reads", "-o", "json"], { env });
    expect(JSON.parse(updated.stdout)).toMatchObject({ description: "reads" });
    expect((await user.run(["roles", "list"], { env })).stdout).toMatch(/^reader\s+Reader\s+2\s+no/m);
    expect((await user.run(["roles", "get", "reader", "--team", "alpha"], { env })).stdout).toMatch(/PROJECT PERMISSIONS\s+project\.read/);
    expect((await user.run(["roles", "create", "X", "--permission", "bogus"], { env })).code).toBe(2);

    const invited = await user.run(["members", "invite", "new@example.com", "--role", "reader"], { env });
    expect(invited.code, invited.stderr).toBe(0);
    // No SMTP server here: the address's own link went to the server's log, and the printed one is for an existing account.
    expect(invited.stdout).toMatch(
      /^Invited new@example\.com\. No e-mail server is configured: the link for new@example\.com is in the server's log; ask whoever runs Latchkey to pass it on\.\n/,
    );
    expect(invited.stdout).toMatch(/If new@example\.com already has an account here, this link also works, with that account's password/);
    expect(invited.stdout).toMatch(/\nhttp:\/\/latchkey\.e2e\.test\/invite\?token=[A-Za-z0-9_-]+\n$/);
    const members = await user.run(["members", "list", "-o", "json"], { env });
    expect((JSON.parse(members.stdout) as { email: string; roles: string[] }[]).map((m) => m.email)).toContain("owner@example.com");

    expect((await user.run(["roles", "delete", "reader", "--yes"], { env })).code).toBe(0);
    expect((await user.run(["roles", "get", "reader"], { env })).code).toBe(1);

    const audit = await user.run(["audit", "list", "--event-type", "roles.create", "-o", "json"], { env });
    expect(audit.code, audit.stderr).toBe(0);
    const events = JSON.parse(audit.stdout) as { eventType: string; origin: string; resource: { id: string } }[];
    expect(events[0]).toMatchObject({ eventType: "roles.create", origin: "cli", resource: { id: "reader" } });
  });

  it("lists pending invitations and revokes one after confirmation", async () => {
    const admin = await owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "inviter", roleId: "owner" });
    const env = { LATCHKEY_TOKEN: admin.token };
    const invite = await user.run(["members", "invite", "pending@example.com", "--role", "default", "-o", "json"], { env });
    expect(invite.code, invite.stderr).toBe(0);
    const { invitation } = JSON.parse(invite.stdout) as { invitation: { id: string; mail: string } };
    expect(invitation.mail).toBe("logged");

    const json = await user.run(["members", "invitations", "-o", "json"], { env });
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as { id: string; email: string; roles: string[] }[];
    expect(listed.find((i) => i.id === invitation.id)).toMatchObject({ email: "pending@example.com", roles: ["default"] });
    // Never a link, in any format.
    expect(json.stdout).not.toMatch(/token=|confirm=/);
    const table = await user.run(["members", "invitations", "--team", "alpha"], { env });
    expect(table.stdout).toMatch(/^ID\s+EMAIL\s+ROLES\s+INVITED BY\s+EXPIRES\n/);
    // The inviter shows by address (the token's maker, the owner).
    expect(table.stdout).toMatch(new RegExp(`^${invitation.id}\\s+pending@example\\.com\\s+default\\s+owner@example\\.com\\s`, "m"));

    // No terminal to ask on and no --yes: refused as a usage error, nothing revoked.
    const unconfirmed = await user.run(["members", "revoke-invitation", invitation.id], { env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    expect(
      (await owner.ok<{ invitations: { id: string }[] }>("GET", "/v1/teams/alpha/invitations")).invitations.map((i) => i.id),
    ).toContain(invitation.id);
    const revoked = await user.run(["members", "revoke-invitation", invitation.id, "--yes", "-o", "json"], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: invitation.id, revoked: true });
    const after = await user.run(["members", "invitations", "-o", "json"], { env });
    expect((JSON.parse(after.stdout) as { id: string }[]).map((i) => i.id)).not.toContain(invitation.id);
    expect((await user.run(["members", "revoke-invitation", invitation.id, "--yes"], { env })).code).toBe(1);
  });

  it("follows the audit log with audit tail", async () => {
    const admin = await owner.ok<{ token: string }>("POST", "/v1/teams/beta/tokens", { name: "tail", roleId: "owner" });
    const tail = user.spawn(["audit", "tail", "--event-type", "projects.create", "--interval", "0.2", "-o", "json"], {
      LATCHKEY_TOKEN: admin.token,
    });
    try {
      await tail.waitFor(/"beta-api"/, "stdout");
      await owner.ok("POST", "/v1/teams/beta/projects", { name: "Tailed" });
      await tail.waitFor(/"tailed"/, "stdout");
      // One JSON line per event, each event once (the polls overlap on purpose).
      const lines = tail.stdout().trim().split("\n");
      expect(lines.filter((l) => l.includes('"beta-api"'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('"tailed"'))).toHaveLength(1);
    } finally {
      tail.child.kill("SIGINT");
      await tail.done;
    }
  });

  it("stores a token given by hand after checking it, and manages contexts", async () => {
    const minted = await owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "by hand", roleId: "default" });
    const refused = await user.run(["login", "--host", server!.url, "--token", "nope", "--name", "broken"]);
    expect(refused.code).toBe(1);
    expect(readFileSync(user.configFile, "utf8")).not.toContain('"broken"');

    const stored = await user.run(["login", "--host", server!.url, "--token", "--name", "hand"], { stdin: `${minted.token}\n` });
    expect(stored.code, stored.stderr).toBe(0);
    expect((await user.run(["whoami", "-o", "json"])).stdout).toContain('"entityId": "alpha"');
    expect((await user.run(["projects", "list", "-o", "json"])).stdout).toContain("alpha-web");

    expect((await user.run(["context", "use", "acme"])).code).toBe(0);
    expect((await user.run(["whoami", "-o", "json"])).stdout).toContain('"entityId": "acme"');
    expect((await user.run(["whoami", "--context", "hand", "-o", "json"])).stdout).toContain('"entityId": "alpha"');
    expect((await user.run(["context", "use", "nope"])).code).toBe(2);
    expect((await user.run(["context", "remove", "hand", "--yes"])).code).toBe(0);
    expect((await user.run(["logout"])).code).toBe(0);
    const after = await user.run(["whoami"]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/not logged in/);
  });

  it("treats bad usage as exit 2 and help as success, naming the permission each command needs", async () => {
    expect((await user.run(["projects", "list", "--bogus"])).code).toBe(2);
    expect((await user.run(["tokens", "create", "--name", "x"])).code).toBe(2);
    expect((await user.run(["nonsense"])).code).toBe(2);
    expect((await user.run(["--output", "xml", "whoami"], { env: { LATCHKEY_TOKEN: "x", LATCHKEY_HOST: server!.url } })).code).toBe(2);
    const help = await user.run(["tokens", "create", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Needs permission: team\.tokens\.manage \(team\) or org\.tokens\.manage \(organisation\)/);
    expect((await user.run(["projects", "delete", "--help"])).stdout).toMatch(/Needs permission: project\.delete/);
  });

  it("gives up a login on Ctrl-C: the server forgets it, and a denial ends a waiting login with exit 1", async () => {
    const aborted = user.spawn(["login", "--host", server!.url, "--no-browser"]);
    const [, page] = await aborted.waitFor(LOGIN_PAGE);
    aborted.child.kill("SIGINT");
    const result = await aborted.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/latchkey: login aborted/);
    const late = () =>
      owner.request("POST", "/v1/cli-login/approve", {
        sessionToken: sessionTokenIn(page!),
        orgId: "acme",
        roleId: "member",
        name: "late",
      });
    await expect.poll(async () => (await late()).status, { timeout: 5000 }).toBe(404);

    const denied = user.spawn(["login", "--host", server!.url, "--no-browser"]);
    const [, deniedPage] = await denied.waitFor(LOGIN_PAGE);
    await owner.ok("POST", "/v1/cli-login/deny", { sessionToken: sessionTokenIn(deniedPage!) });
    const end = await denied.done;
    expect(end.code).toBe(1);
    expect(end.stderr).toMatch(/login failed: the login was denied in the browser/);
  });

  it("logs in with a client that speaks the WebSocket protocol byte for byte", async () => {
    const ws = new WebSocket(`${server!.url.replace("http:", "ws:")}/v1/cli-login`);
    const frames: string[] = [];
    const next = () =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no frame within 5 s")), 5000);
        ws.once("message", (data: Buffer) => {
          clearTimeout(timer);
          frames.push(data.toString("utf8"));
          resolve(data.toString("utf8"));
        });
      });
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const ack = next();
    ws.send(Buffer.from('{"type":"init"}', "utf8"), { binary: true });
    const ackText = await ack;
    const match = /^\{"type":"init-ack","loginPage":"http:\/\/latchkey\.e2e\.test\/cli-login\?sessionToken=([A-Za-z0-9_-]{43})"\}$/.exec(
      ackText,
    );
    expect(match, ackText).not.toBeNull();

    const success = next();
    await owner.ok("POST", "/v1/cli-login/approve", { sessionToken: match![1], teamId: "beta", roleId: "default", name: "byte for byte" });
    const successText = await success;
    const parsed = /^\{"type":"login-success","apiToken":"([A-Za-z0-9_.-]+)","contextName":"beta"\}$/.exec(successText);
    expect(parsed, successText).not.toBeNull();
    expect(await closed).toBe(1000);
    expect((await new Api(server!.url).bearer(parsed![1]!).request("GET", "/v1/projects")).status).toBe(200);
  });
});

for (const adminUrl of postgresUrl ? [postgresUrl] : []) {
  describe("CLI login across two server processes on one PostgreSQL", { timeout: 90_000 }, () => {
    let db: E2eDatabase | undefined;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let user: CliUser;

    beforeAll(async () => {
      db = await createDatabase(adminUrl);
      const common = { databaseUrl: db.url, masterKey: randomBytes(32).toString("base64"), publicUrl: PUBLIC_URL };
      a = await startServer({ ...common, name: "A", port: await freePort() });
      b = await startServer({ ...common, name: "B", port: await freePort() });
      await seed(await Api.signIn(a.url));
      user = cliUser();
    }, 90_000);
    afterAll(async () => {
      user?.cleanup();
      await Promise.all([a?.stop(), b?.stop()]);
      await db?.drop();
    }, 30_000);

    it("the CLI waits on A, the approval goes to B, and the token reaches the CLI", async () => {
      const ownerB = await Api.signIn(b!.url);
      await loginThroughBrowser(user, a!.url, ownerB, { orgId: "acme", roleId: "member" }, ["--name", "pg"]);
      const list = await user.run(["projects", "list", "--team", "alpha", "-o", "json"]);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain("alpha-web");

      // A denial through B reaches the CLI waiting on A too.
      const login = user.spawn(["login", "--host", a!.url, "--no-browser"]);
      const [, page] = await login.waitFor(LOGIN_PAGE);
      await ownerB.ok("POST", "/v1/cli-login/deny", { sessionToken: sessionTokenIn(page!) });
      const denied = await login.done;
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/login failed: the login was denied in the browser/);
    });
  });
}
