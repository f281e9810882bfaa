import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../../test-support/databases.js";
import { startHarness, type Harness } from "../../test-support/harness.js";

const POLICY = {
  name: "deploys",
  issuer: "https://token.actions.githubusercontent.com",
  audience: "https://latchkey.example",
  conditions: { repository: "acme/api", ref: "refs/heads/main" },
  roleId: "default",
};

describe.each(dialects())("what a deleted team or organisation leaves behind, on %s", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_WEBHOOKS_ALLOW_PRIVATE: "true" });
  });
  afterAll(() => h.close());

  const rows = async (table: "trust_policies" | "webhooks", entityType: "team" | "org", entityId: string) =>
    (
      await h.services.store.db.kysely
        .selectFrom(table)
        .select("id")
        .where("entity_type", "=", entityType)
        .where("entity_id", "=", entityId)
        .execute()
    ).length;

  it.each([
    ["team", "/v1/teams", "gone-team"],
    ["org", "/v1/orgs", "gone-org"],
  ] as const)("a deleted %s's trust policies (which would mint its tokens) and webhooks go with it", async (type, base, id) => {
    await h.owner.ok("POST", base, { name: id.replace("-", " ") });
    const roleId = type === "team" ? "default" : "member";
    await h.owner.ok("POST", `${base}/${id}/trust-policies`, { ...POLICY, roleId });
    await h.owner.ok("POST", `${base}/${id}/webhooks`, { url: "http://127.0.0.1:9/hook", events: ["token.created"] });
    expect(await rows("trust_policies", type, id)).toBe(1);
    expect(await rows("webhooks", type, id)).toBe(1);
    await h.owner.ok("DELETE", `${base}/${id}`);
    expect(await rows("trust_policies", type, id)).toBe(0);
    expect(await rows("webhooks", type, id)).toBe(0);
  });
});
