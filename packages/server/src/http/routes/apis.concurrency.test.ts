import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

// A role edit that grants an API permission, racing the deletion of that API: whichever commits first, no role is
// left naming a permission that no longer exists (on PostgreSQL the two transactions really overlap).
describe.each(dialects())("APIs and role edits at once on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/orgs", { name: "Race" });
    await h.owner.ok("POST", "/v1/orgs/race/teams", { name: "Track" });
    await h.owner.ok("POST", "/v1/teams/track/roles", { name: "Runner", permissions: { teamScope: ["team.read"] } });
  });
  afterAll(() => h.close());

  it("deleting an API while a role is given its permission leaves no role naming it", async () => {
    for (let i = 0; i < 15; i++) {
      await h.owner.ok("POST", "/v1/orgs/race/apis", { id: `lap-${i}`, name: `Lap ${i}`, permissions: [{ id: "run" }] });
      const [edit, removal] = await Promise.all([
        h.owner.patch("/v1/teams/track/roles/runner", { permissions: { teamScope: ["team.read"], apiScope: [`lap-${i}:run`] } }),
        h.owner.delete(`/v1/orgs/race/apis/lap-${i}`),
      ]);
      expect([200, 400], edit.raw).toContain(edit.status);
      expect(removal.status, removal.raw).toBe(200);
      const role = await h.owner.ok<{ permissions: { apiScope: string[] } }>("GET", "/v1/teams/track/roles/runner");
      expect(role.permissions.apiScope, `round ${i}`).toEqual([]);
    }
  });
});
