import { UNRESTRICTED, type Grant, type PermissionId } from "@latchkey/core";
import { describe, expect, it } from "vitest";
import { accessRule, authorizeTeamDeletion, namedEntity, permissionDoc, reachesTeam, type AccessRule } from "./access.js";
import type { Principal } from "./principal.js";

const person = (grants: Grant[], scope: Principal["scope"] = null): Principal => ({
  kind: scope ? "api" : "session",
  userId: "u1",
  email: "u1@example.com",
  tokenId: scope ? "tok" : null,
  grants,
  scope,
});
const none = { orgScope: [], teamScope: [], projectScope: [] };
const orgGrant = (orgScope: string[], teams: string[] | null): Grant => ({
  entityType: "org",
  entityId: "acme",
  orgId: "acme",
  permissions: { ...none, orgScope },
  restrictions: teams
    ? { enabled: true, teams: teams.map((teamId) => ({ teamId, restrictions: UNRESTRICTED })) }
    : { enabled: false, teams: [] },
});
const teamGrant = (teamScope: string[]): Grant => ({
  entityType: "team",
  entityId: "red",
  orgId: "acme",
  permissions: { ...none, teamScope },
  restrictions: UNRESTRICTED,
});
const red = { id: "red", org_id: "acme" };

describe("authorizeTeamDeletion", () => {
  it.each([
    ["team.delete on the team", [teamGrant(["team.delete"])], true],
    ["org.teams.delete, unrestricted", [orgGrant(["org.teams.delete"], null)], true],
    ["org.teams.delete restricted to this team", [orgGrant(["org.teams.delete"], ["red"])], true],
    // One grant that may is enough, beside others that may not.
    ["org.teams.delete, plus a team role without team.delete", [orgGrant(["org.teams.delete"], null), teamGrant(["team.read"])], true],
    // The grant that holds org.teams.delete must itself reach the team: another grant's reach does not lend it.
    [
      "org.teams.delete restricted to another team, plus a team role",
      [orgGrant(["org.teams.delete"], ["blue"]), teamGrant(["team.read"])],
      false,
    ],
    ["a team role without team.delete", [teamGrant(["team.read", "team.update"])], false],
  ] as const)("%s", (_, grants, allowed) => {
    let refusal: unknown = null;
    try {
      authorizeTeamDeletion(person([...grants]), red);
    } catch (error) {
      refusal = error;
    }
    if (allowed) expect(refusal).toBeNull();
    else expect(refusal).toMatchObject({ code: "FORBIDDEN", message: "missing permission team.delete", status: 403 });
  });
});

describe("namedEntity", () => {
  const teamToken = person([teamGrant(["team.read"])], { entityType: "team", entityId: "red" });
  const orgToken = person([orgGrant(["org.read"], null)], { entityType: "org", entityId: "acme" });
  const projects = accessRule("project.read", "/v1/teams/:teamId/projects") as AccessRule;
  const orgRoles = accessRule("org.roles.read", "/v1/org-roles") as AccessRule;
  const tokens = accessRule(["team.tokens.read", "org.tokens.read"], "/v1/tokens") as AccessRule;

  it("takes the entity the path names, else the one the token implies", () => {
    expect(namedEntity(teamToken, { teamId: "blue" }, projects)).toEqual({ type: "team", id: "blue" });
    expect(namedEntity(teamToken, {}, projects)).toEqual({ type: "team", id: "red" });
    expect(namedEntity(orgToken, {}, orgRoles)).toEqual({ type: "org", id: "acme" });
    expect(namedEntity(orgToken, {}, tokens)).toEqual({ type: "org", id: "acme" });
    expect(namedEntity(teamToken, {}, tokens)).toEqual({ type: "team", id: "red" });
  });

  it("takes the path's entity only of a kind the rule checks", () => {
    const person_ = person([]);
    const orgOnly = accessRule("org.read", "/v1/orgs/:orgId") as AccessRule;
    expect(namedEntity(person_, { teamId: "red", orgId: "acme" }, orgOnly)).toEqual({ type: "org", id: "acme" });
    expect(namedEntity(person_, { teamId: "red", orgId: "acme" }, projects)).toEqual({ type: "team", id: "red" });
    expect(() => namedEntity(person_, { orgId: "acme" }, projects)).toThrow("implies no team");
    expect(() => namedEntity(person_, { teamId: "red" }, orgOnly)).toThrow("implies no org");
    // A token of the other kind implies nothing here.
    expect(() => namedEntity(teamToken, {}, orgRoles)).toThrow("implies no org");
  });

  it("names the field that is required in the refusal's details", () => {
    const detailsOf = (run: () => unknown, field: "details" | "code" = "details"): unknown => {
      try {
        run();
      } catch (error) {
        return (error as { details?: unknown; code?: unknown })[field];
      }
      return undefined;
    };
    expect(detailsOf(() => namedEntity(orgToken, {}, projects), "code")).toBe("VALIDATION_FAILED");
    expect(detailsOf(() => namedEntity(orgToken, {}, projects))).toEqual({ fields: { teamId: "required for this credential" } });
    expect(detailsOf(() => namedEntity(person([]), {}, orgRoles))).toEqual({ fields: { orgId: "required for this credential" } });
    expect(detailsOf(() => namedEntity(person([]), {}, tokens))).toEqual({ fields: { teamId: "required for this credential" } });
  });

  it("refuses a credential that implies no entity of that kind, naming the path to use", () => {
    expect(() => namedEntity(orgToken, {}, projects)).toThrow("this credential implies no team: use /v1/teams/{teamId}/projects");
    expect(() => namedEntity(person([]), {}, orgRoles)).toThrow("this credential implies no org: use /v1/orgs/{orgId}/roles");
    expect(() => namedEntity(person([]), {}, tokens)).toThrow(
      "this credential implies no team or organisation: use /v1/teams/{teamId}/tokens",
    );
  });
});

describe("accessRule", () => {
  it("checks a permission on the kind of entity its scope belongs to", () => {
    expect(accessRule("project.delete", "/v1/projects/:projectId")).toEqual({ team: "project.delete", noun: "projects" });
    expect(accessRule("org.teams.read", "/v1/orgs/:orgId/teams")).toEqual({ org: "org.teams.read", noun: "teams" });
    expect(accessRule({ none: "lists your own" }, "/v1/teams")).toBeNull();
  });

  it("names the noun of the unprefixed path, whatever prefix the route has", () => {
    expect(accessRule("org.roles.read", "/v1/orgs/:orgId/roles")?.noun).toBe("roles");
    expect(accessRule("org.roles.read", "/v1/org-roles")?.noun).toBe("roles");
    expect(accessRule("team.tokens.read", "/v1/teams/:teamId/tokens/:tokenId")?.noun).toBe("tokens");
    expect(accessRule("project.read", "/v1/project-lists")?.noun).toBe("project-lists");
    expect(accessRule("team.read", "/v1/teams/:teamId")?.noun).toBe("...");
    expect(accessRule("team.read", "/health/v1/teams")?.noun).toBe("...");
    // A name the catalogue does not know is checked on the team (where nothing grants it).
    expect(accessRule("billing:invoices.read" as PermissionId, "/v1/invoices")).toEqual({
      team: "billing:invoices.read",
      noun: "invoices",
    });
    expect(accessRule(["team.tokens.manage", "org.tokens.manage"], "/v1/tokens")).toEqual({
      team: "team.tokens.manage",
      org: "org.tokens.manage",
      noun: "tokens",
    });
  });

  it("describes alternatives compactly for the API's description", () => {
    expect(permissionDoc(["team.tokens.manage", "org.tokens.read"])).toBe("team.tokens.manage|org.tokens.read");
    expect(permissionDoc(["org.tokens.manage"])).toBe("org.tokens.manage");
    expect(permissionDoc(undefined)).toBeUndefined();
    expect(permissionDoc(["team.tokens.manage", "org.tokens.manage"])).toBe("team|org.tokens.manage");
    expect(permissionDoc("team.read")).toBe("team.read");
    expect(permissionDoc({ none: "why" })).toBeUndefined();
  });
});

describe("reachesTeam", () => {
  it.each([
    ["its own team role", [teamGrant(["team.read"])], true],
    ["another team's role", [{ ...teamGrant(["team.read"]), entityId: "blue" }], false],
    ["its organisation, unrestricted", [orgGrant(["org.read"], null)], true],
    ["its organisation, restricted to it", [orgGrant(["org.read"], ["red"])], true],
    ["its organisation, restricted to it and another", [orgGrant(["org.read"], ["blue", "red"])], true],
    ["its organisation, restricted to other teams", [orgGrant(["org.read"], ["blue"])], false],
    ["another organisation, unrestricted", [{ ...orgGrant(["org.read"], null), entityId: "other", orgId: "other" }], false],
    ["nothing", [], false],
  ] as const)("%s", (_, grants, reached) => {
    expect(reachesTeam(person([...grants]), red)).toBe(reached);
  });
});
