import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../test-support/harness.js";

// Issue 21.6: a restricted token refused on a project outside its restriction is told the restriction, by name.
describe.each(dialects())("refusals that name the restriction on %s", (kind) => {
  let h: Harness;
  let webOnly: Client;

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Alpha" });
    for (const name of ["Web", "Billing"]) await h.owner.ok("POST", "/v1/teams/alpha/projects", { name });
    await h.owner.ok("POST", "/v1/teams/alpha/roles", {
      id: "web-only",
      name: "Web only",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read", "project.update"] },
      restrictions: { enabled: true, projects: ["web"], restrictionMode: "in" },
    });
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/alpha/tokens", { name: "web", roleId: "web-only" });
    webOnly = h.client({ bearer: token });
  });
  afterAll(() => h.close());

  it("names the restriction in the message and details, not a missing permission the token holds", async () => {
    expect((await webOnly.get("/v1/projects/web")).status).toBe(200);
    const refused = await webOnly.get("/v1/projects/billing");
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("FORBIDDEN");
    expect(refused.body.error?.message).toBe(
      "project billing is outside the restriction: this token's role is restricted to only project web (project.read is held, but not on this project)",
    );
    expect(refused.body.error?.message).not.toMatch(/missing permission/);
    expect(refused.body.error?.details).toEqual({
      permission: "project.read",
      reason: "restriction",
      projectId: "billing",
      restrictions: [{ enabled: true, projects: ["web"], restrictionMode: "in" }],
    });
    const update = await webOnly.patch("/v1/projects/billing", { description: "x" });
    expect(update.body.error?.details).toMatchObject({ permission: "project.update", reason: "restriction" });
  });

  it("still says 'missing permission' for a permission the token does not hold at all", async () => {
    const refused = await webOnly.delete("/v1/projects/web");
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toBe("missing permission project.delete");
    expect(refused.body.error?.details).toMatchObject({ permission: "project.delete" });
    expect(refused.body.error?.details?.["reason"]).toBeUndefined();
  });

  it("words an every-project-except restriction for a person too", async () => {
    await h.owner.ok("POST", "/v1/teams/alpha/roles", {
      id: "not-billing",
      name: "Not billing",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      restrictions: { enabled: true, projects: ["billing"], restrictionMode: "notIn" },
    });
    const person = await h.newMember(h.owner, "/v1/teams/alpha", ["not-billing"]);
    const refused = await person.get("/v1/teams/alpha/projects/billing");
    expect(refused.body.error?.message).toBe(
      "project billing is outside the restriction: your roles here are restricted to every project except billing (project.read is held, but not on this project)",
    );
  });
});
