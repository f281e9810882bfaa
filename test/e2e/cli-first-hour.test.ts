/**
 * End to end, the built `latchkey` binary (issue 21.9 and 21.6): the rough edges a newcomer meets in the first hour.
 * Help with the global flags, a host without scheme or with `/v1`, a dead token pointing at `latchkey login`, logout
 * keeping another context in use, a refusal said before the question, restrictions in words, the console's default
 * lifetime, and tables that are human on a terminal and exact when piped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliUser, sessionTokenIn, type CliUser } from "./cli-support.js";
import { Api, ensureBuilt, freePort, startServer, type ServerProcess } from "./support.js";

const ESC = "\u001b[";
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/;

beforeAll(() => ensureBuilt(), 300_000);

describe("the CLI's first hour", { timeout: 90_000 }, () => {
  let server: ServerProcess | undefined;
  let owner: Api;
  let user: CliUser;
  let ownerToken: string;
  let host: string;
  const mint = async (name: string, roleId: string, team = "alpha") =>
    (await owner.ok<{ token: string; apiToken: { id: string } }>("POST", `/v1/teams/${team}/tokens`, { name, roleId })).token;

  beforeAll(async () => {
    server = await startServer({ name: "cli-hour", port: await freePort(), publicUrl: "http://latchkey.e2e.test" });
    owner = await Api.signIn(server.url);
    await owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await owner.ok("POST", "/v1/teams/alpha/projects", { name: "Web" });
    await owner.ok("POST", "/v1/teams/alpha/projects", { name: "Billing" });
    ownerToken = await mint("owner", "owner");
    // As a person types it: no scheme (a local server means http) and the API prefix pasted from the docs.
    host = `127.0.0.1:${server.port}/v1/`;
    user = cliUser();
  }, 60_000);
  afterAll(async () => {
    user?.cleanup();
    await server?.stop();
  }, 20_000);

  it("shows the global flags in every command's help", async () => {
    const help = await user.run(["tokens", "list", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Global Options:/);
    for (const flag of ["--team", "--org", "--output", "--context", "--yes"]) expect(help.stdout).toContain(flag);
  });

  it("takes LATCHKEY_HOST without a scheme and with a trailing /v1", async () => {
    const whoami = await user.run(["whoami", "-o", "json"], { env: { LATCHKEY_TOKEN: ownerToken, LATCHKEY_HOST: host } });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ entityType: "team", entityId: "alpha", role: { id: "owner" } });
  });

  it("points at latchkey login when the token is revoked, and says each thing once", async () => {
    const token = await mint("short-lived", "default");
    const tokens = await owner.ok<{ apiTokens: { id: string; name: string }[] }>("GET", "/v1/teams/alpha/tokens");
    const id = tokens.apiTokens.find((t) => t.name === "short-lived")?.id ?? "";
    await owner.ok("DELETE", `/v1/teams/alpha/tokens/${id}`);
    const refused = await user.run(["projects", "list"], { env: { LATCHKEY_TOKEN: token, LATCHKEY_HOST: host } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^latchkey: token has been revoked \[request req_[\w-]+\]\nRun `latchkey login`/);
    expect(refused.stderr.match(/revoked/g)).toHaveLength(1);
  });

  it("says a command will be refused before asking to confirm it", async () => {
    const reader = await mint("reader", "default");
    const victim = await mint("victim", "owner");
    const tokens = await owner.ok<{ apiTokens: { id: string; name: string }[] }>("GET", "/v1/teams/alpha/tokens");
    const id = tokens.apiTokens.find((t) => t.name === "victim")?.id ?? "";
    const refused = await user.run(["tokens", "revoke", id], { env: { LATCHKEY_TOKEN: reader, LATCHKEY_HOST: host } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/does not hold team\.tokens\.manage, so the server would refuse; nothing was changed/);
    expect(refused.stderr).not.toMatch(/--yes/);
    expect((await owner.bearer(victim).request("GET", "/v1/login")).status).toBe(200);
    // Allowed: the question comes (and, without a terminal, asks for --yes).
    const allowed = await user.run(["tokens", "revoke", id], { env: { LATCHKEY_TOKEN: ownerToken, LATCHKEY_HOST: host } });
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/Revoke token .* pass --yes/);
  });

  it("prints restrictions in words, in roles and in whoami", async () => {
    await owner.ok("POST", "/v1/teams/alpha/roles", {
      name: "Web only",
      permissions: { orgScope: [], teamScope: [], projectScope: ["project.read"] },
      restrictions: { enabled: true, projects: ["web"], restrictionMode: "in" },
    });
    const env = { LATCHKEY_TOKEN: ownerToken, LATCHKEY_HOST: host };
    const role = await user.run(["roles", "get", "web-only"], { env });
    expect(role.stdout).toMatch(/RESTRICTIONS\s+only project web\n/);
    const list = await user.run(["roles", "list"], { env });
    expect(list.stdout).toMatch(/web-only\s+Web only\s+1\s+only project web/);
    const restricted = await mint("web reader", "web-only");
    const whoami = await user.run(["whoami"], { env: { LATCHKEY_TOKEN: restricted, LATCHKEY_HOST: host } });
    expect(whoami.stdout).toMatch(/restrictions\s+only project web\n/);
    // A project outside the restriction: the refusal names the restriction, once, not a permission the token holds.
    const outside = await user.run(["projects", "get", "billing"], { env: { LATCHKEY_TOKEN: restricted, LATCHKEY_HOST: host } });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(
      /^latchkey: project billing is outside the restriction: this token's role is restricted to only project web \(project\.read is held, but not on this project\) \[request req_[\w-]+\]\n$/,
    );
  });

  it("gives a new token the console's default lifetime of 30 days; --expires never for none", async () => {
    const env = { LATCHKEY_TOKEN: ownerToken, LATCHKEY_HOST: host };
    const made = await user.run(["tokens", "create", "--name", "default life", "--role", "default", "-o", "json"], { env });
    expect(made.code, made.stderr).toBe(0);
    const expiresAt = (JSON.parse(made.stdout) as { apiToken: { expiresAt: string } }).apiToken.expiresAt;
    expect(Math.round((Date.parse(expiresAt) - Date.now()) / 86_400_000)).toBe(30);
    const forever = await user.run(["tokens", "create", "--name", "forever", "--role", "default", "--expires", "never", "-o", "json"], {
      env,
    });
    expect((JSON.parse(forever.stdout) as { apiToken: { expiresAt: string | null } }).apiToken.expiresAt).toBeNull();
  });

  it("shows colour and relative times on a terminal, exact times when piped or as json", async () => {
    const env = { LATCHKEY_TOKEN: ownerToken, LATCHKEY_HOST: host };
    const piped = await user.run(["tokens", "get", "--team", "alpha", await firstTokenId()], { env });
    expect(piped.stdout).toMatch(ISO);
    expect(piped.stdout).not.toContain(ESC);
    const terminal = await user.run(["tokens", "list"], { env: { ...env, FORCE_COLOR: "1" } });
    expect(terminal.code, terminal.stderr).toBe(0);
    expect(terminal.stdout).toContain(`${ESC}1mID`);
    expect(terminal.stdout).toContain(`${ESC}32mactive`);
    expect(terminal.stdout).toMatch(/in 30 days|just now|ago/);
    expect(terminal.stdout).not.toMatch(ISO);
    const noColour = await user.run(["tokens", "list"], { env: { ...env, FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(noColour.stdout).not.toContain(ESC);
    expect(noColour.stdout).toMatch(/in 30 days|ago/);
    const json = await user.run(["tokens", "list", "-o", "json"], { env: { ...env, FORCE_COLOR: "1" } });
    expect(json.stdout).not.toContain(ESC);
    expect(json.stdout).toMatch(ISO);
  });

  it("logout keeps another saved context in use", async () => {
    const second = await mint("second", "owner");
    expect((await user.run(["login", "--host", host, "--token", ownerToken, "--name", "first"])).code).toBe(0);
    expect((await user.run(["login", "--host", host, "--token", second, "--name", "second"])).code).toBe(0);
    const out = await user.run(["logout"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/Logged out of context 'second'\. Now using context 'first'\./);
    const whoami = await user.run(["whoami", "-o", "json"]);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ name: "owner" });
    const last = await user.run(["logout"]);
    expect(last.stderr).toMatch(/Logged out of context 'first'\.\n/);
  });

  it("login shows a pairing code, and the approval page's API shows the same one", async () => {
    const login = user.spawn(["login", "--host", host, "--no-browser", "--name", "paired"]);
    const [, page] = await login.waitFor(/Open this page to approve the login:\n\s+(\S+)/);
    const [, code] = await login.waitFor(/Pairing code: ([A-Z0-9]{4}-[A-Z0-9]{4})\nApprove only if the page shows this same code/);
    const sessionToken = sessionTokenIn(page!);
    const described = await owner.ok<{ pairingCode: string | null }>("POST", "/v1/cli-login/describe", { sessionToken });
    expect(described.pairingCode).toBe(code);
    await owner.ok("POST", "/v1/cli-login/approve", { sessionToken, teamId: "alpha", roleId: "default", name: "paired laptop" });
    const done = await login.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/context 'paired' is now in use/);
  });

  async function firstTokenId(): Promise<string> {
    const tokens = await owner.ok<{ apiTokens: { id: string }[] }>("GET", "/v1/teams/alpha/tokens");
    return tokens.apiTokens[0]?.id ?? "";
  }
});
