import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../../test-support/harness.js";

describe.each(dialects())("projects on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Platform" });
  });
  afterAll(() => h.close());

  it("creates, lists newest first, gets, edits and deletes a project", async () => {
    const created = await h.owner.ok<{ id: string }>("POST", "/v1/teams/platform/projects", { name: "Billing API", description: "money" });
    expect(created).toMatchObject({ id: "billing-api", name: "Billing API", description: "money" });
    await h.owner.ok("POST", "/v1/teams/platform/projects", { name: "Search" });
    const list = await h.owner.get("/v1/teams/platform/projects");
    expect(list.status).toBe(200);
    expect((list.body.data as { projects: { id: string }[] }).projects.map((p) => p.id)).toEqual(["search", "billing-api"]);
    expect(list.body.pagination).toEqual({ hasNextPage: false, count: 2 });
    // Read again (with SQLite, from the cache of first pages, whose items were serialized once): the same bytes.
    const again = await h.owner.get("/v1/teams/platform/projects");
    expect(again.raw).toBe(list.raw);
    expect(again.raw).toBe(JSON.stringify(again.body));
    expect(again.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(await h.owner.ok("PATCH", "/v1/teams/platform/projects/search", { description: "find" })).toMatchObject({ description: "find" });
    expect(await h.owner.ok("DELETE", "/v1/teams/platform/projects/search")).toEqual({ id: "search", deleted: true });
    expect((await h.owner.get("/v1/teams/platform/projects/search")).status).toBe(404);
  });

  it("a list read before a change shows the change on the next read (token and session alike)", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Fresh" });
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/fresh/tokens", { name: "reader", roleId: "default" });
    const reader = h.client({ bearer: token });
    const ids = async () => (await reader.ok<{ projects: { id: string; name: string }[] }>("GET", "/v1/projects")).projects;
    expect(await ids()).toEqual([]);
    await h.owner.ok("POST", "/v1/teams/fresh/projects", { name: "One" });
    expect((await ids()).map((p) => p.id)).toEqual(["one"]);
    await h.owner.ok("PATCH", "/v1/teams/fresh/projects/one", { name: "Uno" });
    expect((await ids()).map((p) => p.name)).toEqual(["Uno"]);
    await h.owner.ok("POST", "/v1/teams/fresh/projects", { name: "Two" });
    expect((await reader.ok<{ projects: { id: string }[] }>("GET", "/v1/projects?per_page=1")).projects.map((p) => p.id)).toEqual(["two"]);
    await h.owner.ok("DELETE", "/v1/teams/fresh/projects/two");
    expect((await ids()).map((p) => p.id)).toEqual(["one"]);
    expect((await reader.ok<{ projects: { id: string }[] }>("GET", "/v1/projects?per_page=1")).projects.map((p) => p.id)).toEqual(["one"]);
    // A project change drops project lists only: the verifier keeps the tokens it has checked.
    const cached = h.services.verifier.size();
    expect(cached.tokens).toBeGreaterThan(0);
    await h.owner.ok("POST", "/v1/teams/fresh/projects", { name: "Three" });
    expect(h.services.verifier.size()).toEqual(cached);
    // A deleted team takes its lists with it.
    await h.owner.ok("DELETE", "/v1/teams/fresh");
    expect((await h.owner.get("/v1/teams/fresh/projects")).status).toBe(404);
  });

  it("paginates with a cursor that is absent on the last page", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Paged" });
    for (let i = 0; i < 5; i++) await h.owner.ok("POST", "/v1/teams/paged/projects", { name: `p${i}` });
    const first = await h.owner.get("/v1/teams/paged/projects?per_page=2");
    expect(first.body.pagination).toMatchObject({ hasNextPage: true, count: 2 });
    const seen: string[] = (first.body.data as { projects: { id: string }[] }).projects.map((p) => p.id);
    let cursor = first.body.pagination?.cursor;
    while (cursor) {
      const next = await h.owner.get(`/v1/teams/paged/projects?per_page=2&cursor=${cursor}`);
      seen.push(...(next.body.data as { projects: { id: string }[] }).projects.map((p) => p.id));
      cursor = next.body.pagination?.cursor;
      if (!next.body.pagination?.hasNextPage) expect(next.body.pagination).not.toHaveProperty("cursor");
    }
    expect(seen).toEqual(["p4", "p3", "p2", "p1", "p0"]);
    expect((await h.owner.get("/v1/teams/paged/projects?cursor=garbage")).status).toBe(400);
  });

  it("refuses duplicates with 409 and bad input with 400 naming the field", async () => {
    await h.owner.ok("POST", "/v1/teams/platform/projects", { name: "Dup" });
    const dup = await h.owner.post("/v1/teams/platform/projects", { name: "Dup" });
    expect(dup.status).toBe(409);
    expect(dup.body.error?.code).toBe("CONFLICT");
    const unknown = await h.owner.post("/v1/teams/platform/projects", { name: "X", colour: "red" });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error?.details)).toContain("colour");
    const badSlug = await h.owner.post("/v1/teams/platform/projects", { id: "Not A Slug", name: "Y" });
    expect(badSlug.status).toBe(400);
    expect(badSlug.body.error?.details).toHaveProperty("fields.id");
  });

  describe("restrictions", () => {
    let restricted: Client;
    beforeAll(async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Guarded" });
      for (const name of ["alpha", "beta", "gamma"]) await h.owner.ok("POST", "/v1/teams/guarded/projects", { name });
      await h.owner.ok("POST", "/v1/teams/guarded/roles", {
        name: "Beta only",
        permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.update"] },
        restrictions: { enabled: true, projects: ["beta"], restrictionMode: "in" },
      });
      restricted = await h.newMember(h.owner, "/v1/teams/guarded", ["beta-only"]);
    });

    it("lists only the projects the role allows, with full pages", async () => {
      const list = await restricted.ok<{ projects: { id: string }[] }>("GET", "/v1/teams/guarded/projects");
      expect(list.projects.map((p) => p.id)).toEqual(["beta"]);
    });

    it("forbids reading or editing a project outside the restriction, naming the permission", async () => {
      const res = await restricted.get("/v1/teams/guarded/projects/alpha");
      expect(res.status).toBe(403);
      expect(res.body.error?.details).toMatchObject({ permission: "project.read" });
      expect((await restricted.patch("/v1/teams/guarded/projects/alpha", { name: "x" })).status).toBe(403);
      expect((await restricted.patch("/v1/teams/guarded/projects/beta", { name: "Beta 2" })).status).toBe(200);
    });

    it("forbids deleting without project.delete", async () => {
      const res = await restricted.delete("/v1/teams/guarded/projects/beta");
      expect(res.status).toBe(403);
      expect(res.body.error?.details).toMatchObject({ permission: "project.delete" });
    });

    it("hides other teams entirely (404, not 403)", async () => {
      expect((await restricted.get("/v1/teams/platform/projects")).status).toBe(404);
    });

    it("needs a team in the path for a person's session", async () => {
      const res = await restricted.get("/v1/projects");
      expect(res.status).toBe(400);
    });
  });
});
