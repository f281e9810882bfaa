import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { events } from "../../test-support/audit.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

interface Api {
  id: string;
  name: string;
  permissions: { id: string; description: string; sensitive: boolean }[];
}
interface Role {
  id: string;
  permissions: { apiScope: string[]; teamScope: string[] };
}

const BILLING = {
  name: "Billing",
  description: "invoices and payments",
  permissions: [{ id: "invoices.read", description: "Read invoices" }, { id: "invoices.write", sensitive: true }, { id: "refunds" }],
};

describe.each(dialects())("APIs of your own on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs/acme/teams", { name: "Web" });
    await h.owner.ok("POST", "/v1/teams", { name: "Other" });
  });
  afterAll(() => h.close());

  const roleOf = (path: string) => h.owner.ok<Role>("GET", path);

  it("creates, lists, gets, edits and deletes a team API; the owner role receives its permissions", async () => {
    const created = await h.owner.ok<Api>("POST", "/v1/teams/web/apis", BILLING);
    expect(created).toMatchObject({
      id: "billing",
      name: "Billing",
      description: "invoices and payments",
      permissions: [
        { id: "invoices.read", description: "Read invoices", sensitive: false },
        { id: "invoices.write", description: "", sensitive: true },
        { id: "refunds", description: "", sensitive: false },
      ],
    });
    await h.owner.ok("POST", "/v1/teams/web/apis", { id: "search", name: "Search engine" });
    const list = await h.owner.get("/v1/teams/web/apis");
    expect((list.body.data as { apis: Api[] }).apis.map((a) => a.id)).toEqual(["search", "billing"]);
    expect(list.body.pagination).toEqual({ hasNextPage: false, count: 2 });
    expect(await h.owner.ok<Api>("GET", "/v1/teams/web/apis/billing")).toEqual(created);
    expect((await roleOf("/v1/teams/web/roles/owner")).permissions.apiScope).toEqual([
      "billing:invoices.read",
      "billing:invoices.write",
      "billing:refunds",
    ]);
    const edited = await h.owner.ok<Api>("PATCH", "/v1/teams/web/apis/search", { description: "find", permissions: [{ id: "query" }] });
    expect(edited).toMatchObject({ name: "Search engine", description: "find", permissions: [{ id: "query" }] });
    expect((await roleOf("/v1/teams/web/roles/owner")).permissions.apiScope).toContain("search:query");
    expect(await h.owner.ok("DELETE", "/v1/teams/web/apis/search")).toEqual({ id: "search", deleted: true });
    expect((await h.owner.get("/v1/teams/web/apis/search")).status).toBe(404);
    expect((await roleOf("/v1/teams/web/roles/owner")).permissions.apiScope).not.toContain("search:query");
    const audit = await events(h.owner, "/v1/teams/web/audit-logs?resourceType=apis");
    expect(audit.map((e) => e.eventType)).toEqual(["apis.delete", "apis.update", "apis.create", "apis.create"]);
  });

  it("organisation APIs work the same, and their ids are unique across the organisation and its teams", async () => {
    await h.owner.ok("POST", "/v1/orgs/acme/apis", { name: "CRM", permissions: [{ id: "contacts.read" }] });
    expect((await roleOf("/v1/orgs/acme/roles/owner")).permissions.apiScope).toEqual(["crm:contacts.read"]);
    expect((await h.owner.post("/v1/teams/web/apis", { name: "CRM" })).status).toBe(409);
    expect((await h.owner.post("/v1/orgs/acme/apis", { name: "Billing" })).status).toBe(409);
    expect((await h.owner.post("/v1/orgs/acme/apis", { name: "CRM" })).status).toBe(409);
    // A team outside the organisation has its own namespace.
    await h.owner.ok("POST", "/v1/teams/other/apis", { name: "CRM", permissions: [{ id: "contacts.read" }] });
  });

  it("a team role grants its team's and its organisation's API permissions; unknown names are 400 naming them", async () => {
    const role = await h.owner.ok<Role>("POST", "/v1/teams/web/roles", {
      name: "Biller",
      permissions: { teamScope: ["team.read"], apiScope: ["billing:invoices.read", "crm:contacts.read"] },
    });
    expect(role.permissions.apiScope).toEqual(["billing:invoices.read", "crm:contacts.read"]);
    const bad = await h.owner.post("/v1/teams/web/roles", {
      name: "Bad",
      permissions: { apiScope: ["billing:invoices.read", "billing:nope", "ghost:read"] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain("billing:nope, ghost:read");
    expect(bad.body.error?.details).toMatchObject({ unknown: ["billing:nope", "ghost:read"] });
    // A team outside the organisation cannot grant the organisation's (nor another team's) API.
    const foreign = await h.owner.post("/v1/teams/other/roles", { name: "Thief", permissions: { apiScope: ["billing:invoices.read"] } });
    expect(foreign.status).toBe(400);
    // An organisation role may grant the organisation's APIs, not a team's.
    expect((await h.owner.post("/v1/orgs/acme/roles", { name: "Sales", permissions: { apiScope: ["crm:contacts.read"] } })).status).toBe(
      200,
    );
    expect((await h.owner.post("/v1/orgs/acme/roles", { name: "Nope", permissions: { apiScope: ["billing:refunds"] } })).status).toBe(400);
    // Malformed names are 400 before any lookup; PATCH checks the same way.
    expect((await h.owner.post("/v1/teams/web/roles", { name: "M", permissions: { apiScope: ["Billing:x"] } })).status).toBe(400);
    const patch = await h.owner.patch("/v1/teams/web/roles/biller", { permissions: { apiScope: ["billing:gone"] } });
    expect(patch.status).toBe(400);
    expect(patch.body.error?.message).toContain("billing:gone");
  });

  it("no escalation: a role manager without an API permission cannot grant it", async () => {
    await h.owner.ok("POST", "/v1/teams/web/roles", {
      id: "role-admin",
      name: "Role admin",
      permissions: { teamScope: ["team.read", "team.roles.manage", "team.roles.read"] },
    });
    const manager = await h.newMember(h.owner, "/v1/teams/web", ["role-admin"]);
    const refused = await manager.post("/v1/teams/web/roles", { name: "Sneaky", permissions: { apiScope: ["billing:refunds"] } });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.details).toMatchObject({ missing: ["billing:refunds"] });
  });

  it("refuses without the permission (403 naming it) and hides other teams' APIs (404)", async () => {
    const reader = await h.newMember(h.owner, "/v1/teams/web", ["default"]);
    expect((await reader.get("/v1/teams/web/apis")).status).toBe(200);
    const create = await reader.post("/v1/teams/web/apis", { name: "Mine" });
    expect(create.status).toBe(403);
    expect(create.body.error?.details).toMatchObject({ permission: "team.apis.manage" });
    expect((await reader.patch("/v1/teams/web/apis/billing", { name: "X" })).body.error?.details).toMatchObject({
      permission: "team.apis.manage",
    });
    expect((await reader.delete("/v1/teams/web/apis/billing")).status).toBe(403);
    const noRead = await h.owner.ok("POST", "/v1/teams/web/roles", { name: "Blind", permissions: { teamScope: ["team.read"] } });
    expect(noRead).toBeTruthy();
    const blind = await h.newMember(h.owner, "/v1/teams/web", ["blind"]);
    expect((await blind.get("/v1/teams/web/apis")).body.error?.details).toMatchObject({ permission: "team.apis.read" });
    // Another team's member: 404 for the team and its APIs, never a hint.
    const outsider = await h.newMember(h.owner, "/v1/teams/other", ["owner"]);
    expect((await outsider.get("/v1/teams/web/apis")).status).toBe(404);
    expect((await outsider.get("/v1/teams/web/apis/billing")).status).toBe(404);
    expect((await outsider.delete("/v1/teams/web/apis/billing")).status).toBe(404);
    expect((await outsider.get("/v1/orgs/acme/apis")).status).toBe(404);
    expect((await h.owner.get("/v1/teams/web/apis/ghost")).status).toBe(404);
  });

  it("refuses bad input with 400: ids, duplicates, sizes, unknown fields", async () => {
    const bad = [
      { name: "A", permissions: [{ id: "Read" }] },
      { name: "A", permissions: [{ id: "a..b" }] },
      { name: "A", permissions: [{ id: "a" }, { id: "a" }] },
      { name: "A", permissions: Array.from({ length: 201 }, (_, i) => ({ id: `p${i}` })) },
      { name: "A", permissions: [{ id: "x".repeat(65) }] },
      { name: "A", colour: "red" },
      { name: "" },
      { id: "Not A Slug", name: "A" },
      { name: "A", permissions: "read" },
    ];
    for (const body of bad) {
      const reply = await h.owner.post("/v1/teams/web/apis", body);
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await h.owner.patch("/v1/teams/web/apis/billing", { permissions: [{ id: "ok", sensitive: "yes" }] })).status).toBe(400);
  });

  it("removing a permission or deleting the API takes it out of every role, audited, seen by the token's next request", async () => {
    await h.owner.ok("POST", "/v1/orgs/acme/apis", { name: "Ledger", permissions: [{ id: "read" }, { id: "write" }] });
    await h.owner.ok("POST", "/v1/teams/web/roles", {
      name: "Bookkeeper",
      permissions: { apiScope: ["ledger:read", "ledger:write", "billing:refunds"] },
    });
    await h.owner.ok("POST", "/v1/orgs/acme/roles", { name: "Auditor", permissions: { apiScope: ["ledger:read"] } });
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/web/tokens", { name: "books", roleId: "bookkeeper" });
    const bearer = h.client({ bearer: token });
    const scope = async () => (await bearer.ok<{ permissions: { apiScope: string[] } }>("GET", "/v1/auth")).permissions.apiScope;
    expect(await scope()).toEqual(["ledger:read", "ledger:write", "billing:refunds"]);

    await h.owner.ok("PATCH", "/v1/orgs/acme/apis/ledger", { permissions: [{ id: "read" }] });
    expect(await scope()).toEqual(["ledger:read", "billing:refunds"]);
    expect((await roleOf("/v1/orgs/acme/roles/owner")).permissions.apiScope).not.toContain("ledger:write");

    await h.owner.ok("DELETE", "/v1/orgs/acme/apis/ledger");
    expect(await scope()).toEqual(["billing:refunds"]);
    expect((await roleOf("/v1/orgs/acme/roles/auditor")).permissions.apiScope).toEqual([]);
    // Each role change is in its own team's or organisation's feed, with before and after.
    const teamFeed = await events(h.owner, "/v1/teams/web/audit-logs?eventType=roles.update&resourceId=bookkeeper");
    expect(teamFeed).toHaveLength(2);
    expect(teamFeed[0]?.details.after).toMatchObject({ permissions: { apiScope: ["billing:refunds"] } });
    const orgFeed = await events(h.owner, "/v1/orgs/acme/audit-logs?eventType=roles.update&resourceId=auditor");
    expect(orgFeed).toHaveLength(1);
    expect((await events(h.owner, "/v1/orgs/acme/audit-logs?eventType=apis.delete")).map((e) => e.resource.id)).toEqual(["ledger"]);

    // A role that names a deleted API's permission again is refused: the name no longer exists.
    expect((await h.owner.patch("/v1/teams/web/roles/bookkeeper", { permissions: { apiScope: ["ledger:read"] } })).status).toBe(400);
  });

  it("a team token reaches its team's APIs through /v1/apis; at most 100 APIs per team; deleting the team takes its APIs", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Full" });
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/full/tokens", { name: "admin", roleId: "owner" });
    const bearer = h.client({ bearer: token });
    for (let i = 0; i < 100; i++) await bearer.ok("POST", "/v1/apis", { id: `api-${i}`, name: `API ${i}` });
    const over = await bearer.post("/v1/apis", { name: "One too many" });
    expect(over.status).toBe(409);
    expect(over.body.error?.message).toContain("100");
    expect((await bearer.get("/v1/apis?per_page=100")).body.pagination).toMatchObject({ hasNextPage: false, count: 100 });
    expect(await bearer.ok<Api>("GET", "/v1/apis/api-7")).toMatchObject({ id: "api-7" });
    await h.owner.ok("DELETE", "/v1/teams/full");
    expect(await h.services.store.apis.count({ type: "team", id: "full" })).toBe(0);
  }, 60_000);
});
