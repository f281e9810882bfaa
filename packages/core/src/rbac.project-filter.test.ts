import { describe, expect, it } from "vitest";
import { permissionIds, type PermissionSet } from "./permissions.js";
import { covers, grantAllows, projectFilter, UNRESTRICTED, type Grant, type OrgRestrictions, type ProjectRestrictions } from "./rbac.js";

// projectFilter (the SQL filter of a project list) and ids that collide across kinds: cases that mutation testing
// (npm run mutation) showed no test held. The world: org "acme" holds team "web"; a team may be called "acme" too.

const ALL: PermissionSet = { orgScope: permissionIds("org"), teamScope: permissionIds("team"), projectScope: permissionIds("project") };
const READ: PermissionSet = { orgScope: [], teamScope: ["team.read"], projectScope: ["project.read"] };
const inP = (...projects: string[]): ProjectRestrictions => ({ enabled: true, projects, restrictionMode: "in" });
const notInP = (...projects: string[]): ProjectRestrictions => ({ enabled: true, projects, restrictionMode: "notIn" });
const team = (teamId: string, permissions: PermissionSet, restrictions: ProjectRestrictions = UNRESTRICTED): Grant => ({
  entityType: "team",
  entityId: teamId,
  orgId: "acme",
  permissions,
  restrictions,
});
const org = (permissions: PermissionSet, restrictions: OrgRestrictions = { enabled: false, teams: [] }): Grant => ({
  entityType: "org",
  entityId: "acme",
  orgId: "acme",
  permissions,
  restrictions,
});
const WEB = { orgId: "acme", teamId: "web" };

describe("projectFilter: the projects of a team on which the grants allow a permission", () => {
  const cases: [string, Grant[], ReturnType<typeof projectFilter>][] = [
    ["no grant reaches the team", [team("api", READ)], { all: false, only: [] }],
    ["a grant without the permission is ignored", [team("web", { ...READ, projectScope: [] })], { all: false, only: [] }],
    ["one unrestricted grant allows all", [team("web", READ, inP("a")), team("web", READ)], { all: true }],
    ["in-lists add up", [team("web", READ, inP("a")), team("web", READ, inP("b", "a"))], { all: false, only: ["a", "b"] }],
    [
      "notIn-lists: only what every one excludes",
      [team("web", READ, notInP("x", "y")), team("web", READ, notInP("y", "z"))],
      { all: false, except: ["y"] },
    ],
    [
      "three notIn-lists: what all three exclude",
      [team("web", READ, notInP("a", "b", "c")), team("web", READ, notInP("b", "c")), team("web", READ, notInP("c", "d"))],
      { all: false, except: ["c"] },
    ],
    ["an in-list lifts an exclusion", [team("web", READ, notInP("x", "y")), team("web", READ, inP("y"))], { all: false, except: ["x"] }],
    [
      "an org grant with the team's own restrictions",
      [org(READ, { enabled: true, teams: [{ teamId: "web", restrictions: inP("p") }] })],
      { all: false, only: ["p"] },
    ],
    [
      "an org grant restricted to another team",
      [org(READ, { enabled: true, teams: [{ teamId: "api", restrictions: UNRESTRICTED }] })],
      { all: false, only: [] },
    ],
    ["an unrestricted org grant", [org(READ)], { all: true }],
  ];
  for (const [name, grants, expected] of cases) {
    it(name, () => {
      const got = projectFilter(grants, "project.read", WEB);
      expect("only" in got ? { ...got, only: [...got.only].sort() } : got).toEqual(expected);
    });
  }
});

describe("projectFilter of an organisation permission", () => {
  // grantAllows does not limit an organisation permission to teams, so projectFilter itself must leave out a grant that
  // does not reach the team.
  it("an org grant restricted to another team gives no project of the team", () => {
    const elsewhere = org(ALL, { enabled: true, teams: [{ teamId: "api", restrictions: UNRESTRICTED }] });
    expect(projectFilter([elsewhere], "org.read", WEB)).toEqual({ all: false, only: [] });
  });
});

describe("ids that collide across kinds: a team called like an organisation", () => {
  it("an org permission in a team grant is never usable, even when the team's id is the organisation's", () => {
    const twin: Grant = { entityType: "team", entityId: "acme", orgId: null, permissions: ALL, restrictions: UNRESTRICTED };
    expect(grantAllows(twin, "org.read", { orgId: "acme" })).toBe(false);
  });

  it("a team grant never covers an organisation target of the same id", () => {
    const twin: Grant = { entityType: "team", entityId: "acme", orgId: null, permissions: ALL, restrictions: UNRESTRICTED };
    expect(covers([twin], org(ALL))).toBe(false);
    expect(covers([org(ALL)], org(ALL))).toBe(true);
  });
});
