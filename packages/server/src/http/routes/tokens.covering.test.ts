import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness, type TestReply } from "../../test-support/harness.js";

interface Meta {
  id: string;
  name: string;
  revoked: boolean;
  keys: { id: string }[];
}
interface Created {
  apiToken: Meta;
  token: string;
}

/** Expects the covering rule's 403: it names the permissions the caller lacks, and shows no secret. */
function uncovered(res: TestReply, missing: string[]): void {
  expect(res.status, res.raw).toBe(403);
  expect(res.body.error?.code).toBe("FORBIDDEN");
  const named = res.body.error?.details?.["missing"];
  expect(named).toEqual(expect.arrayContaining(missing));
  expect(named).toContain(res.body.error?.details?.["permission"]);
  expect(res.raw).not.toMatch(/"token":/);
}

// Issue 20, item 6, from the attacker's side: a member whose custom role holds token management (and little else)
// could rename, strip keys from and revoke tokens of roles it could not create. Rotation already checked coverage.
describe.each(dialects())("managing tokens of stronger roles on %s", (kind) => {
  let h: Harness;
  let narrow: Client;
  const alpha = "/v1/teams/alpha";
  const MANAGER = ["team.read", "team.tokens.read", "team.tokens.manage"];
  const mint = (roleId: string, path = alpha, as?: Client) =>
    (as ?? h.owner).ok<Created>("POST", `${path}/tokens`, { name: `${roleId} token`, roleId });
  const meta = (path: string, id: string) => h.owner.ok<Meta>("GET", `${path}/tokens/${id}`);
  const works = async (jwt: string) => (await h.client({ bearer: jwt }).get("/v1/login")).status;

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    await h.owner.ok("POST", `${alpha}/roles`, { id: "token-manager", name: "Token manager", permissions: { teamScope: MANAGER } });
    await h.owner.ok("POST", `${alpha}/roles`, { id: "reader", name: "Reader", permissions: { teamScope: ["team.read"] } });
    narrow = await h.newMember(h.owner, alpha, ["token-manager"]);
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Web" });
    await h.owner.ok("POST", "/v1/orgs/acme/roles", {
      id: "org-token-manager",
      name: "Org token manager",
      permissions: { orgScope: ["org.read", "org.tokens.read", "org.tokens.manage"] },
    });
  });
  afterAll(() => h.close());

  it("a narrow token manager cannot rename, strip a key from, or revoke an owner-role token: 403 naming the gap", async () => {
    const victim = await mint("owner");
    const path = `${alpha}/tokens/${victim.apiToken.id}`;
    const gap = ["team.delete", "team.roles.manage", "team.members.manage", "project.delete"];
    uncovered(await narrow.patch(path, { name: "pwned" }), gap);
    uncovered(await narrow.delete(`${path}/keys/${victim.apiToken.keys[0]?.id ?? ""}`), gap);
    uncovered(await narrow.delete(path), gap);
    // Rotation already refused it; it still does.
    uncovered(await narrow.post(`${path}/keys`, {}), gap);
    expect(await meta(alpha, victim.apiToken.id)).toMatchObject({ name: "owner token", revoked: false, keys: victim.apiToken.keys });
    expect(await works(victim.token)).toBe(200);
  });

  it("nor can a token of that narrow role, through the implied paths", async () => {
    const victim = await mint("admin");
    const bot = h.client({ bearer: (await mint("token-manager")).token });
    const path = `/v1/tokens/${victim.apiToken.id}`;
    uncovered(await bot.patch(path, { name: "pwned" }), ["team.roles.manage"]);
    uncovered(await bot.delete(`${path}/keys/${victim.apiToken.keys[0]?.id ?? ""}`), ["team.roles.manage"]);
    uncovered(await bot.delete(path), ["team.roles.manage"]);
    expect(await meta(alpha, victim.apiToken.id)).toMatchObject({ name: "admin token", revoked: false });
    expect(await works(victim.token)).toBe(200);
  });

  it("the narrow manager still manages tokens of roles it covers: its own and weaker", async () => {
    for (const roleId of ["reader", "token-manager"]) {
      const mine = await mint(roleId, alpha, narrow);
      const path = `${alpha}/tokens/${mine.apiToken.id}`;
      expect(await narrow.ok("PATCH", path, { name: "renamed" })).toMatchObject({ name: "renamed" });
      await narrow.ok("POST", `${path}/keys`, { otherKeysExpiresAt: new Date(Date.now() + 60_000).toISOString() });
      expect(await narrow.ok("DELETE", `${path}/keys/${mine.apiToken.keys[0]?.id ?? ""}`)).toMatchObject({ deleted: true });
      expect(await works(mine.token)).toBe(401);
      expect(await narrow.ok("DELETE", path)).toMatchObject({ revoked: true });
    }
  });

  it("a token may still revoke itself", async () => {
    const self = await mint("token-manager");
    const bot = h.client({ bearer: self.token });
    expect(await bot.ok("DELETE", `/v1/tokens/${self.apiToken.id}`)).toMatchObject({ revoked: true });
    expect(await works(self.token)).toBe(401);
  });

  it("the team owner renames, strips keys from and revokes an owner-role token", async () => {
    const target = await mint("owner");
    const path = `${alpha}/tokens/${target.apiToken.id}`;
    expect(await h.owner.ok("PATCH", path, { name: "renamed by owner" })).toMatchObject({ name: "renamed by owner" });
    await h.owner.ok("POST", `${path}/keys`, { otherKeysExpiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(await h.owner.ok("DELETE", `${path}/keys/${target.apiToken.keys[0]?.id ?? ""}`)).toMatchObject({ deleted: true });
    expect(await h.owner.ok("DELETE", path)).toMatchObject({ revoked: true });
  });

  it("an organisation owner revokes anything in the organisation, its teams' owner tokens included", async () => {
    // A second owner of the organisation only: its power over the team comes from the organisation role.
    const orgOwner = await h.newMember(h.owner, "/v1/orgs/acme", ["owner"]);
    const teamOwnerToken = await mint("owner", "/v1/teams/web");
    const orgOwnerToken = await mint("owner", "/v1/orgs/acme");
    expect(await orgOwner.ok("PATCH", `/v1/teams/web/tokens/${teamOwnerToken.apiToken.id}`, { name: "seen" })).toMatchObject({
      name: "seen",
    });
    expect(await orgOwner.ok("DELETE", `/v1/teams/web/tokens/${teamOwnerToken.apiToken.id}`)).toMatchObject({ revoked: true });
    expect(await orgOwner.ok("DELETE", `/v1/orgs/acme/tokens/${orgOwnerToken.apiToken.id}`)).toMatchObject({ revoked: true });
    expect(await works(teamOwnerToken.token)).toBe(401);
    expect(await works(orgOwnerToken.token)).toBe(401);
  });

  it("a narrow organisation token manager cannot touch an organisation admin token", async () => {
    const manager = await h.newMember(h.owner, "/v1/orgs/acme", ["org-token-manager"]);
    const victim = await mint("admin", "/v1/orgs/acme");
    const path = `/v1/orgs/acme/tokens/${victim.apiToken.id}`;
    uncovered(await manager.patch(path, { name: "pwned" }), ["org.members.manage"]);
    uncovered(await manager.delete(`${path}/keys/${victim.apiToken.keys[0]?.id ?? ""}`), ["org.members.manage"]);
    uncovered(await manager.delete(path), ["org.members.manage"]);
    expect(await works(victim.token)).toBe(200);
  });

  it("a token whose role was deleted was revoked with it and grants nothing: the narrow manager may still rename it", async () => {
    await h.owner.ok("POST", `${alpha}/roles`, { id: "doomed", name: "Doomed", permissions: { teamScope: ["team.read", "team.delete"] } });
    const doomed = await mint("doomed");
    uncovered(await narrow.patch(`${alpha}/tokens/${doomed.apiToken.id}`, { name: "early" }), ["team.delete"]);
    await h.owner.ok("DELETE", `${alpha}/roles/doomed`);
    expect(await narrow.ok("PATCH", `${alpha}/tokens/${doomed.apiToken.id}`, { name: "tidied" })).toMatchObject({
      name: "tidied",
      revoked: true,
    });
  });
});
