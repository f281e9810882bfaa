import { forbidden } from "../../test-support/refusals.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { OWNER_EMAIL, OWNER_PASSWORD, startHarness, type Client, type Harness, type TestReply } from "../../test-support/harness.js";

interface Role {
  id: string;
  permissions: { orgScope: string[]; teamScope: string[]; projectScope: string[] };
  restrictions: Record<string, unknown>;
}
interface Member {
  userId: string;
  roles: string[];
}

const ids = (res: TestReply, key: string) => ((res.body.data as Record<string, { id: string }[]>)[key] ?? []).map((x) => x.id);

describe.each(dialects())("roles security on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    for (const name of ["Alpha", "Bravo"]) await h.owner.ok("POST", "/v1/teams", { name });
    for (const name of ["one", "two"]) await h.owner.ok("POST", "/v1/teams/alpha/projects", { name });
    await h.owner.ok("POST", "/v1/teams/alpha/roles", {
      id: "deleter",
      name: "Deleter",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.delete"] },
    });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    for (const name of ["Web", "Data"]) await h.owner.ok("POST", "/v1/orgs/acme/teams", { name });
    for (const name of ["site", "shop"]) await h.owner.ok("POST", "/v1/teams/web/projects", { name });
    await h.owner.ok("POST", "/v1/teams/data/projects", { name: "warehouse" });
  });
  afterAll(() => h.close());

  describe("no escalation for a team admin (everything but deleting)", () => {
    let admin: Client;
    let plain: Client;
    beforeAll(async () => {
      admin = await h.newMember(h.owner, "/v1/teams/alpha", ["admin"]);
      plain = await h.newMember(h.owner, "/v1/teams/alpha", ["default"]);
    });

    it("may create a role within what it holds, but not one holding a permission it lacks", async () => {
      expect(
        await admin.ok("POST", "/v1/teams/alpha/roles", {
          name: "Editors",
          permissions: { teamScope: ["team.read"], projectScope: ["project.update"] },
        }),
      ).toMatchObject({ id: "editors" });
      const res = await admin.post("/v1/teams/alpha/roles", {
        name: "Wreckers",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.delete"] },
      });
      forbidden(res, "project.delete");
      expect(res.body.error?.details?.["missing"]).toEqual(["project.delete"]);
      forbidden(
        await admin.post("/v1/teams/alpha/roles", { name: "Wreckers", permissions: { teamScope: ["team.delete"] } }),
        "team.delete",
      );
      expect((await h.owner.get("/v1/teams/alpha/roles/wreckers")).status).toBe(404);
    });

    it("cannot give itself the owner role, by any route", async () => {
      forbidden(await admin.patch(`/v1/teams/alpha/members/${admin.userId}`, { roles: ["admin", "owner"] }), "team.delete");
      forbidden(await admin.post("/v1/teams/alpha/roles/owner/members", { userId: admin.userId }), "team.delete");
      forbidden(await admin.post(`/v1/teams/alpha/roles/deleter/members`, { userId: admin.userId }), "project.delete");
      const me = await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/alpha/members");
      expect(me.members.find((m) => m.userId === admin.userId)?.roles).toEqual(["admin"]);
    });

    it("cannot hand others a role exceeding its own, nor invite with one", async () => {
      forbidden(await admin.patch(`/v1/teams/alpha/members/${plain.userId}`, { roles: ["owner"] }), "team.delete");
      forbidden(await admin.patch(`/v1/teams/alpha/members/${plain.userId}`, { roles: ["default", "deleter"] }), "project.delete");
      forbidden(await admin.post("/v1/teams/alpha/roles/owner/members", { userId: plain.userId }), "team.delete");
      forbidden(await admin.post("/v1/teams/alpha/members", { email: "newbie@example.com", roles: ["deleter"] }), "project.delete");
      forbidden(await admin.post("/v1/teams/alpha/members", { email: OWNER_EMAIL, roles: ["owner"] }), "team.delete");
      // What it holds it may hand out.
      expect(await admin.ok("PATCH", `/v1/teams/alpha/members/${plain.userId}`, { roles: ["default", "editors"] })).toMatchObject({
        roles: ["default", "editors"],
      });
      expect(await admin.ok("PATCH", `/v1/teams/alpha/members/${plain.userId}`, { roles: ["default"] })).toMatchObject({
        roles: ["default"],
      });
    });

    it("cannot edit or delete a role holding more than it does, nor grow a role past itself", async () => {
      forbidden(await admin.patch("/v1/teams/alpha/roles/deleter", { description: "harmless" }), "project.delete");
      forbidden(await admin.patch("/v1/teams/alpha/roles/deleter", { permissions: { teamScope: ["team.read"] } }), "project.delete");
      forbidden(await admin.delete("/v1/teams/alpha/roles/deleter"), "project.delete");
      forbidden(await admin.patch("/v1/teams/alpha/roles/owner", { name: "Owned" }), "team.delete");
      forbidden(
        await admin.patch("/v1/teams/alpha/roles/editors", { permissions: { projectScope: ["project.update", "project.delete"] } }),
        "project.delete",
      );
      forbidden(
        await admin.patch("/v1/teams/alpha/roles/admin", { permissions: { teamScope: ["team.read", "team.delete"] } }),
        "team.delete",
      );
      const deleter = await h.owner.ok<Role>("GET", "/v1/teams/alpha/roles/deleter");
      expect(deleter.permissions.projectScope).toEqual(["project.read", "project.delete"]);
      expect(await admin.ok("PATCH", "/v1/teams/alpha/roles/editors", { permissions: { projectScope: ["project.read"] } })).toMatchObject({
        permissions: { projectScope: ["project.read"] },
      });
      expect(await admin.ok("DELETE", "/v1/teams/alpha/roles/editors")).toEqual({ id: "editors", deleted: true });
    });

    it("a restricted role manager cannot lift its own project restrictions", async () => {
      await h.owner.ok("POST", "/v1/teams/alpha/roles", {
        id: "one-manager",
        name: "One manager",
        permissions: { teamScope: ["team.read", "team.roles.read", "team.roles.manage"], projectScope: ["project.read"] },
        restrictions: { enabled: true, projects: ["one"], restrictionMode: "in" },
      });
      const manager = await h.newMember(h.owner, "/v1/teams/alpha", ["one-manager"]);
      forbidden(
        await manager.post("/v1/teams/alpha/roles", { name: "All projects", permissions: { projectScope: ["project.read"] } }),
        "restrictions",
      );
      const wider = { enabled: true, projects: ["two"], restrictionMode: "notIn" };
      forbidden(
        await manager.post("/v1/teams/alpha/roles", {
          name: "Not two",
          permissions: { projectScope: ["project.read"] },
          restrictions: wider,
        }),
        "restrictions",
      );
      forbidden(
        await manager.post("/v1/teams/alpha/roles", {
          name: "Two",
          permissions: { projectScope: ["project.read"] },
          restrictions: { enabled: true, projects: ["two"], restrictionMode: "in" },
        }),
        "restrictions",
      );
      forbidden(
        await manager.patch("/v1/teams/alpha/roles/one-manager", { restrictions: { enabled: false, projects: [], restrictionMode: "in" } }),
        "restrictions",
      );
      expect(
        await manager.ok("POST", "/v1/teams/alpha/roles", {
          name: "One reader",
          permissions: { projectScope: ["project.read"] },
          restrictions: { enabled: true, projects: ["one"], restrictionMode: "in" },
        }),
      ).toMatchObject({ id: "one-reader" });
    });

    it("a member without team.roles.manage reads roles but gets 403 naming the permission on every change", async () => {
      expect(ids(await plain.get("/v1/teams/alpha/roles"), "roles")).toContain("owner");
      expect((await plain.get("/v1/teams/alpha/roles/admin")).status).toBe(200);
      forbidden(await plain.post("/v1/teams/alpha/roles", { name: "Mine", permissions: {} }), "team.roles.manage");
      forbidden(await plain.patch("/v1/teams/alpha/roles/default", { description: "x" }), "team.roles.manage");
      forbidden(await plain.delete("/v1/teams/alpha/roles/deleter"), "team.roles.manage");
      forbidden(await plain.post("/v1/teams/alpha/roles/default/members", { userId: plain.userId }), "team.members.manage");
      forbidden(await plain.delete(`/v1/teams/alpha/roles/default/members/${plain.userId}`), "team.members.manage");
    });

    it("a member whose role lacks team.roles.read gets 403 naming it", async () => {
      await h.owner.ok("POST", "/v1/teams/alpha/roles", { id: "blind", name: "Blind", permissions: { teamScope: ["team.read"] } });
      const blind = await h.newMember(h.owner, "/v1/teams/alpha", ["blind"]);
      forbidden(await blind.get("/v1/teams/alpha/roles"), "team.roles.read");
      forbidden(await blind.get("/v1/teams/alpha/roles/owner"), "team.roles.read");
      forbidden(await blind.get("/v1/teams/alpha/roles/owner/members"), "team.members.read");
    });
  });

  describe("other tenants", () => {
    it("a member of one team gets 404 for every role and member route of another", async () => {
      const outsider = await h.newMember(h.owner, "/v1/teams/bravo", ["owner"]);
      const requests: [string, () => Promise<TestReply>][] = [
        ["list roles", () => outsider.get("/v1/teams/alpha/roles")],
        ["get role", () => outsider.get("/v1/teams/alpha/roles/admin")],
        ["create role", () => outsider.post("/v1/teams/alpha/roles", { name: "Mine", permissions: {} })],
        ["edit role", () => outsider.patch("/v1/teams/alpha/roles/default", { description: "x" })],
        ["delete role", () => outsider.delete("/v1/teams/alpha/roles/deleter")],
        ["role members", () => outsider.get("/v1/teams/alpha/roles/owner/members")],
        ["add role member", () => outsider.post("/v1/teams/alpha/roles/owner/members", { userId: outsider.userId })],
        ["remove role member", () => outsider.delete(`/v1/teams/alpha/roles/owner/members/${h.owner.userId}`)],
        ["list members", () => outsider.get("/v1/teams/alpha/members")],
        ["invite", () => outsider.post("/v1/teams/alpha/members", { email: "x@example.com", roles: ["default"] })],
        ["change member", () => outsider.patch(`/v1/teams/alpha/members/${h.owner.userId}`, { roles: ["default"] })],
        ["remove member", () => outsider.delete(`/v1/teams/alpha/members/${h.owner.userId}`)],
        ["org roles", () => outsider.get("/v1/orgs/acme/roles")],
        ["org role", () => outsider.get("/v1/orgs/acme/roles/owner")],
        ["create org role", () => outsider.post("/v1/orgs/acme/roles", { name: "Mine", permissions: {} })],
        ["org members", () => outsider.get("/v1/orgs/acme/members")],
        ["team in org", () => outsider.get("/v1/teams/web/roles")],
      ];
      for (const [what, send] of requests) {
        const res = await send();
        expect(res.status, `${what}: ${res.raw}`).toBe(404);
        expect(res.body.error?.code).toBe("NOT_FOUND");
      }
      expect(ids(await h.owner.get("/v1/teams/alpha/roles"), "roles")).not.toContain("mine");
      expect((await h.owner.ok<{ members: Member[] }>("GET", "/v1/teams/alpha/members")).members.map((m) => m.userId)).not.toContain(
        outsider.userId,
      );
    });

    it("a team member of an organisation's team does not reach the organisation", async () => {
      const webOnly = await h.newMember(h.owner, "/v1/teams/web", ["admin"]);
      expect((await webOnly.get("/v1/teams/web/roles")).status).toBe(200);
      expect((await webOnly.get("/v1/teams/data/roles")).status).toBe(404);
      expect((await webOnly.get("/v1/orgs/acme/roles")).status).toBe(404);
      expect((await webOnly.post("/v1/orgs/acme/roles", { name: "Mine", permissions: {} })).status).toBe(404);
    });

    it("asks for a credential first (401)", async () => {
      const res = await h.anon.get("/v1/teams/alpha/roles");
      expect(res.status).toBe(401);
      expect((await h.anon.post("/v1/teams/alpha/roles", { name: "x", permissions: {} })).status).toBe(401);
      expect((await h.anon.post("/v1/teams/alpha/members", { email: "x@example.com", roles: ["default"] })).status).toBe(401);
    });
  });

  describe("organisation roles", () => {
    let member: Client;
    let orgAdmin: Client;
    beforeAll(async () => {
      member = await h.newMember(h.owner, "/v1/orgs/acme", ["member"]);
      orgAdmin = await h.newMember(h.owner, "/v1/orgs/acme", ["admin"]);
    });

    it("an organisation member reads the organisation's teams and roles but manages nothing", async () => {
      expect(ids(await member.get("/v1/orgs/acme/teams"), "teams").sort()).toEqual(["data", "web"]);
      expect((await member.get("/v1/teams/web")).status).toBe(200);
      expect(ids(await member.get("/v1/orgs/acme/roles"), "roles")).toContain("member");
      expect(ids(await member.get("/v1/teams/web/roles"), "roles")).toContain("admin");
      expect((await member.get("/v1/orgs/acme/members")).status).toBe(200);
      forbidden(await member.post("/v1/orgs/acme/roles", { name: "Mine", permissions: {} }), "org.roles.manage");
      forbidden(await member.patch("/v1/orgs/acme/roles/member", { description: "x" }), "org.roles.manage");
      forbidden(await member.delete("/v1/orgs/acme/roles/admin"), "org.roles.manage");
      forbidden(await member.post("/v1/teams/web/roles", { name: "Mine", permissions: {} }), "team.roles.manage");
      forbidden(await member.post("/v1/orgs/acme/members", { email: "x@example.com", roles: ["member"] }), "org.members.manage");
      forbidden(await member.post("/v1/orgs/acme/roles/admin/members", { userId: member.userId }), "org.members.manage");
    });

    it("an organisation admin cannot create, hand out or edit what only the owner holds", async () => {
      forbidden(
        await orgAdmin.post("/v1/orgs/acme/roles", { name: "Destroyers", permissions: { orgScope: ["org.delete"] } }),
        "org.delete",
      );
      forbidden(
        await orgAdmin.post("/v1/teams/web/roles", { name: "Wreckers", permissions: { projectScope: ["project.delete"] } }),
        "project.delete",
      );
      forbidden(await orgAdmin.patch(`/v1/orgs/acme/members/${orgAdmin.userId}`, { roles: ["owner"] }), "org.delete");
      forbidden(await orgAdmin.post("/v1/orgs/acme/roles/owner/members", { userId: member.userId }), "org.delete");
      forbidden(await orgAdmin.post("/v1/teams/web/members", { email: OWNER_EMAIL, roles: ["owner"] }), "team.delete");
      forbidden(await orgAdmin.patch("/v1/orgs/acme/roles/admin", { permissions: { orgScope: ["org.read", "org.delete"] } }), "org.delete");
      // Within what it holds, across the organisation's teams too.
      expect(
        await orgAdmin.ok("POST", "/v1/orgs/acme/roles", { name: "Team Readers", permissions: { teamScope: ["team.read"] } }),
      ).toMatchObject({ id: "team-readers" });
      expect(
        await orgAdmin.ok("POST", "/v1/teams/web/roles", { name: "Shippers", permissions: { projectScope: ["project.update"] } }),
      ).toMatchObject({ id: "shippers" });
    });

    it("an organisation role restricted to teams reaches only those teams and their allowed projects", async () => {
      await h.owner.ok("POST", "/v1/orgs/acme/roles", {
        id: "web-site",
        name: "Web site",
        permissions: { teamScope: ["team.read", "team.roles.read"], projectScope: ["project.read"] },
        restrictions: {
          enabled: true,
          teams: [{ teamId: "web", restrictions: { enabled: true, projects: ["site"], restrictionMode: "in" } }],
        },
      });
      const limited = await h.newMember(h.owner, "/v1/orgs/acme", ["web-site"]);
      const web = await limited.get("/v1/teams/web/projects");
      expect(web.status).toBe(200);
      expect(ids(web, "projects")).toEqual(["site"]);
      expect((await limited.get("/v1/teams/web/projects/shop")).status).toBe(403);
      expect((await limited.get("/v1/teams/web/roles")).status).toBe(200);
      expect((await limited.get("/v1/teams/data/projects")).status).toBe(404);
      expect((await limited.get("/v1/teams/data/roles")).status).toBe(404);
      expect((await limited.get("/v1/teams/data")).status).toBe(404);

      // Widening the role widens the reach on the next request.
      await h.owner.ok("PATCH", "/v1/orgs/acme/roles/web-site", {
        restrictions: { enabled: true, teams: [{ teamId: "web" }, { teamId: "data" }] },
      });
      expect(ids(await limited.get("/v1/teams/data/projects"), "projects")).toEqual(["warehouse"]);
      expect(ids(await limited.get("/v1/teams/web/projects"), "projects").sort()).toEqual(["shop", "site"]);
    });

    it("an organisation role restricted to teams lists only those teams", async () => {
      await h.owner.ok("POST", "/v1/orgs/acme/roles", {
        id: "web-lister",
        name: "Web lister",
        permissions: { orgScope: ["org.read", "org.teams.read"], teamScope: ["team.read"] },
        restrictions: { enabled: true, teams: [{ teamId: "web" }] },
      });
      const lister = await h.newMember(h.owner, "/v1/orgs/acme", ["web-lister"]);
      expect((await lister.get("/v1/teams/data")).status).toBe(404);
      expect(ids(await lister.get("/v1/orgs/acme/teams"), "teams")).toEqual(["web"]);
      expect(ids(await lister.get("/v1/teams"), "teams")).toEqual(["web"]);
    });

    it("a team-restricted organisation role manager cannot create an unrestricted one", async () => {
      await h.owner.ok("POST", "/v1/orgs/acme/roles", {
        id: "web-roles",
        name: "Web roles",
        permissions: { orgScope: ["org.read", "org.roles.read", "org.roles.manage"], teamScope: ["team.read", "team.roles.manage"] },
        restrictions: { enabled: true, teams: [{ teamId: "web" }] },
      });
      const webRoles = await h.newMember(h.owner, "/v1/orgs/acme", ["web-roles"]);
      forbidden(
        await webRoles.post("/v1/orgs/acme/roles", { name: "Everywhere", permissions: { teamScope: ["team.read"] } }),
        "restrictions",
      );
      forbidden(
        await webRoles.post("/v1/orgs/acme/roles", {
          name: "Data",
          permissions: { teamScope: ["team.read"] },
          restrictions: { enabled: true, teams: [{ teamId: "data" }] },
        }),
        "restrictions",
      );
      expect(
        await webRoles.ok("POST", "/v1/orgs/acme/roles", {
          name: "Web only",
          permissions: { teamScope: ["team.read"] },
          restrictions: { enabled: true, teams: [{ teamId: "web" }] },
        }),
      ).toMatchObject({ id: "web-only" });
      expect(
        await webRoles.ok("POST", "/v1/teams/web/roles", { name: "Web viewers", permissions: { teamScope: ["team.read"] } }),
      ).toMatchObject({ id: "web-viewers" });
      expect(
        (await webRoles.post("/v1/teams/data/roles", { name: "Data viewers", permissions: { teamScope: ["team.read"] } })).status,
      ).toBe(404);
    });
  });

  describe("CSRF", () => {
    let cookie: string;
    let csrf: string;
    beforeAll(async () => {
      const res = await h.app.inject({ method: "POST", url: "/v1/session", payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
      expect(res.statusCode).toBe(200);
      cookie = `latchkey_session=${res.cookies.find((c) => c.name === "latchkey_session")?.value ?? ""}`;
      csrf = (JSON.parse(res.body) as { data: { csrfToken: string } }).data.csrfToken;
    });

    it("refuses a cookie-authenticated change without the x-csrf-token header", async () => {
      const noHeader = h.client({ cookie });
      const attempts = [
        await noHeader.post("/v1/teams/alpha/roles", { name: "Forged", permissions: { projectScope: ["project.delete"] } }),
        await noHeader.patch("/v1/teams/alpha/roles/default", { description: "forged" }),
        await noHeader.delete("/v1/teams/alpha/roles/deleter"),
        await noHeader.post("/v1/teams/alpha/members", { email: "forged@example.com", roles: ["owner"] }),
        await noHeader.post("/v1/orgs/acme/roles", { name: "Forged", permissions: {} }),
      ];
      for (const res of attempts) {
        expect(res.status, res.raw).toBe(403);
        expect(res.body.error?.code).toBe("CSRF_FAILED");
      }
      const wrong = await h.client({ cookie, csrf: `${csrf}x` }).post("/v1/teams/alpha/roles", { name: "Forged", permissions: {} });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error?.code).toBe("CSRF_FAILED");
      expect((await h.owner.get("/v1/teams/alpha/roles/forged")).status).toBe(404);
      expect((await h.owner.get("/v1/orgs/acme/roles/forged")).status).toBe(404);
      expect((await h.owner.ok<Role>("GET", "/v1/teams/alpha/roles/deleter")).id).toBe("deleter");
      expect(await h.owner.ok("GET", "/v1/teams/alpha/roles/default")).not.toMatchObject({ description: "forged" });
    });

    it("lets reads through on the cookie alone and changes with the header", async () => {
      expect((await h.client({ cookie }).get("/v1/teams/alpha/roles")).status).toBe(200);
      const direct = await h.app.inject({
        method: "POST",
        url: "/v1/teams/alpha/roles",
        headers: { cookie, "x-csrf-token": csrf },
        payload: { name: "Genuine", permissions: {} },
      });
      expect(direct.statusCode).toBe(200);
      expect((await h.client({ cookie, csrf }).delete("/v1/teams/alpha/roles/genuine")).status).toBe(200);
    });
  });
});
