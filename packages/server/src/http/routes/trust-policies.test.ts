import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";
import { events } from "../../test-support/audit.js";

const POLICY = {
  name: "GitHub deploys",
  issuer: "https://token.actions.githubusercontent.com",
  audience: "https://github.com/acme",
  conditions: { repository: "acme/api", ref: "refs/heads/main", environment: "prod" },
  roleId: "default",
};

describe.each(dialects())("trust policies on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Deploy" });
    await h.owner.ok("POST", "/v1/teams", { name: "Elsewhere" });
  });
  afterAll(() => h.close());

  it("creates (lifetime 900 s by default), lists, gets, edits and deletes a policy, each change audited", async () => {
    const created = await h.owner.ok<{ id: string }>("POST", "/v1/teams/deploy/trust-policies", POLICY);
    expect(created).toMatchObject({ ...POLICY, maxLifetimeSeconds: 900 });
    const list = await h.owner.ok<{ trustPolicies: { id: string }[] }>("GET", "/v1/teams/deploy/trust-policies");
    expect(list.trustPolicies.map((p) => p.id)).toEqual([created.id]);
    expect(await h.owner.ok("GET", `/v1/teams/deploy/trust-policies/${created.id}`)).toMatchObject(POLICY);
    const edited = await h.owner.ok("PATCH", `/v1/teams/deploy/trust-policies/${created.id}`, { maxLifetimeSeconds: 3600 });
    expect(edited).toMatchObject({ maxLifetimeSeconds: 3600 });
    expect(await h.owner.ok("DELETE", `/v1/teams/deploy/trust-policies/${created.id}`)).toEqual({ id: created.id, deleted: true });
    expect((await h.owner.get(`/v1/teams/deploy/trust-policies/${created.id}`)).status).toBe(404);
    const types = (await events(h.owner, "/v1/teams/deploy/audit-logs?per_page=100")).map((e) => e.eventType);
    expect(types).toEqual(expect.arrayContaining(["trustPolicies.create", "trustPolicies.update", "trustPolicies.delete"]));
  });

  it.each([
    ["an http issuer off loopback", { issuer: "http://token.example.com" }, "issuer"],
    ["an issuer with a trailing slash", { issuer: "https://token.example.com/" }, "issuer"],
    ["a lifetime over an hour", { maxLifetimeSeconds: 3601 }, "maxLifetimeSeconds"],
    ["no condition that pins a claim", { conditions: { repository: "*" } }, "conditions"],
    ["a condition on a claim Latchkey checks itself", { conditions: { aud: "x", repository: "a/b" } }, "conditions.aud"],
    ["an unknown field", { colour: "red" }, "body"],
  ])("refuses %s with 400 naming the field", async (_what, patch, field) => {
    const res = await h.owner.post("/v1/teams/deploy/trust-policies", { ...POLICY, ...patch });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error?.details)).toContain(field);
  });

  it("accepts http on loopback (a local issuer)", async () => {
    expect((await h.owner.post("/v1/teams/deploy/trust-policies", { ...POLICY, issuer: "http://127.0.0.1:8080" })).status).toBe(200);
  });

  it("needs trustpolicies.manage to write and trustpolicies.read to read; other teams are 404", async () => {
    const member = await h.newMember(h.owner, "/v1/teams/deploy", ["default"]);
    expect((await member.get("/v1/teams/deploy/trust-policies")).status).toBe(200);
    const denied = await member.post("/v1/teams/deploy/trust-policies", POLICY);
    expect(denied.status).toBe(403);
    expect(denied.body.error?.details).toMatchObject({ permission: "team.trustpolicies.manage" });
    expect((await member.get("/v1/teams/elsewhere/trust-policies")).status).toBe(404);
    const mine = await h.owner.ok<{ id: string }>("POST", "/v1/teams/elsewhere/trust-policies", POLICY);
    // A policy id from another team finds nothing here.
    expect((await h.owner.get(`/v1/teams/deploy/trust-policies/${mine.id}`)).status).toBe(404);
  });

  it("refuses a policy for a role that grants more than its author holds (no escalation)", async () => {
    await h.owner.ok("POST", "/v1/teams/deploy/roles", {
      name: "Policy writer",
      permissions: { teamScope: ["team.read", "team.trustpolicies.read", "team.trustpolicies.manage"], projectScope: [] },
    });
    const writer = await h.newMember(h.owner, "/v1/teams/deploy", ["policy-writer"]);
    const res = await writer.post("/v1/teams/deploy/trust-policies", { ...POLICY, roleId: "owner" });
    expect(res.status).toBe(403);
    expect((await writer.post("/v1/teams/deploy/trust-policies", { ...POLICY, roleId: "policy-writer" })).status).toBe(200);
  });

  it("organisations have their own policies", async () => {
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    const p = await h.owner.ok<{ id: string }>("POST", "/v1/orgs/acme/trust-policies", { ...POLICY, roleId: "member" });
    expect((await h.owner.ok<{ trustPolicies: { id: string }[] }>("GET", "/v1/orgs/acme/trust-policies")).trustPolicies[0]?.id).toBe(p.id);
  });
});
