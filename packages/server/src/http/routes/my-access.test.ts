import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

interface Access {
  entityType: string;
  entityId: string;
  permissions: string[];
  grantableRoles: string[];
}

// Issue 21.2: one source of truth for what the signed-in person may do, decided by the rules the server applies.
describe.each(dialects())("my-access on %s", (kind) => {
  let h: Harness;
  let member: Client;
  let stranger: Client;

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Alpha" });
    await h.owner.ok("POST", "/v1/teams", { name: "Other" });
    member = await h.newMember(h.owner, "/v1/teams/alpha", ["default"]);
    stranger = await h.newMember(h.owner, "/v1/teams/other", ["owner"]);
  });
  afterAll(() => h.close());

  it("gives an owner every permission of the team and every role to grant", async () => {
    const access = await h.owner.ok<Access>("GET", "/v1/teams/alpha/my-access");
    expect(access).toMatchObject({ entityType: "team", entityId: "alpha" });
    expect(access.permissions).toEqual(
      expect.arrayContaining(["team.tokens.manage", "team.roles.manage", "team.delete", "project.delete"]),
    );
    expect(access.grantableRoles.sort()).toEqual(["admin", "default", "owner"]);
    const org = await h.owner.ok<Access>("GET", "/v1/orgs/acme/my-access");
    expect(org.permissions).toEqual(expect.arrayContaining(["org.delete", "org.roles.manage"]));
    expect(org.permissions.every((p) => p.startsWith("org."))).toBe(true);
  });

  it("gives a Default-role member only what the server then allows, and only the roles it covers", async () => {
    const access = await member.ok<Access>("GET", "/v1/teams/alpha/my-access");
    expect(access.permissions).not.toContain("team.delete");
    expect(access.permissions).not.toContain("project.delete");
    expect(access.grantableRoles).not.toContain("owner");
    expect(access.grantableRoles).not.toContain("admin");
    // Every answer agrees with the server: what is listed works, what is not is refused.
    const tokensAllowed = access.permissions.includes("team.tokens.manage");
    const made = await member.post("/v1/teams/alpha/tokens", { name: "mine", roleId: access.grantableRoles[0] ?? "default" });
    expect(made.status, made.raw).toBe(tokensAllowed ? 200 : 403);
    const rolesAllowed = access.permissions.includes("team.roles.manage");
    const role = await member.post("/v1/teams/alpha/roles", { name: "Tiny", permissions: { teamScope: ["team.read"] } });
    expect(role.status, role.raw).toBe(rolesAllowed ? 200 : 403);
    expect((await member.post("/v1/teams/alpha/tokens", { name: "up", roleId: "owner" })).status).toBe(403);
    expect((await member.delete("/v1/teams/alpha")).status).toBe(403);
  });

  it("is 404 for a team or organisation the caller cannot reach, and needs a credential", async () => {
    expect((await stranger.get("/v1/teams/alpha/my-access")).status).toBe(404);
    expect((await stranger.get("/v1/orgs/acme/my-access")).status).toBe(404);
    expect((await h.anon.get("/v1/teams/alpha/my-access")).status).toBe(401);
    expect((await h.owner.get("/v1/teams/NOT A SLUG/my-access")).status).toBe(400);
  });

  it("answers for an API token from its role", async () => {
    const minted = await h.owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "ci", roleId: "default" });
    const access = await h.client({ bearer: minted.token }).ok<Access>("GET", "/v1/teams/alpha/my-access");
    expect(access.permissions).not.toContain("team.delete");
    expect(access.grantableRoles).not.toContain("owner");
  });
});
