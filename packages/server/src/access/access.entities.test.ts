import { DomainError, UNRESTRICTED, type Grant } from "@latchkey/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { dialects } from "../test-support/databases.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { sessionPrincipal } from "../test-support/principals.js";
import {
  accessRule,
  assertCovers,
  authorizeEntity,
  authorizeRequest,
  entityFor,
  grantsOfUser,
  refuseTokens,
  type AccessRule,
} from "./access.js";
import type { Principal } from "./principal.js";

// access.ts on a real store (issue 22, mutation testing): which team or organisation a principal reaches (else 404
// with the same words whether it exists or not), the 403 that names what is missing, and the token's own team
// decided without a query. People and tokens are made through the API; their grants are what the store gives.

describe.each(dialects())("access decisions on a real store, %s", (kind) => {
  let h: Harness;
  /** A member of the organisation through a role restricted to its team `web`. */
  let webOnly: Principal;
  /** A member of team `web` only, with its default role. */
  let webMember: Principal;
  /** A member of team `web` whose role reaches only its project `site`. */
  let siteOnly: Principal;
  /** A token of team `web`'s default role. */
  let webToken: Principal;
  let owner: Principal;

  const session = (userId: string, email = "someone@example.com"): Promise<Principal> => sessionPrincipal(h.services.store, userId, email);

  beforeAll(async () => {
    h = await startHarness(kind);
    await h.owner.ok("POST", "/v1/teams", { name: "Solo" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Acme" });
    await h.owner.ok("POST", "/v1/orgs", { name: "Other" });
    for (const name of ["Web", "Data"]) await h.owner.ok("POST", "/v1/orgs/acme/teams", { name });
    for (const name of ["Site", "Docs"]) await h.owner.ok("POST", "/v1/teams/web/projects", { name });
    await h.owner.ok("POST", "/v1/orgs/acme/roles", {
      id: "web-only",
      name: "Web only",
      permissions: { orgScope: ["org.read"], teamScope: ["team.read"], projectScope: ["project.read"] },
      restrictions: { enabled: true, teams: [{ teamId: "web" }] },
    });
    await h.owner.ok("POST", "/v1/teams/web/roles", {
      id: "site-only",
      name: "Site only",
      permissions: { teamScope: ["team.read"], projectScope: ["project.read"] },
      restrictions: { enabled: true, projects: ["site"], restrictionMode: "in" },
    });
    webOnly = await session((await h.newMember(h.owner, "/v1/orgs/acme", ["web-only"])).userId);
    webMember = await session((await h.newMember(h.owner, "/v1/teams/web", ["default"])).userId);
    siteOnly = await session((await h.newMember(h.owner, "/v1/teams/web", ["site-only"])).userId);
    owner = await session(h.owner.userId);
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/teams/web/tokens", { name: "web bot", roleId: "default" });
    webToken = await h.services.verifier.authenticate(token, "127.0.0.1");
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => h.close());

  const refusal = async (attempt: () => unknown): Promise<{ code: string; message: string; details: unknown }> => {
    try {
      await attempt();
    } catch (error) {
      if (error instanceof DomainError) return { code: error.code, message: error.message, details: error.details };
      throw error;
    }
    throw new Error("allowed");
  };

  it("gives a person the grants of their roles, a team role's naming its organisation", async () => {
    expect(await grantsOfUser(h.services.store, webMember.userId)).toEqual(webMember.grants);
    expect(webMember.grants).toEqual([expect.objectContaining({ entityType: "team", entityId: "web", orgId: "acme" })]);
    expect(webOnly.grants).toEqual([expect.objectContaining({ entityType: "org", entityId: "acme", orgId: "acme" })]);
    expect(owner.grants).toContainEqual(expect.objectContaining({ entityType: "team", entityId: "solo", orgId: null }));
  });

  it("finds a reachable team or organisation with its organisation and resource", async () => {
    const store = h.services.store;
    expect(await entityFor(store, webMember, "team", "web")).toEqual({
      type: "team",
      id: "web",
      orgId: "acme",
      resource: { teamId: "web", orgId: "acme" },
    });
    expect(await entityFor(store, webOnly, "team", "web")).toMatchObject({ id: "web", orgId: "acme" });
    expect(await entityFor(store, webOnly, "org", "acme")).toEqual({ type: "org", id: "acme", orgId: "acme", resource: { orgId: "acme" } });
    expect(await entityFor(store, owner, "team", "solo")).toEqual({
      type: "team",
      id: "solo",
      orgId: null,
      resource: { teamId: "solo", orgId: null },
    });
  });

  it("answers 404 alike for what does not exist and for what the principal does not reach", async () => {
    const store = h.services.store;
    const notFound = (message: string) => ({ code: "NOT_FOUND", message, details: undefined });
    for (const [who, type, id] of [
      [webMember, "team", "data"],
      [webMember, "team", "nope"],
      [webOnly, "team", "data"],
      [webOnly, "team", "solo"],
      [webToken, "team", "data"],
      [siteOnly, "team", "solo"],
    ] as const) {
      expect(await refusal(() => entityFor(store, who, type, id))).toMatchObject(notFound(`team ${id} not found`));
    }
    // A team of the organisation does not make its members members of the organisation.
    for (const [who, id] of [
      [webMember, "acme"],
      [webToken, "acme"],
      [webOnly, "other"],
      [webOnly, "nope"],
    ] as const) {
      expect(await refusal(() => entityFor(store, who, "org", id))).toMatchObject(notFound(`organisation ${id} not found`));
    }
  });

  it("decides a team token on its own team without a query, and reads the store for anything else", async () => {
    const byId = vi.spyOn(h.services.store.teams, "byId");
    const rule = accessRule("team.read", "/v1/teams/:teamId") as AccessRule;
    expect(await authorizeRequest(h.services.store, webToken, rule, {})).toEqual({
      type: "team",
      id: "web",
      orgId: "acme",
      resource: { teamId: "web", orgId: "acme" },
    });
    expect(await entityFor(h.services.store, webToken, "team", "web")).toMatchObject({ id: "web", orgId: "acme" });
    expect(byId).not.toHaveBeenCalled();
    await entityFor(h.services.store, webMember, "team", "web");
    expect(byId).toHaveBeenCalledTimes(1);
    await refusal(() => entityFor(h.services.store, webToken, "team", "data"));
    expect(byId).toHaveBeenCalledTimes(2);
    // Its own team named by a principal whose scope is another team (no verifier makes one): read, and refused.
    const elsewhere: Principal = { ...webToken, scope: { entityType: "team", entityId: "data" } };
    expect(await entityFor(h.services.store, elsewhere, "team", "web")).toMatchObject({ id: "web" });
    expect(byId).toHaveBeenCalledTimes(3);
  });

  it("never takes an organisation token for a token of the team that shares its organisation's id", async () => {
    // A team outside the organisation may have its id: the organisation's token does not reach it.
    await h.owner.ok("POST", "/v1/teams", { name: "Acme" });
    const { token } = await h.owner.ok<{ token: string }>("POST", "/v1/orgs/acme/tokens", { name: "org bot", roleId: "admin" });
    const orgToken = await h.services.verifier.authenticate(token, "127.0.0.1");
    const store = h.services.store;
    expect(await refusal(() => entityFor(store, orgToken, "team", "acme"))).toMatchObject({ code: "NOT_FOUND" });
    const rule = accessRule("team.read", "/v1/teams/:teamId") as AccessRule;
    expect(await refusal(() => authorizeRequest(store, orgToken, rule, { teamId: "acme" }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await entityFor(store, orgToken, "team", "web")).toMatchObject({ id: "web", orgId: "acme" });
    // Nor does a token of that team reach the organisation, in either way.
    const teamToken = await h.services.verifier.authenticate(
      (await h.owner.ok<{ token: string }>("POST", "/v1/teams/acme/tokens", { name: "team bot", roleId: "admin" })).token,
      "127.0.0.1",
    );
    expect(await refusal(() => entityFor(store, teamToken, "org", "acme"))).toMatchObject({ code: "NOT_FOUND" });
    const orgRead = accessRule("org.read", "/v1/orgs/:orgId") as AccessRule;
    expect(await refusal(() => authorizeRequest(store, teamToken, orgRead, { orgId: "acme" }))).toMatchObject({ code: "NOT_FOUND" });
    // Nor a principal whose grant is another team's than its scope (no verifier makes one).
    const mismatched: Principal = { ...webToken, grants: [{ ...webToken.grants[0]!, entityId: "data" }] };
    expect(await refusal(() => entityFor(store, mismatched, "team", "web"))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a permission not held with 403 naming it and the resource; a project outside a restriction as such", async () => {
    const store = h.services.store;
    const rule = accessRule("team.roles.manage", "/v1/teams/:teamId/roles") as AccessRule;
    expect(await refusal(() => authorizeRequest(store, webMember, rule, { teamId: "web" }))).toEqual({
      code: "FORBIDDEN",
      message: "missing permission team.roles.manage",
      details: { permission: "team.roles.manage", resource: { teamId: "web", orgId: "acme" } },
    });
    const project = accessRule("project.read", "/v1/teams/:teamId/projects/:projectId") as AccessRule;
    expect(await authorizeRequest(store, siteOnly, project, { teamId: "web", projectId: "site" })).toMatchObject({ id: "web" });
    const outside = await refusal(() => authorizeRequest(store, siteOnly, project, { teamId: "web", projectId: "docs" }));
    expect(outside).toMatchObject({ code: "FORBIDDEN", details: { permission: "project.read", reason: "restriction", projectId: "docs" } });
    const orgRule = accessRule("org.delete", "/v1/orgs/:orgId") as AccessRule;
    expect(await refusal(() => authorizeRequest(store, webOnly, orgRule, { orgId: "acme" }))).toMatchObject({
      code: "FORBIDDEN",
      details: { permission: "org.delete", resource: { orgId: "acme" } },
    });
    expect(
      await authorizeRequest(store, webOnly, accessRule("org.read", "/v1/orgs/:orgId") as AccessRule, { orgId: "acme" }),
    ).toMatchObject({
      type: "org",
    });
  });

  it("decides deleting a team by its own rule: through the organisation, or team.delete", async () => {
    const store = h.services.store;
    const rule = accessRule("team.delete", "/v1/teams/:teamId") as AccessRule;
    expect(await authorizeRequest(store, owner, rule, { teamId: "data" })).toMatchObject({ id: "data" });
    expect(await refusal(() => authorizeRequest(store, webMember, rule, { teamId: "web" }))).toEqual({
      code: "FORBIDDEN",
      message: "missing permission team.delete",
      details: { permission: "team.delete" },
    });
  });

  it("authorizes an entity named outside the path: 404 unless reached, 403 unless held", async () => {
    const store = h.services.store;
    expect(await authorizeEntity(store, webOnly, "team", "web", "team.read")).toMatchObject({ type: "team", id: "web", orgId: "acme" });
    expect(await authorizeEntity(store, webOnly, "org", "acme", "org.read")).toMatchObject({ type: "org", id: "acme" });
    expect((await refusal(() => authorizeEntity(store, webMember, "org", "acme", "org.read"))).code).toBe("NOT_FOUND");
    expect((await refusal(() => authorizeEntity(store, webOnly, "team", "data", "team.read"))).code).toBe("NOT_FOUND");
    expect(await refusal(() => authorizeEntity(store, webOnly, "team", "web", "team.update"))).toMatchObject({
      code: "FORBIDDEN",
      details: { permission: "team.update" },
    });
    expect(await refusal(() => authorizeEntity(store, webOnly, "org", "acme", "org.members.manage"))).toMatchObject({
      code: "FORBIDDEN",
      details: { permission: "org.members.manage" },
    });
  });

  it("refuses a grant beyond the principal's, naming the first permission missing, or the restrictions", async () => {
    const admin = await h.services.store.roles.byId("team", "web", "admin");
    const target: Grant = {
      entityType: "team",
      entityId: "web",
      orgId: "acme",
      permissions: JSON.parse(admin!.permissions) as Grant["permissions"],
      restrictions: UNRESTRICTED,
    };
    expect(() => assertCovers(owner, target, "a token of role admin")).not.toThrow();
    const beyond = await refusal(() => assertCovers(webMember, target, "a token of role admin"));
    expect(beyond.code).toBe("FORBIDDEN");
    expect(beyond.message).toBe("a token of role admin would grant more than you hold");
    const { permission, missing } = beyond.details as { permission: string; missing: string[] };
    expect(missing.length).toBeGreaterThan(0);
    expect(permission).toBe(missing[0]);
    // The same permissions as held, but on every project: only the restriction is missing.
    const own = siteOnly.grants[0];
    if (own?.entityType !== "team") throw new Error("site-only is a team role");
    const wider = await refusal(() => assertCovers(siteOnly, { ...own, restrictions: UNRESTRICTED }, "this role"));
    expect(wider).toEqual({
      code: "FORBIDDEN",
      message: "this role would grant more than you hold",
      details: { permission: "restrictions", missing: [] },
    });
  });

  it("refuses a token what only a person may do, with the message given", async () => {
    expect(await refusal(() => refuseTokens(webToken, "sign in to change a password"))).toEqual({
      code: "FORBIDDEN",
      message: "sign in to change a password",
      details: undefined,
    });
    expect(refuseTokens(webMember, "sign in to change a password")).toBeUndefined();
  });
});
