/**
 * The audit log as a tool for investigating (issue 21, item 5): event types filtered by prefix, names beside ids, a
 * token's requests named after the token, and one row per change in a team's feed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { events, type Event } from "../../test-support/audit.js";
import { OWNER_EMAIL, startHarness, type Harness } from "../../test-support/harness.js";

describe.each(dialects())("audit log for investigating on %s", (kind) => {
  let h: Harness;
  let token: string;
  let tokenId: string;
  const feed = (query = "") => events(h.owner, `/v1/teams/acme/audit-logs${query}`);
  const flush = () => h.services.audit.buffer.flush();

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    await h.owner.ok("POST", "/v1/teams/acme/roles", {
      name: "Builder",
      permissions: { teamScope: ["team.read", "team.audit.read"], projectScope: ["project.read", "project.create"] },
    });
    const created = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", {
      name: "deploy-bot",
      roleId: "builder",
    });
    token = created.token;
    tokenId = created.apiToken.id;
  });
  afterAll(() => h.close());

  describe("event type filter", () => {
    beforeAll(async () => {
      const spare = await h.owner.ok<{ apiToken: { id: string } }>("POST", "/v1/teams/acme/tokens", { name: "spare", roleId: "builder" });
      await h.owner.ok("DELETE", `/v1/teams/acme/tokens/${spare.apiToken.id}`);
      expect((await h.client({ bearer: token }).get("/v1/projects")).status).toBe(200);
      await flush();
    });

    it("takes a prefix of whole segments: apiTokens holds apiTokens.create and apiTokens.revoke, nothing else", async () => {
      const tokens = await feed("?eventType=apiTokens");
      expect(new Set(tokens.map((e) => e.eventType))).toEqual(new Set(["apiTokens.create", "apiTokens.revoke"]));
      expect(tokens.filter((e) => e.eventType === "apiTokens.create")).toHaveLength(2);
      // A part of a segment is no prefix.
      expect(await feed("?eventType=apiToken")).toEqual([]);
      expect(await feed("?eventType=apiTokens.creat")).toEqual([]);
    });

    it("keeps exact types working, for changes and for requests", async () => {
      const revokes = await feed("?eventType=apiTokens.revoke");
      expect(revokes.map((e) => e.eventType)).toEqual(["apiTokens.revoke"]);
      const requests = await feed("?eventType=request");
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.every((e) => e.eventType === "request")).toBe(true);
      // The doors' events are `auth.<door>`: `auth` reads no change event.
      expect(await feed("?eventType=auth")).toEqual([]);
    });

    it("filters a token's own feed and the JSON lines export the same way", async () => {
      const own = await events(h.owner, `/v1/teams/acme/tokens/${tokenId}/audit-logs?eventType=apiTokens`);
      expect(own.map((e) => e.eventType)).toEqual(["apiTokens.create"]);
      const res = await h.owner.get("/v1/teams/acme/audit-logs?format=jsonl&eventType=apiTokens");
      const lines = res.raw
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Event);
      expect(lines.map((e) => e.eventType).sort()).toEqual(["apiTokens.create", "apiTokens.create", "apiTokens.revoke"]);
    });

    it.each(["apiTokens.", ".create", "api tokens", "a%", "x".repeat(101)])("refuses %j with 400", async (bad) => {
      const res = await h.owner.get(`/v1/teams/acme/audit-logs?eventType=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
    });
  });

  describe("names beside ids", () => {
    it("names a token's requests after the token, with its creator as a detail", async () => {
      expect((await h.client({ bearer: token }).get("/v1/projects/nothing-here")).status).toBe(404);
      await flush();
      const [request] = await feed(`?eventType=request&tokenId=${tokenId}`);
      expect(request).toMatchObject({
        actor: { type: "apiToken", id: tokenId, name: "deploy-bot", email: OWNER_EMAIL },
        tokenId,
        path: "/v1/projects/nothing-here",
      });
    });

    it("names people, roles and tokens as they are now, and deleted things as the change recorded them", async () => {
      await h.owner.ok("PATCH", "/v1/teams/acme/roles/builder", { name: "Builders" });
      await h.owner.ok("PATCH", `/v1/teams/acme/tokens/${tokenId}`, { name: "deploy-robot" });
      await h.owner.ok("POST", "/v1/teams/acme/projects", { name: "Short lived" });
      await h.owner.ok("DELETE", "/v1/teams/acme/projects/short-lived");
      const all = await feed();
      const of = (type: string) => all.find((e) => e.eventType === type);
      expect(of("roles.create")?.resource).toEqual({ type: "roles", id: "builder", name: "Builders" });
      expect(of("apiTokens.update")?.resource).toEqual({ type: "apiTokens", id: tokenId, name: "deploy-robot" });
      expect(of("projects.delete")?.resource).toEqual({ type: "projects", id: "short-lived", name: "Short lived" });
      expect(of("teams.create")?.resource).toEqual({ type: "teams", id: "acme", name: "Acme" });
      const owner = await h.services.store.users.byEmail(OWNER_EMAIL);
      expect(of("roles.update")?.actor).toEqual({ type: "user", id: owner?.id, email: OWNER_EMAIL, name: owner?.name });
    });

    it("looks a role up in its own team: another team's role of the same id lends it no name", async () => {
      await h.owner.ok("POST", "/v1/teams", { name: "Beta" });
      await h.owner.ok("POST", "/v1/teams/beta/roles", { id: "builder", name: "Beta builders", permissions: { teamScope: ["team.read"] } });
      await h.owner.ok("DELETE", "/v1/teams/acme/roles/builder");
      const deleted = (await feed("?eventType=roles.delete"))[0];
      // Gone from acme: the name the change recorded, never beta's.
      expect(deleted?.resource).toEqual({ type: "roles", id: "builder", name: "Builders" });
      const beta = await events(h.owner, "/v1/teams/beta/audit-logs?eventType=roles.create");
      expect(beta[0]?.resource.name).toBe("Beta builders");
    });
  });
});

describe.each(dialects())("one row per change on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/orgs", { name: "Globex" });
    await h.owner.ok("POST", "/v1/orgs/globex/teams", { name: "Web" });
    await h.owner.ok("POST", "/v1/teams/web/roles", {
      name: "Builder",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.create"] },
    });
  });
  afterAll(() => h.close());

  it("a token's change is one row in the team's feed (the change), and its request stays in the token's own feed", async () => {
    const { token, apiToken } = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/teams/web/tokens", {
      name: "maker",
      roleId: "builder",
    });
    const t = h.client({ bearer: token });
    expect((await t.post("/v1/projects", { name: "Site" })).status).toBe(200);
    expect((await t.post("/v1/projects", { name: "Site" })).status).toBe(409);
    expect((await t.get("/v1/projects")).status).toBe(200);
    await h.services.audit.buffer.flush();

    const team = await events(h.owner, `/v1/teams/web/audit-logs?tokenId=${apiToken.id}`);
    expect(team.map((e) => [e.eventType, e.method, e.path, e.status])).toEqual([
      ["request", "GET", "/v1/projects", 200],
      ["request", "POST", "/v1/projects", 409],
      ["projects.create", "POST", "/v1/projects", 200],
    ]);
    expect(team[2]).toMatchObject({ actor: { type: "apiToken", id: apiToken.id, name: "maker" }, resource: { id: "site", name: "Site" } });

    const own = await events(h.owner, `/v1/teams/web/tokens/${apiToken.id}/audit-logs?eventType=request`);
    expect(own.map((e) => [e.method, e.status, e.details.changes])).toEqual([
      ["GET", 200, undefined],
      ["POST", 409, undefined],
      ["POST", 200, ["team:web"]],
    ]);
  });

  it("an organisation token's change to a team is one row there, and its request stays in the organisation's feed", async () => {
    const { token, apiToken } = await h.owner.ok<{ token: string; apiToken: { id: string } }>("POST", "/v1/orgs/globex/tokens", {
      name: "org-maker",
      roleId: "admin",
    });
    expect((await h.client({ bearer: token }).post("/v1/teams/web/projects", { name: "Shop" })).status).toBe(200);
    await h.services.audit.buffer.flush();
    const team = await events(h.owner, `/v1/teams/web/audit-logs?tokenId=${apiToken.id}`);
    expect(team.map((e) => [e.eventType, e.path])).toEqual([["projects.create", "/v1/teams/web/projects"]]);
    const org = await events(h.owner, `/v1/orgs/globex/audit-logs?tokenId=${apiToken.id}`);
    expect(org.map((e) => [e.eventType, e.path, e.details.changes])).toEqual([["request", "/v1/teams/web/projects", ["team:web"]]]);
  });
});
