import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";
import { everyPage } from "../../test-support/pages.js";

interface OrgReply {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}
interface TeamReply {
  id: string;
  name: string;
  orgId: string | null;
}

async function orgIds(client: Client): Promise<string[]> {
  return (await client.ok<{ orgs: OrgReply[] }>("GET", "/v1/orgs?per_page=100")).orgs.map((o) => o.id);
}
async function teamIds(client: Client, url = "/v1/teams?per_page=100"): Promise<string[]> {
  return (await client.ok<{ teams: TeamReply[] }>("GET", url)).teams.map((t) => t.id);
}

describe.each(dialects())("organisations on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.close());

  describe("the organisation itself", () => {
    it("creates one with an id from its name; the creator owns it with the default roles", async () => {
      const org = await h.owner.ok<OrgReply>("POST", "/v1/orgs", { name: "Acme Corp." });
      expect(org).toMatchObject({ id: "acme-corp", name: "Acme Corp." });
      expect(org.updatedAt).toBe(org.createdAt);
      expect(Number.isNaN(Date.parse(org.createdAt))).toBe(false);
      const roles = await h.owner.ok<{ roles: { id: string; permissions: { orgScope: string[] } }[] }>("GET", "/v1/orgs/acme-corp/roles");
      expect(roles.roles.map((r) => r.id).sort()).toEqual(["admin", "member", "owner"]);
      expect(roles.roles.find((r) => r.id === "owner")?.permissions.orgScope).toContain("org.delete");
      expect(roles.roles.find((r) => r.id === "member")?.permissions.orgScope).not.toContain("org.teams.create");
      const members = await h.owner.ok<{ members: { userId: string; roles: string[] }[] }>("GET", "/v1/orgs/acme-corp/members");
      expect(members.members.map((m) => [m.userId, m.roles])).toEqual([[h.owner.userId, ["owner"]]]);
    });

    it("takes an explicit id; refuses duplicates (409), unnamed ids (400) and unknown fields (400)", async () => {
      expect(await h.owner.ok<OrgReply>("POST", "/v1/orgs", { id: "initech", name: "Initech LLC" })).toMatchObject({ id: "initech" });
      const dup = await h.owner.post("/v1/orgs", { id: "initech", name: "Another" });
      expect(dup.status).toBe(409);
      expect(dup.body.error?.code).toBe("CONFLICT");
      expect((await h.owner.ok<OrgReply>("GET", "/v1/orgs/initech")).name).toBe("Initech LLC");
      const noLetters = await h.owner.post("/v1/orgs", { name: "***" });
      expect(noLetters.status).toBe(400);
      expect(noLetters.body.error?.details).toHaveProperty("fields.id");
      const unknown = await h.owner.post("/v1/orgs", { name: "Globex", description: "no such field" });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body.error?.details)).toContain("description");
      expect((await h.anon.post("/v1/orgs", { name: "Anon" })).status).toBe(401);
    });

    it("lists the organisations one belongs to, newest first, with a cursor absent on the last page", async () => {
      for (const name of ["Org A", "Org B", "Org C"]) await h.owner.ok("POST", "/v1/orgs", { name });
      const all = await orgIds(h.owner);
      expect(all.indexOf("org-c")).toBeLessThan(all.indexOf("org-b"));
      expect(all.indexOf("org-b")).toBeLessThan(all.indexOf("org-a"));
      expect(all.indexOf("org-a")).toBeGreaterThanOrEqual(0);
      const { items, pages } = await everyPage<OrgReply>(h.owner, "/v1/orgs?per_page=2", "orgs");
      expect(items.map((o) => o.id)).toEqual(all);
      expect(pages).toBeGreaterThan(1);
      expect((await h.owner.get("/v1/orgs?cursor=garbage")).status).toBe(400);
    });

    it("renames, and refuses fields it does not have", async () => {
      const before = await h.owner.ok<OrgReply>("POST", "/v1/orgs", { name: "Renamable" });
      const after = await h.owner.ok<OrgReply>("PATCH", "/v1/orgs/renamable", { name: "Renamed Inc" });
      expect(after).toMatchObject({ id: "renamable", name: "Renamed Inc", createdAt: before.createdAt });
      expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
      expect((await h.owner.ok<OrgReply>("GET", "/v1/orgs/renamable")).name).toBe("Renamed Inc");
      expect((await h.owner.patch("/v1/orgs/renamable", { id: "other" })).status).toBe(400);
      expect((await h.owner.patch("/v1/orgs/renamable", { name: " " })).status).toBe(400);
      expect((await h.owner.patch("/v1/orgs/no-such-org", { name: "x" })).status).toBe(404);
      expect((await h.owner.get("/v1/orgs/no-such-org")).status).toBe(404);
    });

    it("deletes an organisation with its teams; their ids are not given out again", async () => {
      await h.owner.ok("POST", "/v1/orgs", { name: "Doomed" });
      await h.owner.ok("POST", "/v1/orgs/doomed/teams", { name: "Doomed Web" });
      await h.owner.ok("POST", "/v1/orgs/doomed/teams", { name: "Doomed Api" });
      await h.owner.ok("POST", "/v1/teams/doomed-web/projects", { name: "Site" });
      const orgMember = await h.newMember(h.owner, "/v1/orgs/doomed", ["member"]);
      expect((await teamIds(orgMember)).sort()).toEqual(["doomed-api", "doomed-web"]);

      expect(await h.owner.ok("DELETE", "/v1/orgs/doomed")).toEqual({ id: "doomed", deleted: true });
      expect((await h.owner.get("/v1/orgs/doomed")).status).toBe(404);
      expect((await h.owner.get("/v1/teams/doomed-web")).status).toBe(404);
      expect((await h.owner.get("/v1/teams/doomed-api")).status).toBe(404);
      expect(await orgIds(h.owner)).not.toContain("doomed");
      const ownerTeams = await teamIds(h.owner);
      expect(ownerTeams).not.toContain("doomed-web");
      expect(ownerTeams).not.toContain("doomed-api");
      expect((await orgMember.get("/v1/orgs/doomed")).status).toBe(404);
      expect((await h.owner.delete("/v1/orgs/doomed")).status).toBe(404);

      // The ids stay with the deleted organisation and teams (their tokens and history); nobody gets them again.
      expect((await h.owner.post("/v1/orgs", { name: "Doomed" })).status).toBe(409);
      expect((await h.owner.post("/v1/teams", { name: "Doomed Web" })).status).toBe(409);
      expect((await h.owner.ok<{ id: string }>("POST", "/v1/orgs", { id: "doomed-2", name: "Doomed" })).id).toBe("doomed-2");
    });
  });

  describe("teams inside an organisation", () => {
    beforeAll(async () => {
      await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
      await h.owner.ok("POST", "/v1/teams", { name: "Umbrella Outside" });
    });

    it("creates a team in the organisation; the creator becomes its owner", async () => {
      const team = await h.owner.ok<TeamReply>("POST", "/v1/orgs/umbrella/teams", { name: "Research", description: "labs" });
      expect(team).toMatchObject({ id: "research", name: "Research", description: "labs", orgId: "umbrella" });
      expect((await h.owner.ok<TeamReply>("GET", "/v1/teams/research")).orgId).toBe("umbrella");
      const members = await h.owner.ok<{ members: { userId: string; roles: string[] }[] }>("GET", "/v1/teams/research/members");
      expect(members.members.map((m) => [m.userId, m.roles])).toEqual([[h.owner.userId, ["owner"]]]);
      const roles = await h.owner.ok<{ roles: { id: string }[] }>("GET", "/v1/teams/research/roles");
      expect(roles.roles.map((r) => r.id).sort()).toEqual(["admin", "default", "owner"]);
    });

    it("lists only that organisation's teams under /v1/orgs/{orgId}/teams", async () => {
      await h.owner.ok("POST", "/v1/orgs/umbrella/teams", { name: "Security" });
      const ids = await teamIds(h.owner, "/v1/orgs/umbrella/teams");
      expect(ids).toEqual(expect.arrayContaining(["security", "research"]));
      expect(ids.indexOf("security")).toBeLessThan(ids.indexOf("research"));
      expect(ids).not.toContain("umbrella-outside");
      const list = await h.owner.ok<{ teams: TeamReply[] }>("GET", "/v1/orgs/umbrella/teams");
      for (const t of list.teams) expect(t.orgId).toBe("umbrella");
      const paged = await h.owner.get("/v1/orgs/umbrella/teams?per_page=1");
      expect(paged.body.pagination).toMatchObject({ hasNextPage: true, count: 1 });
    });

    it("refuses a team id already taken anywhere (409) and bad input (400)", async () => {
      const dup = await h.owner.post("/v1/orgs/umbrella/teams", { id: "umbrella-outside", name: "Clash" });
      expect(dup.status).toBe(409);
      expect((await h.owner.ok<TeamReply>("GET", "/v1/teams/umbrella-outside")).orgId).toBeNull();
      const bad = await h.owner.post("/v1/orgs/umbrella/teams", { name: "%%%" });
      expect(bad.status).toBe(400);
      expect(bad.body.error?.details).toHaveProperty("fields.id");
      expect((await h.owner.post("/v1/orgs/no-such-org/teams", { name: "Orphan" })).status).toBe(404);
      expect((await h.owner.get("/v1/teams/orphan")).status).toBe(404);
    });

    it("lets an organisation owner who is in no team reach the organisation's teams", async () => {
      const coOwner = await h.newMember(h.owner, "/v1/orgs/umbrella", ["owner"]);
      expect(
        (await h.owner.ok<{ members: { userId: string }[] }>("GET", "/v1/teams/research/members")).members.map((m) => m.userId),
      ).not.toContain(coOwner.userId);
      const listed = await teamIds(coOwner);
      expect(listed).toEqual(expect.arrayContaining(["research", "security"]));
      expect(listed).not.toContain("umbrella-outside");
      expect(await coOwner.ok<TeamReply>("GET", "/v1/teams/research")).toMatchObject({ id: "research", orgId: "umbrella" });
      expect(await coOwner.ok<TeamReply>("PATCH", "/v1/teams/research", { description: "by the org owner" })).toMatchObject({
        description: "by the org owner",
      });
      expect((await coOwner.get("/v1/teams/research/projects")).status).toBe(200);
      expect((await coOwner.get("/v1/teams/umbrella-outside")).status).toBe(404);
      // The organisation owner may also delete a team they are not in.
      await h.owner.ok("POST", "/v1/orgs/umbrella/teams", { name: "Disposable" });
      expect(await coOwner.ok("DELETE", "/v1/teams/disposable")).toEqual({ id: "disposable", deleted: true });
      expect((await h.owner.get("/v1/teams/disposable")).status).toBe(404);
    });

    it("lets an organisation member list and read teams but not create, edit or delete them (403)", async () => {
      const member = await h.newMember(h.owner, "/v1/orgs/umbrella", ["member"]);
      expect(await orgIds(member)).toEqual(["umbrella"]);
      expect((await member.ok<OrgReply>("GET", "/v1/orgs/umbrella")).id).toBe("umbrella");
      expect(await teamIds(member, "/v1/orgs/umbrella/teams")).toEqual(expect.arrayContaining(["research", "security"]));
      const listed = await teamIds(member);
      expect(listed).toEqual(expect.arrayContaining(["research", "security"]));
      expect(listed).not.toContain("umbrella-outside");
      expect((await member.get("/v1/teams/research")).status).toBe(200);

      const create = await member.post("/v1/orgs/umbrella/teams", { name: "Rogue" });
      expect(create.status).toBe(403);
      expect(create.body.error?.code).toBe("FORBIDDEN");
      expect(create.body.error?.details).toMatchObject({ permission: "org.teams.create" });
      expect((await h.owner.get("/v1/teams/rogue")).status).toBe(404);

      const rename = await member.patch("/v1/orgs/umbrella", { name: "Mine" });
      expect(rename.status).toBe(403);
      expect(rename.body.error?.details).toMatchObject({ permission: "org.update" });
      const drop = await member.delete("/v1/orgs/umbrella");
      expect(drop.status).toBe(403);
      expect(drop.body.error?.details).toMatchObject({ permission: "org.delete" });
      const dropTeam = await member.delete("/v1/teams/research");
      expect(dropTeam.status).toBe(403);
      expect(dropTeam.body.error?.details).toMatchObject({ permission: "team.delete" });
      expect((await member.patch("/v1/teams/research", { name: "x" })).status).toBe(403);
      expect((await h.owner.get("/v1/orgs/umbrella")).status).toBe(200);
    });

    it("lets an organisation admin create teams, whom the new team then has as owner", async () => {
      const admin = await h.newMember(h.owner, "/v1/orgs/umbrella", ["admin"]);
      const team = await admin.ok<TeamReply>("POST", "/v1/orgs/umbrella/teams", { name: "Admins Own" });
      expect(team.orgId).toBe("umbrella");
      const members = await admin.ok<{ members: { userId: string; roles: string[] }[] }>("GET", "/v1/teams/admins-own/members");
      expect(members.members.map((m) => [m.userId, m.roles])).toEqual([[admin.userId, ["owner"]]]);
      // The organisation owner reaches it without being a member.
      expect((await h.owner.get("/v1/teams/admins-own")).status).toBe(200);
      expect(await teamIds(h.owner)).toContain("admins-own");
    });

    it("hides the organisation and its teams from outsiders (404)", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Outsiders Home" });
      const outsider = await h.newMember(h.owner, "/v1/teams/outsiders-home", ["owner"]);
      expect(await orgIds(outsider)).toEqual([]);
      for (const res of [
        await outsider.get("/v1/orgs/umbrella"),
        await outsider.patch("/v1/orgs/umbrella", { name: "x" }),
        await outsider.delete("/v1/orgs/umbrella"),
        await outsider.get("/v1/orgs/umbrella/teams"),
        await outsider.post("/v1/orgs/umbrella/teams", { name: "Intruder" }),
        await outsider.get("/v1/teams/research"),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.error?.code).toBe("NOT_FOUND");
      }
      expect(await teamIds(outsider)).toEqual(["outsiders-home"]);
    });

    it("lets a member of one team in the organisation reach that team only, not the organisation", async () => {
      const teamOnly = await h.newMember(h.owner, "/v1/teams/security", ["default"]);
      expect(await teamIds(teamOnly)).toEqual(["security"]);
      expect((await teamOnly.get("/v1/teams/security")).status).toBe(200);
      expect((await teamOnly.get("/v1/teams/research")).status).toBe(404);
      expect((await teamOnly.get("/v1/orgs/umbrella")).status).toBe(404);
      expect((await teamOnly.get("/v1/orgs/umbrella/teams")).status).toBe(404);
      expect(await orgIds(teamOnly)).toEqual([]);
    });

    it("lists only the teams an organisation role is restricted to, matching what it can open", async () => {
      await h.owner.ok("POST", "/v1/orgs/umbrella/roles", {
        name: "Research only",
        permissions: { orgScope: ["org.read", "org.teams.read"], teamScope: ["team.read"] },
        restrictions: { enabled: true, teams: [{ teamId: "research" }] },
      });
      const narrow = await h.newMember(h.owner, "/v1/orgs/umbrella", ["research-only"]);
      expect((await narrow.get("/v1/teams/research")).status).toBe(200);
      expect((await narrow.get("/v1/teams/security")).status).toBe(404);
      expect(await teamIds(narrow)).toEqual(["research"]);
      expect(await teamIds(narrow, "/v1/orgs/umbrella/teams")).toEqual(["research"]);
    });
  });
});
