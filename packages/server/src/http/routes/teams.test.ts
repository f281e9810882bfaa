import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";
import { everyPage } from "../../test-support/pages.js";

interface TeamReply {
  id: string;
  name: string;
  description: string;
  orgId: string | null;
  createdAt: string;
  updatedAt: string;
}
interface MemberReply {
  userId: string;
  email: string;
  roles: string[];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

async function teamIds(client: Client, url = "/v1/teams?per_page=100"): Promise<string[]> {
  return (await client.ok<{ teams: TeamReply[] }>("GET", url)).teams.map((t) => t.id);
}
async function roleIds(client: Client, teamId: string): Promise<string[]> {
  return (await client.ok<{ roles: { id: string }[] }>("GET", `/v1/teams/${teamId}/roles?per_page=100`)).roles.map((r) => r.id).sort();
}
async function members(client: Client, teamId: string): Promise<MemberReply[]> {
  return (await client.ok<{ members: MemberReply[] }>("GET", `/v1/teams/${teamId}/members?per_page=100`)).members;
}

describe.each(dialects())("teams on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.close());

  describe("creating", () => {
    it("derives the id from the name and makes the creator its owner with the default roles", async () => {
      const created = await h.owner.ok<TeamReply>("POST", "/v1/teams", { name: "Platform Team!", description: "infra" });
      expect(created).toMatchObject({ id: "platform-team", name: "Platform Team!", description: "infra", orgId: null });
      expect(created.createdAt).toMatch(ISO);
      expect(created.updatedAt).toBe(created.createdAt);
      expect(await roleIds(h.owner, "platform-team")).toEqual(["admin", "default", "owner"]);
      const list = await members(h.owner, "platform-team");
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ userId: h.owner.userId, email: "owner@example.com", roles: ["owner"] });
    });

    it("gives the default roles the documented permissions", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Role Check" });
      const roles = (
        await h.owner.ok<{ roles: { id: string; permissions: { orgScope: string[]; teamScope: string[] } }[] }>(
          "GET",
          "/v1/teams/role-check/roles",
        )
      ).roles;
      const perms = (id: string) => roles.find((r) => r.id === id)?.permissions;
      expect(perms("owner")?.teamScope).toContain("team.delete");
      expect(perms("admin")?.teamScope).not.toContain("team.delete");
      expect(perms("admin")?.teamScope).toContain("team.update");
      expect(perms("default")?.teamScope).toEqual(expect.arrayContaining(["team.read", "team.update"]));
      expect(perms("default")?.teamScope).not.toContain("team.delete");
      for (const r of roles) expect(r.permissions.orgScope).toEqual([]);
    });

    it("takes an explicit id and defaults the description to empty", async () => {
      const created = await h.owner.ok<TeamReply>("POST", "/v1/teams", { id: "ops", name: "Operations" });
      expect(created).toMatchObject({ id: "ops", name: "Operations", description: "" });
      expect((await h.owner.ok<TeamReply>("GET", "/v1/teams/ops")).name).toBe("Operations");
    });

    it("refuses a name that gives no id with 400 naming the id field", async () => {
      const res = await h.owner.post("/v1/teams", { name: "!!! ???" });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe("VALIDATION_FAILED");
      expect(res.body.error?.details).toHaveProperty("fields.id");
      // The same name is fine once an id is given.
      expect((await h.owner.post("/v1/teams", { id: "punctuation", name: "!!! ???" })).status).toBe(200);
    });

    it("refuses bad input with 400 naming the field", async () => {
      const blank = await h.owner.post("/v1/teams", { name: "   " });
      expect(blank.status).toBe(400);
      expect(blank.body.error?.details).toHaveProperty("fields.name");
      const badId = await h.owner.post("/v1/teams", { id: "Not_A_Slug", name: "x" });
      expect(badId.status).toBe(400);
      expect(badId.body.error?.details).toHaveProperty("fields.id");
      const unknown = await h.owner.post("/v1/teams", { name: "Extra", orgId: "acme" });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body.error?.details)).toContain("orgId");
      const missing = await h.owner.post("/v1/teams", {});
      expect(missing.status).toBe(400);
      expect(missing.body.error?.details).toHaveProperty("fields.name");
    });

    it("refuses a duplicate id with 409 and leaves the first team as it was", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Dup", description: "first" });
      const again = await h.owner.post("/v1/teams", { name: "Dup", description: "second" });
      expect(again.status).toBe(409);
      expect(again.body.error?.code).toBe("CONFLICT");
      const explicit = await h.owner.post("/v1/teams", { id: "dup", name: "Other name" });
      expect(explicit.status).toBe(409);
      expect(await h.owner.ok<TeamReply>("GET", "/v1/teams/dup")).toMatchObject({ name: "Dup", description: "first" });
      expect(await roleIds(h.owner, "dup")).toEqual(["admin", "default", "owner"]);
      expect(await members(h.owner, "dup")).toHaveLength(1);
    });

    it("needs a credential (401)", async () => {
      const res = await h.anon.post("/v1/teams", { name: "Anonymous" });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe("UNAUTHENTICATED");
      expect((await h.anon.get("/v1/teams")).status).toBe(401);
      expect((await h.anon.get("/v1/teams/ops")).status).toBe(401);
    });
  });

  describe("reading and editing", () => {
    it("gets a team by id, and answers 404 for one that does not exist", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Readable", description: "r" });
      expect(await h.owner.ok<TeamReply>("GET", "/v1/teams/readable")).toMatchObject({
        id: "readable",
        name: "Readable",
        description: "r",
        orgId: null,
      });
      const missing = await h.owner.get("/v1/teams/no-such-team");
      expect(missing.status).toBe(404);
      expect(missing.body.error?.code).toBe("NOT_FOUND");
      expect((await h.owner.get("/v1/teams/Not_A_Slug")).status).toBe(400);
    });

    it("lists the teams newest first, paginated, with the cursor absent on the last page", async () => {
      for (const name of ["list-a", "list-b", "list-c"]) await h.owner.ok("POST", "/v1/teams", { name });
      const all = await teamIds(h.owner);
      expect(all.indexOf("list-c")).toBeLessThan(all.indexOf("list-b"));
      expect(all.indexOf("list-b")).toBeLessThan(all.indexOf("list-a"));
      expect(all.indexOf("list-a")).toBeGreaterThanOrEqual(0);

      const { items, pages } = await everyPage<TeamReply>(h.owner, "/v1/teams?per_page=2", "teams");
      expect(items.map((t) => t.id)).toEqual(all);
      expect(pages).toBe(Math.ceil(all.length / 2));

      expect((await h.owner.get("/v1/teams?cursor=garbage")).status).toBe(400);
      expect((await h.owner.get("/v1/teams?per_page=0")).status).toBe(400);
      expect((await h.owner.get("/v1/teams?per_page=101")).status).toBe(400);
    });

    it("edits the name and description but never the id", async () => {
      const before = await h.owner.ok<TeamReply>("POST", "/v1/teams", { name: "Editable", description: "old" });
      const patched = await h.owner.ok<TeamReply>("PATCH", "/v1/teams/editable", { name: "Renamed", description: "new" });
      expect(patched).toMatchObject({ id: "editable", name: "Renamed", description: "new", orgId: null, createdAt: before.createdAt });
      expect(Date.parse(patched.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
      expect(await h.owner.ok<TeamReply>("GET", "/v1/teams/editable")).toMatchObject({ name: "Renamed", description: "new" });
      // Only the description: the name stays.
      expect(await h.owner.ok<TeamReply>("PATCH", "/v1/teams/editable", { description: "" })).toMatchObject({
        name: "Renamed",
        description: "",
      });
      const id = await h.owner.patch("/v1/teams/editable", { id: "moved" });
      expect(id.status).toBe(400);
      expect(JSON.stringify(id.body.error?.details)).toContain("id");
      expect((await h.owner.patch("/v1/teams/editable", { name: "" })).status).toBe(400);
      expect((await h.owner.patch("/v1/teams/no-such-team", { name: "x" })).status).toBe(404);
    });
  });

  describe("deleting", () => {
    it("deletes a team; it is gone from get and list, and a second delete is 404", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Short Lived" });
      expect(await h.owner.ok("DELETE", "/v1/teams/short-lived")).toEqual({ id: "short-lived", deleted: true });
      expect((await h.owner.get("/v1/teams/short-lived")).status).toBe(404);
      expect(await teamIds(h.owner)).not.toContain("short-lived");
      expect((await h.owner.delete("/v1/teams/short-lived")).status).toBe(404);
    });

    it("removes its roles, members and projects, and its id is not given out again", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Phoenix" });
      await h.owner.ok("POST", "/v1/teams/phoenix/projects", { name: "Ashes" });
      await h.owner.ok("POST", "/v1/teams/phoenix/roles", { name: "Reader", permissions: { teamScope: ["team.read"] } });
      const member = await h.newMember(h.owner, "/v1/teams/phoenix", ["reader"]);
      const pending = await h.owner.ok<{ invitation?: { inviteUrl: string } }>("POST", "/v1/teams/phoenix/members", {
        email: "late@example.com",
        roles: ["default"],
      });
      expect(await members(h.owner, "phoenix")).toHaveLength(2);
      expect((await member.get("/v1/teams/phoenix")).status).toBe(200);

      await h.owner.ok("DELETE", "/v1/teams/phoenix");
      expect((await member.get("/v1/teams/phoenix")).status).toBe(404);

      // The id stays with the deleted team (its tokens and audit history): asking for it again is a conflict.
      const reborn = await h.owner.post("/v1/teams", { name: "Phoenix" });
      expect(reborn.status).toBe(409);
      expect(await h.services.store.roles.page("team", "phoenix", { perPage: 10 })).toMatchObject({ items: [] });
      expect(await h.services.store.projects.page("phoenix", { perPage: 10 })).toMatchObject({ items: [] });
      // The old member does not come back with the id, nor does the pending invitation.
      expect((await member.get("/v1/teams/phoenix")).status).toBe(404);
      const token = new URL(pending.invitation?.inviteUrl ?? "http://x/").searchParams.get("token") ?? "";
      const accept = await h.anon.post("/v1/invitations/accept", { token, name: "Late", password: "a long enough password" });
      expect(accept.status).toBe(404);
    });
  });

  describe("who may do what", () => {
    let outsider: Client;
    let defaultMember: Client;
    let admin: Client;
    beforeAll(async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Guarded" });
      await h.owner.ok("POST", "/v1/teams", { name: "Elsewhere" });
      outsider = await h.newMember(h.owner, "/v1/teams/elsewhere", ["owner"]);
      defaultMember = await h.newMember(h.owner, "/v1/teams/guarded", ["default"]);
      admin = await h.newMember(h.owner, "/v1/teams/guarded", ["admin"]);
    });

    it("hides a team from a person who is not in it (404, not 403)", async () => {
      for (const res of [
        await outsider.get("/v1/teams/guarded"),
        await outsider.patch("/v1/teams/guarded", { name: "Mine" }),
        await outsider.delete("/v1/teams/guarded"),
        await outsider.get("/v1/teams/guarded/roles"),
        await outsider.get("/v1/teams/guarded/members"),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.error?.code).toBe("NOT_FOUND");
      }
      expect(await teamIds(outsider)).toEqual(["elsewhere"]);
      expect((await h.owner.ok<TeamReply>("GET", "/v1/teams/guarded")).name).toBe("Guarded");
    });

    it("lists only the teams a person belongs to", async () => {
      expect(await teamIds(defaultMember)).toEqual(["guarded"]);
      const owners = await teamIds(h.owner);
      expect(owners).toEqual(expect.arrayContaining(["guarded", "elsewhere"]));
    });

    it("lets a default member read and edit, but not delete (403 naming team.delete)", async () => {
      expect((await defaultMember.ok<TeamReply>("GET", "/v1/teams/guarded")).id).toBe("guarded");
      expect(await defaultMember.ok<TeamReply>("PATCH", "/v1/teams/guarded", { description: "by default" })).toMatchObject({
        description: "by default",
      });
      const res = await defaultMember.delete("/v1/teams/guarded");
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe("FORBIDDEN");
      expect(res.body.error?.details).toMatchObject({ permission: "team.delete" });
      expect(res.body.error?.message).toContain("team.delete");
      expect((await h.owner.get("/v1/teams/guarded")).status).toBe(200);
    });

    it("does not let an admin delete the team either", async () => {
      const res = await admin.delete("/v1/teams/guarded");
      expect(res.status).toBe(403);
      expect(res.body.error?.details).toMatchObject({ permission: "team.delete" });
    });

    it("forbids editing without team.update, naming it", async () => {
      await h.owner.ok("POST", "/v1/teams/guarded/roles", { name: "Viewer", permissions: { teamScope: ["team.read"] } });
      const viewer = await h.newMember(h.owner, "/v1/teams/guarded", ["viewer"]);
      expect((await viewer.get("/v1/teams/guarded")).status).toBe(200);
      const res = await viewer.patch("/v1/teams/guarded", { name: "Viewed" });
      expect(res.status).toBe(403);
      expect(res.body.error?.details).toMatchObject({ permission: "team.update" });
      expect((await h.owner.ok<TeamReply>("GET", "/v1/teams/guarded")).name).toBe("Guarded");
    });

    it("lets any signed-in person create a team of their own, which they then own", async () => {
      const mine = await defaultMember.ok<TeamReply>("POST", "/v1/teams", { name: "Side Project" });
      expect(mine.orgId).toBeNull();
      expect((await members(defaultMember, "side-project")).map((m) => [m.userId, m.roles])).toEqual([[defaultMember.userId, ["owner"]]]);
      expect((await h.owner.get("/v1/teams/side-project")).status).toBe(404);
      expect(await defaultMember.ok("DELETE", "/v1/teams/side-project")).toEqual({ id: "side-project", deleted: true });
    });

    it("lets the owner delete the team", async () => {
      expect(await h.owner.ok("DELETE", "/v1/teams/guarded")).toEqual({ id: "guarded", deleted: true });
      expect((await defaultMember.get("/v1/teams/guarded")).status).toBe(404);
    });

    it("lists an empty page, not an error, for a person left in no team", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Leaving" });
      const leaver = await h.newMember(h.owner, "/v1/teams/leaving", ["default"]);
      expect(await teamIds(leaver)).toEqual(["leaving"]);
      await h.owner.ok("DELETE", `/v1/teams/leaving/members/${leaver.userId}`);
      const res = await leaver.get("/v1/teams");
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ teams: [] });
      expect(res.body.pagination).toEqual({ hasNextPage: false, count: 0 });
    });
  });
});
