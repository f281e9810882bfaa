import { forbidden } from "../test-support/refusals.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Client, type Harness } from "../test-support/harness.js";

const CEILING = 1000;

// Issue 20, item 5, from the attacker's side: `rateLimitPerHour` sat under `team.update`, which every default member
// (and every default-role token) holds, so the lowest role could lift its own limit 100,000-fold.
describe.each(dialects())("who may set a rate limit, and how high, on %s", (kind) => {
  let h: Harness;
  let plain: Client;
  let admin: Client;
  const limitOf = async (path: string): Promise<unknown> =>
    ((await h.owner.get(path)).body.data as { rateLimitPerHour: unknown }).rateLimitPerHour;
  const tokenLimit = async (path: string, roleId: string): Promise<string | undefined> => {
    const { token } = await h.owner.ok<{ token: string }>("POST", `${path}/tokens`, { name: `${roleId} probe`, roleId });
    return String((await h.client({ bearer: token }).get("/v1/login")).headers["x-ratelimit-limit"]);
  };

  beforeAll(async () => {
    h = await startHarness(kind, { LATCHKEY_RATE_LIMIT_PER_HOUR: "10", LATCHKEY_RATE_LIMIT_MAX_PER_HOUR: String(CEILING) });
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    plain = await h.newMember(h.owner, "/v1/teams/acme", ["default"]);
    admin = await h.newMember(h.owner, "/v1/teams/acme", ["admin"]);
    await h.owner.ok("POST", "/v1/orgs", { name: "Umbrella" });
    await h.owner.ok("POST", "/v1/orgs/umbrella/teams", { name: "Labs" });
  });
  afterAll(() => h.close());

  it("a default member cannot raise, lower or clear its team's limit: 403 naming team.ratelimits.manage", async () => {
    for (const value of [100_000_000, CEILING, 1, null]) {
      forbidden(await plain.patch("/v1/teams/acme", { rateLimitPerHour: value }), "team.ratelimits.manage");
    }
    // Not even hidden behind an allowed change in the same request.
    forbidden(await plain.patch("/v1/teams/acme", { name: "Acme", rateLimitPerHour: 500 }), "team.ratelimits.manage");
    expect(await limitOf("/v1/teams/acme")).toBeNull();
    expect(await tokenLimit("/v1/teams/acme", "default")).toBe("10");
    // Editing the team itself stays theirs.
    expect(await plain.ok("PATCH", "/v1/teams/acme", { description: "still editable" })).toMatchObject({ description: "still editable" });
  });

  it("nor can a default-role token, through either path", async () => {
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "default bot", roleId: "default" });
    const bot = h.client({ bearer: token });
    forbidden(await bot.patch("/v1/teams/acme", { rateLimitPerHour: 100_000_000 }), "team.ratelimits.manage");
    expect((await bot.get("/v1/login")).headers["x-ratelimit-limit"]).toBe("10");
  });

  it("an admin cannot either, nor make a role that could, nor mint a token of the owner role", async () => {
    forbidden(await admin.patch("/v1/teams/acme", { rateLimitPerHour: 500 }), "team.ratelimits.manage");
    const role = await admin.post("/v1/teams/acme/roles", {
      id: "limit-lifter",
      name: "Limit lifter",
      permissions: { teamScope: ["team.read", "team.update", "team.ratelimits.manage"] },
    });
    forbidden(role, "team.ratelimits.manage");
    expect((await admin.post("/v1/teams/acme/tokens", { name: "up", roleId: "owner" })).status).toBe(403);
    expect(await limitOf("/v1/teams/acme")).toBeNull();
  });

  it("an organisation admin cannot set the organisation's limit nor a team's in it", async () => {
    const orgAdmin = await h.newMember(h.owner, "/v1/orgs/umbrella", ["admin"]);
    forbidden(await orgAdmin.patch("/v1/orgs/umbrella", { rateLimitPerHour: 500 }), "org.ratelimits.manage");
    forbidden(await orgAdmin.patch("/v1/teams/labs", { rateLimitPerHour: 500 }), "team.ratelimits.manage");
    expect(await orgAdmin.ok("PATCH", "/v1/orgs/umbrella", { name: "Umbrella Corp" })).toMatchObject({ name: "Umbrella Corp" });
    expect(await limitOf("/v1/orgs/umbrella")).toBeNull();
    expect(await limitOf("/v1/teams/labs")).toBeNull();
  });

  it("the owner sets the limit up to the ceiling; above it is 400 naming the field and the ceiling, and changes nothing", async () => {
    expect(await h.owner.ok("PATCH", "/v1/teams/acme", { rateLimitPerHour: CEILING })).toMatchObject({ rateLimitPerHour: CEILING });
    expect(await tokenLimit("/v1/teams/acme", "default")).toBe(String(CEILING));
    for (const path of ["/v1/teams/acme", "/v1/orgs/umbrella"]) {
      const res = await h.owner.patch(path, { rateLimitPerHour: CEILING + 1 });
      expect(res.status, res.raw).toBe(400);
      expect(res.body.error?.code).toBe("VALIDATION_FAILED");
      expect(res.body.error?.details).toMatchObject({ maxPerHour: CEILING });
      expect(String((res.body.error?.details?.["fields"] as Record<string, string>)["rateLimitPerHour"])).toContain(String(CEILING));
      expect(res.body.error?.message).toContain(String(CEILING));
    }
    expect(await limitOf("/v1/teams/acme")).toBe(CEILING);
    expect(await limitOf("/v1/orgs/umbrella")).toBeNull();
    expect(await h.owner.ok("PATCH", "/v1/teams/acme", { rateLimitPerHour: null })).toMatchObject({ rateLimitPerHour: null });
  });

  it("the organisation owner sets the organisation's limit and its teams'", async () => {
    expect(await h.owner.ok("PATCH", "/v1/orgs/umbrella", { rateLimitPerHour: 70 })).toMatchObject({ rateLimitPerHour: 70 });
    expect(await tokenLimit("/v1/orgs/umbrella", "member")).toBe("70");
    // Through the organisation role alone: a second owner of the organisation is no member of the team itself.
    const orgOwner = await h.newMember(h.owner, "/v1/orgs/umbrella", ["owner"]);
    expect(await orgOwner.ok("PATCH", "/v1/teams/labs", { rateLimitPerHour: 40 })).toMatchObject({ rateLimitPerHour: 40 });
    expect(await tokenLimit("/v1/teams/labs", "default")).toBe("40");
  });

  it("a limit stored above the ceiling (before it existed, or since lowered) is held to the ceiling", async () => {
    await h.owner.ok("POST", "/v1/teams", { name: "Legacy" });
    await h.services.store.transaction(async (tx) => {
      await tx.teams.update("legacy", { rate_limit_per_hour: 100_000_000 });
      await tx.publish({ t: "limits", entityType: "team", entityId: "legacy" });
    });
    expect(await tokenLimit("/v1/teams/legacy", "default")).toBe(String(CEILING));
  });
});
