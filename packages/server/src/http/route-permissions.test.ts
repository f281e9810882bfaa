import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessRule } from "../access/access.js";
import { startHarness, type Harness } from "../test-support/harness.js";

// The router enforces the permission a route declares (access.ts `authorizeRequest`), so a route that forgets to
// declare one would check nothing. Every route that takes a credential says which permission, or why none.
describe("every credential route declares what the router checks", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("sqlite");
  });
  afterAll(() => h.close());
  const credentialRoutes = () => h.routes.filter((r) => r.auth === "credential");

  it("a permission, or { none } with its reason", () => {
    expect(credentialRoutes().length).toBeGreaterThan(40);
    const undeclared = credentialRoutes()
      .filter((r) => r.declared === undefined)
      .map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
    const reasons = credentialRoutes().flatMap((r) => (typeof r.declared === "object" && "none" in r.declared ? [r.declared.none] : []));
    expect(reasons.length).toBeGreaterThan(0);
    const unexplained = reasons.filter((why) => why.trim().length < 10);
    expect(unexplained).toEqual([]);
  });

  it("a permission on the kind of entity the path names, so that the router can check it there", () => {
    const mismatched = credentialRoutes().flatMap((r) => {
      const rule = r.declared === undefined ? null : accessRule(r.declared, r.url);
      if (!rule) return [];
      const wrong = (r.url.includes(":teamId") && !rule.team) || (r.url.includes(":orgId") && !rule.org);
      return wrong ? [`${r.method} ${r.url}`] : [];
    });
    expect(mismatched).toEqual([]);
  });
});
