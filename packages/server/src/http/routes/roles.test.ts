import { DEFAULT_ORG_ROLES, DEFAULT_TEAM_ROLES } from "@latchkey/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";
import { everyPage } from "../../test-support/pages.js";

interface PermissionSet {
  orgScope: string[];
  teamScope: string[];
  projectScope: string[];
}
interface Role {
  id: string;
  name: string;
  description: string;
  permissions: PermissionSet;
  restrictions: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}
interface Member {
  userId: string;
  email: string;
  name: string;
  roles: string[];
  joinedAt: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UNRESTRICTED = { enabled: false, projects: [], restrictionMode: "in" };
const sorted = (ids: string[]) => [...ids].sort();

describe.each(dialects())("roles on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Platform" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Web" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Data" });
  });
  afterAll(() => h.close());

  describe("team roles", () => {
    it("starts a new team with owner, admin and default, in the documented shape", async () => {
      const res = await h.owner.get("/v1/teams/platform/roles");
      expect(res.status).toBe(200);
      const roles = (res.body.data as { roles: Role[] }).roles;
      expect(sorted(roles.map((r) => r.id))).toEqual(["admin", "default", "owner"]);
      expect(res.body.pagination).toEqual({ hasNextPage: false, count: 3 });
      for (const role of roles) {
        expect(Object.keys(role).sort()).toEqual(["createdAt", "description", "id", "name", "permissions", "restrictions", "updatedAt"]);
        expect(role.createdAt).toMatch(ISO);
        expect(role.updatedAt).toMatch(ISO);
        expect(role.restrictions).toEqual(UNRESTRICTED);
        expect(role.permissions.orgScope).toEqual([]);
        const seeded = DEFAULT_TEAM_ROLES.find((d) => d.id === role.id);
        expect(role.permissions).toEqual(seeded?.permissions);
      }
      const owner = roles.find((r) => r.id === "owner");
      expect(owner?.permissions.teamScope).toContain("team.delete");
      expect(roles.find((r) => r.id === "admin")?.permissions.teamScope).not.toContain("team.delete");
    });

    it("creates a role with a slug id, defaults and restrictions, then gets, edits and deletes it", async () => {
      const created = await h.owner.ok<Role>("POST", "/v1/teams/platform/roles", {
        name: "Release Managers",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.update", "project.read"] },
      });
      expect(created).toMatchObject({
        id: "release-managers",
        name: "Release Managers",
        description: "",
        permissions: { orgScope: [], teamScope: ["team.read"], projectScope: ["project.read", "project.update"] },
        restrictions: UNRESTRICTED,
      });
      expect(created.createdAt).toMatch(ISO);
      expect(created.updatedAt).toBe(created.createdAt);

      const list = await h.owner.ok<{ roles: Role[] }>("GET", "/v1/teams/platform/roles");
      expect(list.roles[0]?.id).toBe("release-managers");
      expect(await h.owner.ok("GET", "/v1/teams/platform/roles/release-managers")).toEqual(created);

      const edited = await h.owner.ok<Role>("PATCH", "/v1/teams/platform/roles/release-managers", {
        description: "ship it",
        restrictions: { enabled: true, projects: ["billing"], restrictionMode: "notIn" },
      });
      expect(edited).toMatchObject({
        id: "release-managers",
        name: "Release Managers",
        description: "ship it",
        permissions: created.permissions,
        restrictions: { enabled: true, projects: ["billing"], restrictionMode: "notIn" },
        createdAt: created.createdAt,
      });
      expect(Date.parse(edited.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
      expect(await h.owner.ok("GET", "/v1/teams/platform/roles/release-managers")).toEqual(edited);

      const renamed = await h.owner.ok<Role>("PATCH", "/v1/teams/platform/roles/release-managers", {
        name: "Releasers",
        permissions: { projectScope: ["project.read"] },
      });
      expect(renamed).toMatchObject({
        id: "release-managers",
        name: "Releasers",
        permissions: { orgScope: [], teamScope: [], projectScope: ["project.read"] },
      });

      expect(await h.owner.ok("DELETE", "/v1/teams/platform/roles/release-managers")).toEqual({ id: "release-managers", deleted: true });
      const gone = await h.owner.get("/v1/teams/platform/roles/release-managers");
      expect(gone.status).toBe(404);
      expect(gone.body.error?.code).toBe("NOT_FOUND");
      expect((await h.owner.delete("/v1/teams/platform/roles/release-managers")).status).toBe(404);
      expect((await h.owner.patch("/v1/teams/platform/roles/release-managers", { name: "x" })).status).toBe(404);
    });

    it("takes an explicit id and refuses a duplicate id with 409", async () => {
      expect(await h.owner.ok("POST", "/v1/teams/platform/roles", { id: "ops", name: "Operations", permissions: {} })).toMatchObject({
        id: "ops",
      });
      const dup = await h.owner.post("/v1/teams/platform/roles", { id: "ops", name: "Something else", permissions: {} });
      expect(dup.status).toBe(409);
      expect(dup.body.error?.code).toBe("CONFLICT");
      const byName = await h.owner.post("/v1/teams/platform/roles", { name: "Admin", permissions: {} });
      expect(byName.status).toBe(409);
      // The seeded admin role is untouched by the refused create.
      expect(await h.owner.ok("GET", "/v1/teams/platform/roles/admin")).toMatchObject({
        name: "Admin",
        permissions: DEFAULT_TEAM_ROLES[1].permissions,
      });
    });

    it("refuses bad input with 400 naming the field", async () => {
      const unknownPermission = await h.owner.post("/v1/teams/platform/roles", {
        name: "Bad",
        permissions: { projectScope: ["project.launch"] },
      });
      expect(unknownPermission.status).toBe(400);
      expect(unknownPermission.body.error?.code).toBe("VALIDATION_FAILED");
      expect(unknownPermission.body.error?.details).toHaveProperty(["fields", "permissions.projectScope"]);

      const wrongScope = await h.owner.post("/v1/teams/platform/roles", { name: "Bad", permissions: { teamScope: ["project.read"] } });
      expect(wrongScope.status).toBe(400);
      expect(wrongScope.body.error?.details).toHaveProperty(["fields", "permissions.teamScope"]);

      const orgOnTeam = await h.owner.post("/v1/teams/platform/roles", { name: "Bad", permissions: { orgScope: ["org.read"] } });
      expect(orgOnTeam.status).toBe(400);
      expect(orgOnTeam.body.error?.details).toHaveProperty(["fields", "permissions.orgScope"]);
      const orgOnTeamPatch = await h.owner.patch("/v1/teams/platform/roles/default", { permissions: { orgScope: ["org.read"] } });
      expect(orgOnTeamPatch.status).toBe(400);
      expect(orgOnTeamPatch.body.error?.details).toHaveProperty(["fields", "permissions.orgScope"]);

      const extra = await h.owner.post("/v1/teams/platform/roles", { name: "Bad", permissions: {}, colour: "red" });
      expect(extra.status).toBe(400);
      expect(JSON.stringify(extra.body.error?.details)).toContain("colour");

      const badSlug = await h.owner.post("/v1/teams/platform/roles", { id: "Not A Slug", name: "Bad", permissions: {} });
      expect(badSlug.status).toBe(400);
      expect(badSlug.body.error?.details).toHaveProperty(["fields", "id"]);

      const noPermissions = await h.owner.post("/v1/teams/platform/roles", { name: "Bad" });
      expect(noPermissions.status).toBe(400);
      expect(noPermissions.body.error?.details).toHaveProperty(["fields", "permissions"]);

      const orgShapedRestrictions = await h.owner.post("/v1/teams/platform/roles", {
        name: "Bad",
        permissions: {},
        restrictions: { enabled: true, teams: [] },
      });
      expect(orgShapedRestrictions.status).toBe(400);
      expect(JSON.stringify(orgShapedRestrictions.body.error?.details)).toContain("restrictions");

      const badMode = await h.owner.post("/v1/teams/platform/roles", {
        name: "Bad",
        permissions: {},
        restrictions: { enabled: true, projects: [], restrictionMode: "sometimes" },
      });
      expect(badMode.status).toBe(400);
      expect(badMode.body.error?.details).toHaveProperty(["fields", "restrictions.restrictionMode"]);

      const list = await h.owner.ok<{ roles: Role[] }>("GET", "/v1/teams/platform/roles");
      expect(list.roles.map((r) => r.id)).not.toContain("bad");
    });

    it("never deletes the owner role (409) nor changes what it holds (400), but may rename it", async () => {
      const del = await h.owner.delete("/v1/teams/platform/roles/owner");
      expect(del.status).toBe(409);
      expect(del.body.error?.code).toBe("CONFLICT");

      const perms = await h.owner.patch("/v1/teams/platform/roles/owner", { permissions: { teamScope: ["team.read"] } });
      expect(perms.status).toBe(400);
      expect(perms.body.error?.code).toBe("VALIDATION_FAILED");
      expect(perms.body.error?.details).toHaveProperty(["fields", "permissions"]);

      const restrictions = await h.owner.patch("/v1/teams/platform/roles/owner", {
        restrictions: { enabled: true, projects: [], restrictionMode: "in" },
      });
      expect(restrictions.status).toBe(400);

      const owner = await h.owner.ok<Role>("GET", "/v1/teams/platform/roles/owner");
      expect(owner.permissions).toEqual(DEFAULT_TEAM_ROLES[0].permissions);
      expect(owner.restrictions).toEqual(UNRESTRICTED);
      expect(await h.owner.ok("PATCH", "/v1/teams/platform/roles/owner", { description: "the buck stops here" })).toMatchObject({
        id: "owner",
        description: "the buck stops here",
        permissions: DEFAULT_TEAM_ROLES[0].permissions,
      });
    });

    it("paginates roles with a cursor that is absent on the last page", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Many Roles" });
      for (let i = 0; i < 3; i++) await h.owner.ok("POST", "/v1/teams/many-roles/roles", { name: `r${i}`, permissions: {} });
      const { items, pages } = await everyPage<Role>(h.owner, "/v1/teams/many-roles/roles?per_page=2", "roles");
      expect(sorted(items.map((r) => r.id))).toEqual(["admin", "default", "owner", "r0", "r1", "r2"]);
      expect(pages).toBe(3);
      expect((await h.owner.get("/v1/teams/many-roles/roles?per_page=101")).status).toBe(400);
    });

    it("answers 404 for a role or team that does not exist", async () => {
      expect((await h.owner.get("/v1/teams/platform/roles/nobody")).status).toBe(404);
      expect((await h.owner.get("/v1/teams/no-such-team/roles")).status).toBe(404);
      expect((await h.owner.post("/v1/teams/no-such-team/roles", { name: "x", permissions: {} })).status).toBe(404);
    });
  });

  describe("organisation roles", () => {
    it("starts a new organisation with owner, admin and member", async () => {
      const roles = (await h.owner.ok<{ roles: Role[] }>("GET", "/v1/orgs/acme/roles")).roles;
      expect(sorted(roles.map((r) => r.id))).toEqual(["admin", "member", "owner"]);
      for (const role of roles) {
        expect(role.restrictions).toEqual({ enabled: false, teams: [] });
        expect(role.permissions).toEqual(DEFAULT_ORG_ROLES.find((d) => d.id === role.id)?.permissions);
        expect(role.createdAt).toMatch(ISO);
        expect(role.updatedAt).toMatch(ISO);
      }
      const member = roles.find((r) => r.id === "member");
      expect(member?.permissions.orgScope).toContain("org.roles.read");
      expect(member?.permissions.orgScope).not.toContain("org.roles.manage");
    });

    it("creates, gets, edits and deletes a role restricted to teams of the organisation", async () => {
      const restrictions = {
        enabled: true,
        teams: [{ teamId: "web", restrictions: { enabled: true, projects: ["site"], restrictionMode: "in" } }, { teamId: "data" }],
      };
      const created = await h.owner.ok<Role>("POST", "/v1/orgs/acme/roles", {
        name: "Web Readers",
        description: "read web",
        permissions: { orgScope: ["org.read"], teamScope: ["team.read"], projectScope: ["project.read"] },
        restrictions,
      });
      expect(created).toMatchObject({
        id: "web-readers",
        name: "Web Readers",
        description: "read web",
        permissions: { orgScope: ["org.read"], teamScope: ["team.read"], projectScope: ["project.read"] },
        restrictions: {
          enabled: true,
          teams: [
            { teamId: "web", restrictions: { enabled: true, projects: ["site"], restrictionMode: "in" } },
            { teamId: "data", restrictions: UNRESTRICTED },
          ],
        },
      });
      expect(created.createdAt).toMatch(ISO);
      expect(await h.owner.ok("GET", "/v1/orgs/acme/roles/web-readers")).toEqual(created);

      const edited = await h.owner.ok<Role>("PATCH", "/v1/orgs/acme/roles/web-readers", {
        restrictions: { enabled: true, teams: [{ teamId: "data" }] },
      });
      expect(edited.restrictions).toEqual({ enabled: true, teams: [{ teamId: "data", restrictions: UNRESTRICTED }] });
      expect(edited.permissions).toEqual(created.permissions);

      expect(await h.owner.ok("DELETE", "/v1/orgs/acme/roles/web-readers")).toEqual({ id: "web-readers", deleted: true });
      expect((await h.owner.get("/v1/orgs/acme/roles/web-readers")).status).toBe(404);
    });

    it("refuses restrictions naming a team outside the organisation (400 naming the field)", async () => {
      for (const teamId of ["platform", "no-such-team"]) {
        const res = await h.owner.post("/v1/orgs/acme/roles", {
          name: "Outsider",
          permissions: { teamScope: ["team.read"] },
          restrictions: { enabled: true, teams: [{ teamId }] },
        });
        expect(res.status).toBe(400);
        expect(res.body.error?.code).toBe("VALIDATION_FAILED");
        expect(res.body.error?.details).toHaveProperty(["fields", "restrictions.teams"]);
        expect(res.body.error?.message).toContain(teamId);
      }
      await h.owner.ok("POST", "/v1/orgs/acme/roles", {
        name: "Insider",
        permissions: {},
        restrictions: { enabled: true, teams: [{ teamId: "web" }] },
      });
      const patched = await h.owner.patch("/v1/orgs/acme/roles/insider", {
        restrictions: { enabled: true, teams: [{ teamId: "web" }, { teamId: "platform" }] },
      });
      expect(patched.status).toBe(400);
      expect(patched.body.error?.details).toHaveProperty(["fields", "restrictions.teams"]);
      expect((await h.owner.ok<Role>("GET", "/v1/orgs/acme/roles/insider")).restrictions).toEqual({
        enabled: true,
        teams: [{ teamId: "web", restrictions: UNRESTRICTED }],
      });
    });

    it("refuses unknown permissions, team-shaped restrictions and duplicates", async () => {
      const unknown = await h.owner.post("/v1/orgs/acme/roles", { name: "Bad", permissions: { orgScope: ["org.everything"] } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error?.details).toHaveProperty(["fields", "permissions.orgScope"]);
      const teamShaped = await h.owner.post("/v1/orgs/acme/roles", {
        name: "Bad",
        permissions: {},
        restrictions: { enabled: true, projects: ["x"], restrictionMode: "in" },
      });
      expect(teamShaped.status).toBe(400);
      const dup = await h.owner.post("/v1/orgs/acme/roles", { name: "Member", permissions: {} });
      expect(dup.status).toBe(409);
      expect(dup.body.error?.code).toBe("CONFLICT");
    });

    it("never deletes the organisation owner role nor changes its permissions", async () => {
      expect((await h.owner.delete("/v1/orgs/acme/roles/owner")).status).toBe(409);
      const res = await h.owner.patch("/v1/orgs/acme/roles/owner", { permissions: { orgScope: ["org.read"] } });
      expect(res.status).toBe(400);
      expect(res.body.error?.details).toHaveProperty(["fields", "permissions"]);
      expect((await h.owner.ok<Role>("GET", "/v1/orgs/acme/roles/owner")).permissions).toEqual(DEFAULT_ORG_ROLES[0].permissions);
    });

    it("keeps team and organisation roles apart", async () => {
      await h.owner.ok("POST", "/v1/orgs/acme/roles", { id: "auditors", name: "Auditors", permissions: { orgScope: ["org.audit.read"] } });
      expect((await h.owner.get("/v1/teams/web/roles/auditors")).status).toBe(404);
      expect((await h.owner.get("/v1/orgs/acme/roles/default")).status).toBe(404);
      await h.owner.ok("POST", "/v1/teams/web/roles", {
        id: "auditors",
        name: "Team Auditors",
        permissions: { teamScope: ["team.audit.read"] },
      });
      expect(await h.owner.ok("GET", "/v1/orgs/acme/roles/auditors")).toMatchObject({ name: "Auditors" });
      expect(await h.owner.ok("GET", "/v1/teams/web/roles/auditors")).toMatchObject({ name: "Team Auditors" });
    });
  });

  describe("role members", () => {
    it("lists, adds and removes the holders of a team role", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Holders" });
      await h.owner.ok("POST", "/v1/teams/holders/roles", { id: "viewers", name: "Viewers", permissions: { teamScope: ["team.read"] } });
      const person = await h.newMember(h.owner, "/v1/teams/holders", ["default"]);

      const owners = await h.owner.get("/v1/teams/holders/roles/owner/members");
      expect(owners.status).toBe(200);
      expect((owners.body.data as { members: Member[] }).members.map((m) => m.userId)).toEqual([h.owner.userId]);
      expect(owners.body.pagination).toEqual({ hasNextPage: false, count: 1 });
      expect((await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/holders/roles/viewers/members")).members).toEqual([]);

      const added = await h.owner.ok<Member>("POST", "/v1/teams/holders/roles/viewers/members", { userId: person.userId });
      expect(added).toMatchObject({ userId: person.userId, roles: ["default", "viewers"] });
      expect(added.joinedAt).toMatch(ISO);
      // Adding it again changes nothing.
      expect(await h.owner.ok("POST", "/v1/teams/holders/roles/viewers/members", { userId: person.userId })).toMatchObject({
        roles: ["default", "viewers"],
      });
      const viewers = await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/holders/roles/viewers/members");
      expect(viewers.members.map((m) => m.userId)).toEqual([person.userId]);

      expect(await h.owner.ok("DELETE", `/v1/teams/holders/roles/viewers/members/${person.userId}`)).toMatchObject({
        userId: person.userId,
        roles: ["default"],
      });
      expect((await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/holders/roles/viewers/members")).members).toEqual([]);
      const again = await h.owner.delete(`/v1/teams/holders/roles/viewers/members/${person.userId}`);
      expect(again.status).toBe(404);
    });

    it("answers 404 for an unknown role or a person who is not a member, and 400 for a bad body", async () => {
      expect((await h.owner.get("/v1/teams/holders/roles/nobody/members")).status).toBe(404);
      expect((await h.owner.post("/v1/teams/holders/roles/nobody/members", { userId: h.owner.userId })).status).toBe(404);
      const outsider = await h.newMember(h.owner, "/v1/teams/platform", ["default"]);
      expect((await h.owner.post("/v1/teams/holders/roles/viewers/members", { userId: outsider.userId })).status).toBe(404);
      expect((await h.owner.post("/v1/teams/holders/roles/viewers/members", { userId: "usr_nobody" })).status).toBe(404);
      const bad = await h.owner.post("/v1/teams/holders/roles/viewers/members", {});
      expect(bad.status).toBe(400);
      expect(bad.body.error?.details).toHaveProperty(["fields", "userId"]);
    });

    it("takes a deleted role from everyone who held it, and the access with it", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Doomed" });
      await h.owner.ok("POST", "/v1/teams/doomed/projects", { name: "Thing" });
      await h.owner.ok("POST", "/v1/teams/doomed/roles", {
        id: "readers",
        name: "Readers",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      const reader = await h.newMember(h.owner, "/v1/teams/doomed", ["readers", "default"]);
      expect((await reader.get("/v1/teams/doomed/projects/thing")).status).toBe(200);
      await h.owner.ok("PATCH", `/v1/teams/doomed/members/${reader.userId}`, { roles: ["readers"] });

      await h.owner.ok("DELETE", "/v1/teams/doomed/roles/readers");
      const members = await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/doomed/members");
      expect(members.members.find((m) => m.userId === reader.userId)?.roles).toEqual([]);
      // Holding no role there, the team is out of reach altogether.
      expect((await reader.get("/v1/teams/doomed/projects/thing")).status).toBe(404);
      // A role of the same id created later grants nothing to the former holders.
      await h.owner.ok("POST", "/v1/teams/doomed/roles", {
        id: "readers",
        name: "Readers",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      });
      expect((await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/doomed/roles/readers/members")).members).toEqual([]);
    });

    it("lists, adds and removes holders of an organisation role", async () => {
      const person = await h.newMember(h.owner, "/v1/orgs/acme", ["member"]);
      const holders = await h.owner.ok<{ members: Member[] }>("GET", "/v1/orgs/acme/roles/member/members");
      expect(holders.members.map((m) => m.userId)).toEqual([person.userId]);
      expect(await h.owner.ok("POST", "/v1/orgs/acme/roles/auditors/members", { userId: person.userId })).toMatchObject({
        roles: ["auditors", "member"],
      });
      expect(await h.owner.ok("DELETE", `/v1/orgs/acme/roles/member/members/${person.userId}`)).toMatchObject({ roles: ["auditors"] });
      const lastOwner = await h.owner.delete(`/v1/orgs/acme/roles/owner/members/${h.owner.userId}`);
      expect(lastOwner.status).toBe(409);
      expect(lastOwner.body.error?.code).toBe("CONFLICT");
    });
  });
});
